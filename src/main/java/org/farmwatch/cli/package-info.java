/** The farmwatch command line: reads arguments and configuration, runs the Spark pipeline, and writes the output folder atomically with documented exit codes. */
package org.farmwatch.cli;
