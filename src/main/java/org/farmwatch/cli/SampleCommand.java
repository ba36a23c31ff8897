package org.farmwatch.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.farmwatch.sample.SampleGenerator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code farmwatch sample}: regenerates the synthetic study area deterministically. */
@Command(name = "sample", mixinStandardHelpOptions = true,
        description = "Write the deterministic synthetic study area (scenes, farmland, truth.csv).")
final class SampleCommand implements Callable<Integer> {

    @Option(names = "--out", defaultValue = "sample-tiles", paramLabel = "DIR", description = "Output folder (default: ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--size", paramLabel = "CELLS", description = "Side of the area in 10 m cells (default: the 1000-cell demo area).")
    Integer size;

    @Override
    public Integer call() throws Exception {
        SampleGenerator.Options opts = size == null ? SampleGenerator.Options.sample() : SampleGenerator.Options.bench(size);
        long t0 = System.nanoTime();
        int[] counts = new SampleGenerator(opts).write(out);
        System.err.printf("[farmwatch] sample: %d parcels, %d planted conversions, %d x %d cells, in %.1f s -> %s%n",
                counts[0], counts[1], opts.sizeCells(), opts.sizeCells(), (System.nanoTime() - t0) / 1e9, out);
        return 0;
    }
}
