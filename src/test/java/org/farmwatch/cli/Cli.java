package org.farmwatch.cli;

import java.io.PrintWriter;
import java.io.StringWriter;

/** Runs the farmwatch command line in this JVM and keeps what it printed. */
record Cli(int exit, String out, String err) {
    static Cli run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = Farmwatch.execute(args, new PrintWriter(out, true), new PrintWriter(err, true));
        return new Cli(code, out.toString(), err.toString());
    }
}
