package org.farmwatch.cli;

import java.nio.file.Path;
import java.time.LocalDate;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.farmwatch.ingest.Catalogue;
import org.farmwatch.ingest.SceneCatalog;
import org.farmwatch.publish.PostgisOneMap;
import org.farmwatch.util.FarmwatchException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code farmwatch nightly}: one scheduled run for a region. It takes the region's advisory lock
 * (a second run at the same time stops with exit 5), reads the watermark (the latest current-period
 * date already published), and runs only when the catalogue holds a newer scene in the current
 * period. The run id is derived from the region and the newest scene, so a run restarted after a
 * crash replaces its own partial attempt instead of adding another.
 */
@Command(name = "nightly", mixinStandardHelpOptions = true,
        description = "Process what is new in the catalogue since the last successful run and publish it to the one map.")
final class NightlyCommand implements Callable<Integer> {

    @Option(names = "--conf", required = true, paramLabel = "FILE", description = "Nightly configuration (see conf/nightly.conf).")
    Path conf;

    @Mixin
    MasterOption spark;

    @Mixin
    VerboseOption verbose;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws java.io.IOException {
        String master = spark.checked();
        NightlyConfig nc = NightlyConfig.load(conf);
        // The run settings in the same file are checked now too, before the lock or any work.
        org.farmwatch.config.Settings settings = PipelineRun.settings(conf, NightlyConfig.PREFIX);
        PostgisOneMap onemap = PostgisOneMap.at(nc.onemap(), nc.onemapSchema());
        onemap.check(null);
        try (PostgisOneMap.RegionLock lock = onemap.lockRegion(nc.region())) {
            if (nc.retrainMonthly()) {
                // Due or not, whether or not a scene is new: verdicts arrive between scenes.
                java.io.PrintWriter log = spec.commandLine().getErr();
                log.printf("[farmwatch] nightly %s: %s%n", nc.region(), NightlyRetrain.monthly(nc, settings.change().model(),
                        master, log, java.time.YearMonth.now(java.time.ZoneOffset.UTC)));
                log.flush();
            }
            Optional<LocalDate> watermark = onemap.watermark();
            LocalDate newest = null;
            for (String arg : Catalogue.scan(nc.catalogue())) {
                LocalDate d;
                try {
                    d = SceneCatalog.open(arg, true).date();
                } catch (FarmwatchException e) {
                    continue; // the run lists bad scenes under "rejected"
                }
                if (nc.afterPeriod().contains(d) && (watermark.isEmpty() || d.isAfter(watermark.get()))
                        && (newest == null || d.isAfter(newest))) {
                    newest = d;
                }
            }
            java.io.PrintWriter err = spec.commandLine().getErr();
            if (newest == null) {
                err.printf("[farmwatch] nightly %s: nothing new in %s since %s%n", nc.region(), nc.catalogue(),
                        watermark.map(LocalDate::toString).orElse("the start"));
                err.flush();
                return 0;
            }
            String runId = "nightly-" + nc.region() + "-" + newest.toString().replace("-", "");
            err.printf("[farmwatch] nightly %s: new scenes up to %s (watermark %s): run %s%n", nc.region(), newest,
                    watermark.map(LocalDate::toString).orElse("none"), runId);
            err.flush();
            // With nightly.retrain, change.model names the folder retraining fills: until it holds a model, a night
            // runs without one.
            new PipelineRun(System.err).changeModelOptional(nc.retrainMonthly()).execute(new PipelineRun.Request(null, null, nc.catalogue(),
                    window(nc.beforePeriod()), window(nc.afterPeriod()), nc.farmland(), nc.out().replaceAll("/+$", "") + "/" + runId, conf, runId,
                    master, nc.onemap(), nc.onemapSchema(), NightlyConfig.PREFIX, null));
            if (nc.keepOutputs() != NightlyConfig.KEEP_ALL) {
                for (Path gone : NightlyRetention.prune(Path.of(nc.out()), nc.region(), nc.keepOutputs())) {
                    err.printf("[farmwatch] nightly %s: removed %s (nightly.keepOutputs = %d; the one map keeps its "
                            + "patches and parcels)%n", nc.region(), gone, nc.keepOutputs());
                }
                err.flush();
            }
            return 0;
        }
    }

    private static String window(Catalogue.Window w) {
        return w.start() + "/" + w.end();
    }
}
