package org.farmwatch.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.farmwatch.farmland.FarmlandImport;
import org.farmwatch.farmland.FieldMapping;
import org.farmwatch.farmland.FieldMappingFile;
import org.farmwatch.farmland.PostgisTarget;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code farmwatch import-farmland}: loads a parcel file into a PostGIS table (see {@link FarmlandImport}).
 * Progress and a one-line summary go to stderr, the JSON summary to stdout.
 */
@Command(name = "import-farmland", mixinStandardHelpOptions = true,
        description = {"Load a farmland parcel file into a PostGIS table: map the fields, repair what is safe to repair, "
                + "reject the rest into <table>_rejects, transform to the storage CRS and upsert by parcel_id "
                + "(importing the same file again changes nothing).",
                "Prints progress and a summary line on stderr and a JSON summary on stdout."},
        footer = {"", "Mapping file (UTF-8 properties; a key left out keeps its default; an empty value maps no field):",
                "  parcel_id  = TBBH, BSM, parcel_id, id",
                "  admin_code = ZLDWDM, QSDWDM, XZQDM, admin_code",
                "  township   = ZLDWMC, QSDWMC, XZQMC, township",
                "  land_class = DLBM, land_class",
                "A parcel_id candidate may name the FID column of a GeoPackage.",
                "The password comes from the URL, $PGPASSWORD or ~/.pgpass; it is never printed.",
                "Exit codes: 0 done, 2 bad usage, 3 unreadable file or no parcel id field, 4 PostGIS unavailable, 1 other."})
final class ImportFarmlandCommand implements Callable<Integer> {

    @Option(names = "--from", required = true, paramLabel = "FILE",
            description = "GeoPackage, Shapefile (.shp or zipped .zip), .gpkg.zip, FlatGeobuf or GeoJSON; "
                    + "FILE#layer picks a layer.")
    String from;

    @Option(names = "--to", required = true, paramLabel = "URL",
            description = "postgresql://user@host:port/db?table=schema.table (created when missing).")
    String to;

    @Option(names = "--mapping", paramLabel = "FILE",
            description = "Field mapping: keys parcel_id, admin_code, township, land_class, each a comma list of "
                    + "source field names (default: farmwatch's and the land-survey names).")
    Path mapping;

    @Option(names = "--crs", defaultValue = FarmlandImport.DEFAULT_CRS, paramLabel = "EPSG:CODE",
            description = "Storage CRS of the table (default: ${DEFAULT-VALUE}, CGCS2000).")
    String crs;

    @Option(names = "--source-crs", paramLabel = "CRS",
            description = "CRS of the file when it has none or a wrong one (such as EPSG:4527).")
    String sourceCrs;

    @Mixin
    VerboseOption verbose;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        // Everything that can be checked without the file or the server comes first.
        FieldMapping fields = mapping == null ? FieldMapping.DEFAULT : FieldMappingFile.read(mapping);
        PostgisTarget target = PostgisTarget.parse(to);
        FarmlandImport.Options options = new FarmlandImport.Options(from, target, fields, crs, sourceCrs);
        FarmlandImport.Summary summary = FarmlandImport.run(options, err);
        err.println("[farmwatch] import-farmland: " + summary.line());
        if (summary.rejected() > 0) {
            err.println("[farmwatch] import-farmland: rejected features are in " + summary.rejectsTable()
                    + " (reason, detail, source_fid, raw_geom as WKB in " + summary.sourceCrs() + ")");
        }
        err.flush();
        out.print(summary.toJson());
        out.flush();
        return 0;
    }
}
