package org.farmwatch.cli;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** The cron example does not pipe into logger, which loses the exit status (ScheduleExamplesIT runs the wrapper). */
class ScheduleExamplesTest {

    @Test
    void theCronExampleDoesNotPipeIntoLogger() throws Exception {
        String cron = Files.readString(Path.of("jobs/schedule/farmwatch.cron"));
        String entry = cron.lines().filter(l -> !l.startsWith("#") && !l.isBlank()).findFirst().orElseThrow();
        assertFalse(entry.contains("|"), entry);
        assertTrue(entry.contains("jobs/schedule/nightly-syslog"), entry);
    }
}
