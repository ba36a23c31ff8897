package org.farmwatch.cli;

import picocli.CommandLine.Option;

/** {@code --master}, mixed into the commands that start Spark from a command line or through spark-submit. */
final class MasterOption {

    @Option(names = "--master", paramLabel = "URL", description = "Spark master (default: spark-submit's, else local[*]).")
    String master;

    /** The master given, checked before any work (a malformed one is a usage error), or null for the default. */
    String checked() {
        Masters.check(master);
        return master;
    }
}
