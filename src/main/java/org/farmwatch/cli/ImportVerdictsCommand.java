package org.farmwatch.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import org.farmwatch.publish.GeoPackageVerdicts;
import org.farmwatch.publish.OneMapVerdicts;
import org.farmwatch.publish.PostgisOneMap;
import org.farmwatch.publish.VerdictFile;
import org.farmwatch.util.Json;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code farmwatch import-verdicts}: stores the inspectors' filled-in lists in the one map's {@code verdicts} table
 * (see {@link OneMapVerdicts}). A one-line summary goes to stderr, the JSON summary to stdout.
 */
@Command(name = "import-verdicts", mixinStandardHelpOptions = true,
        description = {"Import inspectors' verdicts from a filled-in flagged_parcels.xlsx or .csv into the PostGIS one map, "
                + "or into the onemap.gpkg of the run that wrote the list. "
                + "Fill the verdict column with confirmed, false_alarm or approved (the drop-down's 属实 confirmed, 误报 "
                + "false_alarm, 合法 approved; approved needs approval_number), on the parcel sheets or the patch list "
                + "(图斑清单, flagged_patches.csv, whose verdict holds on each of its parcel_ids); "
                + "rows left empty are skipped. Every row is checked first: nothing is imported when one is bad, and "
                + "importing the same file again changes nothing.",
                "A patch judged false_alarm or approved is not flagged again on its parcel by later runs with --onemap "
                + "(or --verdicts GPKG), unless it grew beyond verdict.growthFactor times its judged area."},
        footer = {"", "Exit codes: 0 done, 2 bad usage, 3 bad file or row (the message names the row, in Chinese and English), "
                + "4 PostGIS unavailable, 5 a publisher held the one map too long, 1 other."})
final class ImportVerdictsCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "FILE", description = "The inspector list with verdicts: .xlsx or .csv.")
    Path file;

    @Option(names = "--onemap", required = true, paramLabel = "URL|GPKG",
            description = "postgresql://user@host:port/db of the one map (password from PGPASSWORD or ~/.pgpass), "
                    + "or the onemap.gpkg of the run whose list this is.")
    String onemap;

    @Option(names = "--onemap-schema", paramLabel = "NAME", defaultValue = PostgisOneMap.DEFAULT_SCHEMA,
            description = "Schema of the one map (default: ${DEFAULT-VALUE}).")
    String onemapSchema;

    @Mixin
    VerboseOption verbose;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        boolean gpkg = GeoPackageVerdicts.isGeoPackage(onemap);
        PostgisOneMap map = gpkg ? null : PostgisOneMap.at(onemap, onemapSchema);
        VerdictFile.Contents contents = VerdictFile.read(file);
        OneMapVerdicts.Summary s = gpkg ? GeoPackageVerdicts.importFile(Path.of(onemap), file.toString(), contents)
                : new OneMapVerdicts(map).importFile(file.toString(), contents);
        String target = gpkg ? onemap : map.describe();
        err.println("[farmwatch] import-verdicts: " + s.lineZh() + " / " + s.line() + " -> " + target);
        err.flush();
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("file", file.toString());
        json.put("onemap", target);
        json.put("rows", s.rows());
        json.put("rows_not_judged", s.blankRows());
        json.put("verdicts", s.verdicts());
        json.put("inserted", s.inserted());
        json.put("updated", s.updated());
        json.put("unchanged", s.unchanged());
        json.put("parcel_status_changed", s.parcelStatusChanged());
        out.println(Json.write(json));
        out.flush();
        return 0;
    }
}
