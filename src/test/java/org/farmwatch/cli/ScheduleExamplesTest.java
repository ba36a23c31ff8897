package org.farmwatch.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The scheduling examples in jobs/schedule/: the cron example does not pipe into logger, which loses the exit status
 * (ScheduleExamplesIT runs the wrapper), and the systemd units pass {@code systemd-analyze verify} without a warning.
 */
class ScheduleExamplesTest {

    private static final Path SYSTEMD_ANALYZE = Path.of("/usr/bin/systemd-analyze");

    @TempDir
    Path tmp;

    @Test
    void theCronExampleDoesNotPipeIntoLogger() throws Exception {
        String cron = Files.readString(Path.of("jobs/schedule/farmwatch.cron"));
        String entry = cron.lines().filter(l -> !l.startsWith("#") && !l.isBlank()).findFirst().orElseThrow();
        assertFalse(entry.contains("|"), entry);
        assertTrue(entry.contains("jobs/schedule/nightly-syslog"), entry);
    }

    @Test
    void theOneMapDatabaseUnitStartsAndStopsJobsFarmwatchDbBeforeTheNightlyRun() throws Exception {
        String unit = Files.readString(Path.of("jobs/schedule/farmwatch-onemap-db.service"));
        assertTrue(unit.contains("\nExecStart=/opt/farmwatch/jobs/farmwatch db start\n"), unit);
        assertTrue(unit.contains("\nExecStop=/opt/farmwatch/jobs/farmwatch db stop\n"), unit);
        assertTrue(unit.contains("\nRemainAfterExit=yes\n"), "db start returns once the server runs: " + unit);
        assertTrue(unit.contains("\nBefore=farmwatch-nightly.service\n"), unit);
        assertTrue(unit.contains("\nWantedBy=multi-user.target\n"), unit);
        String nightly = Files.readString(Path.of("jobs/schedule/farmwatch-nightly.service"));
        assertTrue(nightly.lines().anyMatch(l -> l.startsWith("After=") && l.contains("farmwatch-onemap-db.service")), nightly);
    }

    /**
     * Every unit in jobs/schedule/ through systemd's own parser. The units name /opt/farmwatch, as installed; verify
     * checks that the commands exist, so they are verified as copies pointing at this checkout.
     */
    @Test
    void theSystemdUnitsVerifyWithoutWarnings() throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(SYSTEMD_ANALYZE), "systemd-analyze (package systemd) is not installed");
        Path checkout = Path.of("").toAbsolutePath();
        List<String> cmd = new ArrayList<>(List.of(SYSTEMD_ANALYZE.toString(), "verify"));
        for (String name : List.of("farmwatch-onemap-db.service", "farmwatch-nightly.service", "farmwatch-nightly.timer")) {
            String text = Files.readString(Path.of("jobs/schedule", name)).replace("/opt/farmwatch", checkout.toString());
            Path copy = tmp.resolve(name);
            Files.writeString(copy, text);
            cmd.add(copy.toString());
        }
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "systemd-analyze did not finish");
        assertEquals(0, p.exitValue(), out);
        // A misspelt key is only a warning ("Unknown key ..., ignoring") with exit 0: any output is a failure.
        assertEquals("", out.strip(), "systemd-analyze verify printed warnings");
    }
}
