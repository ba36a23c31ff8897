package org.farmwatch.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** jobs/schedule/nightly-syslog, through the launcher and the packaged jar, keeps farmwatch's exit status. */
class ScheduleExamplesIT {

    @TempDir
    Path tmp;

    @Test
    void theSyslogWrapperExitsWithFarmwatchsCodeNotLoggers() throws Exception {
        Path conf = tmp.resolve("nightly.conf");
        Files.writeString(conf, "nightly.region = test\nnightly.catalog = no/such/catalogue\n");
        int direct = Cli.run("nightly", "--conf", conf.toString()).exit();
        assertTrue(direct != 0, "the configuration was meant to be refused");

        ProcessBuilder pb = new ProcessBuilder("jobs/schedule/nightly-syslog", "--conf", conf.toString());
        pb.environment().put("FARMWATCH_SKIP_SETUP", "1");
        pb.environment().put("FARMWATCH_SYSLOG_TAG", "farmwatch-test");
        pb.redirectErrorStream(true);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        assertEquals(direct, p.exitValue(), out);
    }
}
