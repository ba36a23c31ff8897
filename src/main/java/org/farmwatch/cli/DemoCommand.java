package org.farmwatch.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.farmwatch.util.FarmwatchException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code farmwatch demo}: the whole pipeline on the embedded sample area. */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Run the whole pipeline on sample-tiles/ with the default configuration.")
final class DemoCommand implements Callable<Integer> {

    @Option(names = "--out", defaultValue = "out/demo", paramLabel = "DIR", description = "Output folder (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--sample", defaultValue = "sample-tiles", paramLabel = "DIR",
            description = "The sample area (default: ${DEFAULT-VALUE}).")
    Path sample;

    @Option(names = "--conf", paramLabel = "FILE", description = "Configuration over the defaults.")
    Path conf;

    @Option(names = "--master", paramLabel = "URL", description = "Spark master (default: local[*]).")
    String master;

    @Option(names = "--verdict-round-trip",
            description = "Close the verdict loop on the sample: run it with a more sensitive detector (so that some flags "
                    + "are false alarms), fill in the inspectors' list from the planted truth, import it, train a change "
                    + "model on it (train-change) and run the sample again with that model (DIR-verdicts.csv, "
                    + "DIR-change-model, DIR-with-model).")
    boolean verdictRoundTrip;

    @Mixin
    VerboseOption verbose;

    @Override
    public Integer call() {
        Masters.check(master);
        if (!Files.isDirectory(sample.resolve("scenes"))) {
            throw FarmwatchException.input("sample area not found at " + sample + " (regenerate it with: farmwatch sample --out "
                    + sample + ")");
        }
        Path runConf = verdictRoundTrip ? DemoVerdictRoundTrip.conf(conf, "") : conf;
        new PipelineRun(System.err).execute(PipelineRun.Request.scenes(
                sample.resolve("scenes/20250415").toString(), sample.resolve("scenes/20250920").toString(),
                sample.resolve("farmland.gpkg").toString(), out.toString(), runConf, "demo", master));
        if (verdictRoundTrip) {
            DemoVerdictRoundTrip.after(out, sample, conf, master, System.err);
        }
        return 0;
    }
}
