package org.farmwatch.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/** Help through the command line's entry point: every subcommand, both flags and {@code farmwatch help}, exit 0. */
class HelpTest {

    /** Every subcommand the command line knows, hidden ones included, except {@code help} itself. */
    static Stream<String> subcommands() {
        return new CommandLine(new Farmwatch()).getSubcommands().keySet().stream().filter(n -> !n.equals("help"));
    }

    @ParameterizedTest
    @MethodSource("subcommands")
    void dashDashHelpPrintsTheUsageAndExitsZero(String name) {
        Cli r = Cli.run(name, "--help");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().startsWith("Usage: farmwatch " + name), r.out());
        assertEquals("", r.err());
    }

    @ParameterizedTest
    @MethodSource("subcommands")
    void dashHIsTheSameAsDashDashHelp(String name) {
        Cli r = Cli.run(name, "-h");
        assertEquals(0, r.exit(), r.err());
        assertEquals(Cli.run(name, "--help").out(), r.out());
    }

    @ParameterizedTest
    @MethodSource("subcommands")
    void helpCommandPrintsTheSubcommandsUsage(String name) {
        Cli r = Cli.run("help", name);
        assertEquals(0, r.exit(), r.err());
        assertEquals(Cli.run(name, "--help").out(), r.out());
    }

    @Test
    void helpAloneListsTheCommands() {
        Cli r = Cli.run("help");
        assertEquals(0, r.exit(), r.err());
        assertTrue(r.out().startsWith("Usage: farmwatch"), r.out());
        for (String name : List.of("demo", "run", "nightly", "sample", "import-farmland", "import-verdicts", "train")) {
            assertTrue(r.out().contains("  " + name + " "), name + " missing from:\n" + r.out());
        }
        assertTrue(r.out().contains("Exit codes: 0 success, 2 bad usage"), r.out());
    }

    @Test
    void helpOnAnUnknownCommandIsUsage() {
        Cli r = Cli.run("help", "harvest");
        assertEquals(2, r.exit(), r.out());
        assertTrue(r.err().contains("harvest"), r.err());
    }

    /**
     * A URL, path or value in a description ({@code postgresql://user@host:port/db}, {@code conf/farmwatch.conf},
     * {@code local[*]}) comes out on one line, so that it copies and pastes.
     */
    @ParameterizedTest
    @MethodSource("subcommands")
    void urlsAndPathsAreNeverBrokenOverLines(String name) {
        CommandLine cl = new CommandLine(new Farmwatch()).getSubcommands().get(name);
        String help = Cli.run(name, "--help").out();
        List<String> unbroken = new ArrayList<>();
        CommandSpec spec = cl.getCommandSpec();
        List<String> texts = new ArrayList<>(List.of(spec.usageMessage().description()));
        for (OptionSpec o : spec.options()) {
            texts.addAll(List.of(o.description()));
        }
        spec.positionalParameters().forEach(p -> texts.addAll(List.of(p.description())));
        for (String text : texts) {
            for (String token : text.split("\\s+")) {
                if (token.matches(".*[/@\\[].*") && !token.contains("${")) {
                    unbroken.add(token);
                }
            }
        }
        for (String token : unbroken) {
            assertTrue(help.contains(token), "'" + token + "' broken in the help of " + name + ":\n" + help);
        }
    }
}
