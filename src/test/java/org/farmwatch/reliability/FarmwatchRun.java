package org.farmwatch.reliability;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.farmwatch.cli.Farmwatch;

/**
 * One {@code farmwatch} command line run in this JVM. {@code err} is what the command line printed as
 * its error (the writer it was given); {@code log} is what the run printed on {@code System.err}
 * meanwhile (progress lines), captured while still passed through to the console.
 */
record FarmwatchRun(int exit, String out, String err, String log) {

    static synchronized FarmwatchRun of(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        PrintStream console = System.err;
        System.setErr(new PrintStream(new Tee(console, log), true, StandardCharsets.UTF_8));
        int code;
        try {
            code = Farmwatch.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
        } finally {
            System.err.flush();
            System.setErr(console);
        }
        return new FarmwatchRun(code, out.toString(), err.toString(), log.toString(StandardCharsets.UTF_8));
    }

    /** {@code farmwatch run} with the given options, on a two-thread local Spark. */
    static FarmwatchRun run(String... options) {
        String[] args = new String[options.length + 3];
        args[0] = "run";
        System.arraycopy(options, 0, args, 1, options.length);
        args[options.length + 1] = "--master";
        args[options.length + 2] = "local[2]";
        return of(args);
    }

    /** The lines of the error output that the command line wrote as its own ("farmwatch: ..."). */
    List<String> errorLines() {
        return err.strip().lines().filter(l -> l.startsWith("farmwatch")).toList();
    }

    @Override
    public String toString() {
        return "exit " + exit + ", stderr:\n" + err;
    }

    private static final class Tee extends OutputStream {
        private final OutputStream a;
        private final OutputStream b;

        Tee(OutputStream a, OutputStream b) {
            this.a = a;
            this.b = b;
        }

        @Override
        public void write(int x) throws java.io.IOException {
            a.write(x);
            b.write(x);
        }

        @Override
        public void write(byte[] buf, int off, int len) throws java.io.IOException {
            a.write(buf, off, len);
            b.write(buf, off, len);
        }

        @Override
        public void flush() throws java.io.IOException {
            a.flush();
            b.flush();
        }
    }
}
