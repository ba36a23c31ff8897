package org.farmwatch.cli;

import java.io.PrintWriter;
import org.farmwatch.util.FarmwatchException;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code farmwatch} command. Exit codes: 0 success, 2 bad usage or configuration, 3 unreadable
 * or invalid input, 4 a required service unavailable, 5 another run holds the lock, 1 anything else.
 */
@Command(name = "farmwatch", mixinStandardHelpOptions = true, version = "farmwatch 0.1.0",
        description = "Detects non-agricultural and non-grain conversion of farmland from satellite imagery.",
        footer = {"", "'farmwatch help COMMAND' or 'farmwatch COMMAND --help' shows a command's options.",
                "Exit codes: 0 success, 2 bad usage or configuration, 3 unreadable or invalid input, 4 a required service "
                        + "(PostGIS) unavailable, 5 another nightly run of the region holds the lock, 1 anything else."},
        subcommands = {DemoCommand.class, RunCommand.class, NightlyCommand.class, SampleCommand.class, ImportFarmlandCommand.class,
                TrainCommand.class, TrainChangeCommand.class, ImportVerdictsCommand.class,
                CommandLine.HelpCommand.class})
public final class Farmwatch {

    /** Columns of the usage help. */
    static final int USAGE_WIDTH = 120;

    public static void main(String[] args) {
        // First thing: the compiler policy counts most while Spark starts (see JitPolicy).
        org.farmwatch.util.JitPolicy.install();
        System.exit(execute(args, new PrintWriter(System.out, true), new PrintWriter(System.err, true)));
    }

    /** Runs the command line and returns the exit code; never calls System.exit. */
    public static int execute(String[] args, PrintWriter out, PrintWriter err) {
        boolean verbose = java.util.Arrays.asList(args).contains("--verbose");
        CommandLine cl = new CommandLine(new Farmwatch());
        // Wide enough that a URL or path in a description is not broken over two lines: a terminal narrower than
        // this soft-wraps, which copies and pastes as one line; a hard break would insert a newline and spaces.
        cl.setUsageHelpWidth(USAGE_WIDTH);
        cl.setOut(out);
        cl.setErr(err);
        cl.setExitCodeExceptionMapper(Farmwatch::exitCodeOf);
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            Throwable root = unwrap(ex);
            err.println("farmwatch: error: " + messageOf(root));
            if (verbose) {
                root.printStackTrace(err);
            }
            return exitCodeOf(root);
        });
        cl.setParameterExceptionHandler((ex, a) -> {
            err.println("farmwatch: " + ex.getMessage());
            err.println("Try 'farmwatch " + (ex.getCommandLine().getCommandName().equals("farmwatch") ? ""
                    : ex.getCommandLine().getCommandName() + " ") + "--help'.");
            return 2;
        });
        return cl.execute(args);
    }

    static Throwable unwrap(Throwable t) {
        FarmwatchException fe = FarmwatchException.find(t);
        return fe != null ? fe : t;
    }

    static String messageOf(Throwable t) {
        String m = t.getMessage();
        if (m == null) {
            return t.getClass().getSimpleName();
        }
        // A farmwatch message is one line by construction: a CR, LF or bidi override inside it comes from the input
        // (a parcel id, a file name) and is shown escaped, never as a line break or reordered text.
        return t instanceof FarmwatchException ? org.farmwatch.util.Text.shown(m.strip(), 4000)
                : org.farmwatch.util.Text.escaped(m.split("\n", 2)[0]);
    }

    static int exitCodeOf(Throwable t) {
        return t instanceof FarmwatchException fe ? fe.kind().exitCode : 1;
    }
}
