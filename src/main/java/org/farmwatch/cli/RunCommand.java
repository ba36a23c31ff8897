package org.farmwatch.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code farmwatch run}: one baseline scene against one current scene over a farmland base. */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Detect conversions between two scenes and flag the farmland parcels they hit.")
final class RunCommand implements Callable<Integer> {

    @Option(names = "--before", required = true, paramLabel = "SCENE",
            description = "Baseline scene: a STAC Item JSON file or a folder of Sentinel-2 band files.")
    String before;

    @Option(names = "--after", required = true, paramLabel = "SCENE", description = "Current scene, as --before.")
    String after;

    @Option(names = "--farmland", required = true, paramLabel = "SOURCE",
            description = "GeoPackage, Shapefile (.shp or .zip) or FlatGeobuf (path#layer picks a layer), "
                    + "or postgresql://user@host:port/db?table=schema.table")
    String farmland;

    @Option(names = "--out", required = true, paramLabel = "DIR", description = "Output folder.")
    Path out;

    @Option(names = "--conf", paramLabel = "FILE", description = "Configuration over the defaults in conf/farmwatch.conf.")
    Path conf;

    @Option(names = "--run-id", paramLabel = "ID", description = "Run identifier (default: run-<UTC time>).")
    String runId;

    @Option(names = "--master", paramLabel = "URL", description = "Spark master (default: spark-submit's, else local[*]).")
    String master;

    @Option(names = "--verbose", description = "Print stack traces with errors.")
    boolean verbose;

    @Override
    public Integer call() {
        new PipelineRun(System.err).execute(new PipelineRun.Request(before, after, farmland, out, conf, runId, master));
        return 0;
    }
}
