package org.farmwatch.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.farmwatch.util.FarmwatchException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code farmwatch run}: one baseline scene against one current scene over a farmland base. */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = "Detect conversions between two scenes and flag the farmland parcels they hit.")
final class RunCommand implements Callable<Integer> {

    @Option(names = "--before", paramLabel = "SCENE", arity = "1..*",
            description = "Baseline scene(s): STAC Item JSON files or folders of Sentinel-2 or Landsat C2 L2 band files; "
                    + "several are composited per tile.")
    List<String> before;

    @Option(names = "--after", paramLabel = "SCENE", arity = "1..*", description = "Current scene(s), as --before.")
    List<String> after;

    @Option(names = "--catalog", paramLabel = "DIR",
            description = "Instead of --before/--after: a folder of scenes (STAC items or catalogues, band folders), "
                    + "split into periods by --before-period and --after-period.")
    String catalogue;

    @Option(names = "--before-period", paramLabel = "START/END", description = "Baseline date window, e.g. 2025-03-01/2025-05-31.")
    String beforePeriod;

    @Option(names = "--after-period", paramLabel = "START/END", description = "Current date window.")
    String afterPeriod;

    @Option(names = "--farmland", required = true, paramLabel = "SOURCE",
            description = "GeoPackage, Shapefile (.shp or .zip) or FlatGeobuf (path#layer picks a layer), "
                    + "or postgresql://user@host:port/db?table=schema.table")
    String farmland;

    @Option(names = "--out", required = true, paramLabel = "DIR",
            description = "Output folder: a local path or a Hadoop URI (hdfs://..., s3a://... with hadoop-aws).")
    String out;

    @Option(names = "--onemap", paramLabel = "URL", description = "Also publish to the PostGIS one map: "
            + "postgresql://user@host:port/db (password from PGPASSWORD or ~/.pgpass).")
    String onemap;

    @Option(names = "--onemap-schema", paramLabel = "NAME", defaultValue = org.farmwatch.publish.PostgisOneMap.DEFAULT_SCHEMA,
            description = "Schema of the one map (default: ${DEFAULT-VALUE}).")
    String onemapSchema;

    @Option(names = "--verdicts", paramLabel = "GPKG", arity = "1..*",
            description = "Earlier runs' onemap.gpkg holding inspectors' verdicts (import-verdicts --onemap GPKG): "
                    + "patches judged false alarm or approved there are not flagged again unless they grew.")
    List<Path> verdicts;

    @Option(names = "--conf", paramLabel = "FILE", description = "Configuration over the defaults in conf/farmwatch.conf.")
    Path conf;

    @Option(names = "--run-id", paramLabel = "ID", description = "Run identifier (default: run-<UTC time>).")
    String runId;

    @Mixin
    MasterOption spark;

    @Mixin
    VerboseOption verbose;

    @Override
    public Integer call() {
        String master = spark.checked();
        boolean scenes = before != null || after != null;
        if (scenes == (catalogue != null)) {
            throw FarmwatchException.usage("give either --before and --after scenes, or --catalog with --before-period and --after-period");
        }
        if (scenes && (before == null || after == null)) {
            throw FarmwatchException.usage("missing " + (before == null ? "--before" : "--after") + " scene");
        }
        if (!scenes && (beforePeriod == null || afterPeriod == null)) {
            throw FarmwatchException.usage("--catalog needs --before-period and --after-period");
        }
        new PipelineRun(System.err).execute(new PipelineRun.Request(before, after, catalogue, beforePeriod, afterPeriod,
                farmland, out, conf, runId, master, onemap, onemapSchema, null, verdicts));
        return 0;
    }
}
