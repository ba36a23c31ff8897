package org.farmwatch.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import org.farmwatch.config.Settings;
import org.farmwatch.ingest.Scene;
import org.farmwatch.ingest.SceneCatalog;
import org.farmwatch.spark.SparkSessions;
import org.farmwatch.util.Json;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The driver of jobs/bench's ingest workload (jobs/lib/bench-ingest.py): reads one scene onto the grid and nothing
 * else ({@link IngestBench}), run as the launcher's other main class:
 * <pre>FARMWATCH_MAIN_CLASS=org.farmwatch.bench.IngestBenchCommand jobs/farmwatch --scene ITEM --out JSON [--master M]</pre>
 */
@Command(name = "bench-ingest", mixinStandardHelpOptions = true,
        description = "Benchmark only: read every grid tile a scene touches, discard the rasters after a checksum.")
public final class IngestBenchCommand implements Callable<Integer> {

    public static void main(String[] args) {
        System.exit(new CommandLine(new IngestBenchCommand()).execute(args));
    }

    @Option(names = "--scene", required = true, description = "The scene (folder or STAC Item JSON).")
    String scene;

    @Option(names = "--conf", description = "Settings file over the defaults (grid.*, ingest settings).")
    Path conf;

    @Option(names = "--halo", defaultValue = "0", description = "Halo cells around each tile (default 0: the tile rasters alone).")
    int halo;

    @Option(names = "--out", required = true, description = "Where to write the result (JSON).")
    Path out;

    @Option(names = "--master", paramLabel = "URL", defaultValue = "local[2]", description = "Spark master (default: local[2]).")
    String master;

    @Override
    public Integer call() throws Exception {
        String m = master;
        Settings s = conf == null ? Settings.defaults() : Settings.load(conf);
        long t0 = System.nanoTime();
        Scene sc = SceneCatalog.open(scene).withDarkObject(s.ingest().darkObject());
        double open = (System.nanoTime() - t0) / 1e9;
        SparkSession spark = SparkSessions.create("farmwatch bench-ingest", m);
        try {
            Map<String, Object> r = new java.util.LinkedHashMap<>(IngestBench.run(spark, sc, s, halo));
            r.put("scene_open_s", open);
            r.put("master", spark.sparkContext().master());
            Files.writeString(out, Json.write(r) + "\n");
            System.err.printf("[farmwatch] bench-ingest: %s tiles, %s cells in %.1f s on %s -> %s%n", r.get("tiles"),
                    r.get("cells"), (Double) r.get("ingest_s"), r.get("master"), out);
        } finally {
            spark.stop();
        }
        return 0;
    }
}
