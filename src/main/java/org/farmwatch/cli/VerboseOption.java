package org.farmwatch.cli;

import picocli.CommandLine.Option;

/**
 * {@code --verbose}, mixed into every command. {@link Farmwatch#execute} reads it from the arguments, so
 * that errors raised before picocli has parsed them print their stack traces too.
 */
final class VerboseOption {

    @Option(names = "--verbose", description = "Print stack traces with errors.")
    boolean verbose;
}
