package org.farmwatch.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.SparkSession;
import org.farmwatch.change.ChangePatch;
import org.farmwatch.config.Settings;
import org.farmwatch.farmland.ParcelSource;
import org.farmwatch.farmland.ParcelSources;
import org.farmwatch.flag.FlaggedParcel;
import org.farmwatch.flag.PastVerdicts;
import org.farmwatch.ingest.Catalogue;
import org.farmwatch.ingest.Period;
import org.farmwatch.ingest.Scene;
import org.farmwatch.ingest.SceneCatalog;
import org.farmwatch.publish.ChangeRaster;
import org.farmwatch.publish.GeoPackageVerdicts;
import org.farmwatch.publish.PublishOutput;
import org.farmwatch.publish.ImageChips;
import org.farmwatch.publish.PdfDossier;
import org.farmwatch.publish.AdminNames;
import org.farmwatch.publish.CgcsLocator;
import org.farmwatch.publish.InspectorLists;
import org.farmwatch.publish.PatchList;
import org.farmwatch.publish.OneMapGeoPackage;
import org.farmwatch.publish.PatchEvidenceTable;
import org.farmwatch.publish.OneMapVerdicts;
import org.farmwatch.publish.PostgisOneMap;
import org.farmwatch.publish.QgisProject;
import org.farmwatch.publish.Quicklook;
import org.farmwatch.publish.TrueColourCog;
import org.farmwatch.publish.ReportPage;
import org.farmwatch.publish.ReportSections;
import org.farmwatch.spark.FarmwatchJob;
import org.farmwatch.spark.SparkSessions;
import org.farmwatch.util.FarmwatchException;
import org.farmwatch.util.Json;
import org.gdal.gdal.gdal;
import org.gdal.osr.CoordinateTransformation;
import org.locationtech.jts.geom.Coordinate;
import org.locationtech.jts.geom.Geometry;
import org.locationtech.jts.geom.util.GeometryTransformer;

/**
 * One run from arguments to a finished output folder: validate everything first, run the Spark job,
 * publish into a staging folder, then move it into place.
 */
final class PipelineRun {

    /**
     * What to run: either explicit scenes per period ({@code before}, {@code after}), or a catalogue
     * folder with a date window per period.
     */
    record Request(List<String> before, List<String> after, String catalogue, String beforeWindow, String afterWindow,
                   String farmland, String out, Path conf, String runId, String master, String onemap,
                   String onemapSchema, String ownConfPrefix, List<Path> verdicts) {

        Request {
            verdicts = verdicts == null ? List.of() : List.copyOf(verdicts);
        }

        static Request scenes(String before, String after, String farmland, String out, Path conf, String runId,
                              String master) {
            return new Request(List.of(before), List.of(after), null, null, null, farmland, out, conf, runId, master, null,
                    null, null, null);
        }
    }

    private final PrintStream log;
    private boolean changeModelOptional;

    PipelineRun(PrintStream log) {
        this.log = log;
    }

    /** Whether a change.model folder without a model yet means no model (nightly retraining fills it) instead of exit 2. */
    PipelineRun changeModelOptional(boolean optional) {
        this.changeModelOptional = optional;
        return this;
    }

    /**
     * The settings of a run, with its classifier read now, on the driver: a missing or stale forest model stops
     * the run before any work (the settings themselves only name it).
     */
    static Settings settings(Path conf, String ownPrefix) {
        Settings s = Settings.load(conf, ownPrefix);
        org.farmwatch.classify.Classifiers.of(s.classify());
        return s;
    }

    Map<String, Object> execute(Request r) {
        long started = System.currentTimeMillis();
        String runId = r.runId() != null ? r.runId() : "run-" + Instant.ofEpochMilli(started).toString()
                .replaceAll("[^0-9T]", "").substring(0, 15);
        if (!runId.matches("[A-Za-z0-9_.-]{1,64}")) {
            throw FarmwatchException.usage("--run-id must be 1-64 letters, digits, '.', '_' or '-', got: " + runId);
        }
        // Configuration and inputs are checked before any work starts.
        Settings settings = settings(r.conf(), r.ownConfPrefix());
        // A Hadoop --out (hdfs://...) is resolved now: a scheme without a FileSystem class is exit 2 before any reading.
        RunOutput out = RunOutput.of(r.out(), runId);
        log.printf("[farmwatch] run %s: reading scenes%n", runId);
        List<Map<String, Object>> rejected = new ArrayList<>();
        List<String> beforeArgs = r.before();
        List<String> afterArgs = r.after();
        Catalogue.Window beforeWindow = null;
        Catalogue.Window afterWindow = null;
        if (r.catalogue() != null) {
            beforeWindow = Catalogue.Window.parse("--before-period", r.beforeWindow());
            afterWindow = Catalogue.Window.parse("--after-period", r.afterWindow());
            beforeArgs = Catalogue.scan(r.catalogue());
            afterArgs = beforeArgs;
        }
        Period beforePeriod = period("before", beforeArgs, beforeWindow, settings, rejected);
        Period afterPeriod = period("after", afterArgs, afterWindow, settings, rejected);
        Scene before = beforePeriod.latest();
        Scene after = afterPeriod.latest();
        if (!beforePeriod.date().isBefore(afterPeriod.scenes().get(0).date())) {
            throw FarmwatchException.input("--before scene " + before.id() + " (" + before.date()
                    + ") must be earlier than --after scene " + afterPeriod.scenes().get(0).id() + " ("
                    + afterPeriod.scenes().get(0).date() + ")");
        }
        ParcelSource farmland = ParcelSources.open(r.farmland(), settings.fields());
        PostgisOneMap onemap = null;
        Map<String, List<PastVerdicts.Judged>> judged = new java.util.HashMap<>();
        String judgedCrs = null;
        if (r.onemap() != null) {
            // Checked before any work: an unreachable one map fails the run at once with exit 4.
            onemap = PostgisOneMap.at(r.onemap(), r.onemapSchema());
            onemap.check(settings.grid().autoCrs() ? null : settings.grid().crs());
            PastVerdicts fromMap = new OneMapVerdicts(onemap).pastVerdicts(settings.flag().growthFactor());
            fromMap.forEach((parcel, j) -> PastVerdicts.add(judged, parcel, j));
            judgedCrs = fromMap.crs();
        }
        // Without PostGIS: earlier runs' GeoPackages, with the verdicts imported into them.
        for (Path g : r.verdicts()) {
            int had = judged.values().stream().mapToInt(List::size).sum();
            String crs = GeoPackageVerdicts.judged(g, judged);
            if (judged.values().stream().mapToInt(List::size).sum() > had) {
                judgedCrs = GeoPackageVerdicts.mergeCrs(judgedCrs, crs, g.toString());
            }
        }
        // A missing, damaged or stale change model is exit 2 before any work, as a bad classify.model is.
        String modelPath = settings.change().model();
        if (modelPath != null && changeModelOptional
                && !org.farmwatch.spark.ChangeModels.exists(modelPath, new org.apache.hadoop.conf.Configuration())) {
            log.printf("[farmwatch] run %s: no change model in %s yet: patches keep the detector's confidence%n", runId,
                    modelPath);
            modelPath = null;
        }
        org.farmwatch.change.ChangeModel changeModel = org.farmwatch.spark.ChangeModels.load(modelPath,
                new org.apache.hadoop.conf.Configuration());
        PastVerdicts verdicts = judged.isEmpty() ? PastVerdicts.none()
                : PastVerdicts.of(judgedCrs, settings.flag().growthFactor(), judged);
        if (!verdicts.isEmpty()) {
            log.printf("[farmwatch] run %s: %d patches judged false alarm or approved are not flagged again unless they "
                    + "grew %.2fx%n", runId, verdicts.judgedPatches(), settings.flag().growthFactor());
        }

        List<String> inputPaths = new ArrayList<>();
        beforePeriod.scenes().forEach(sc -> sc.bands().values().forEach(b -> inputPaths.add(b.path())));
        afterPeriod.scenes().forEach(sc -> sc.bands().values().forEach(b -> inputPaths.add(b.path())));
        inputPaths.add(r.farmland());
        if (r.conf() != null) {
            inputPaths.add(r.conf().toString());
        }
        out.refuseUnsafe(inputPaths);
        Path stage = out.open();
        Map<String, Object> manifest = new LinkedHashMap<>();
        SparkSession spark = null;
        String phase = "the Spark job";
        try {
            spark = SparkSessions.createLoggingTo("farmwatch " + runId, r.master(), out.sideFolder() + "/spark-events");
            FarmwatchJob.Output o = new FarmwatchJob(log).withVerdicts(verdicts).withChangeModel(changeModel).run(spark,
                    new FarmwatchJob.Inputs(beforePeriod, afterPeriod, farmland, settings, runId), out.changeTiles(),
                    org.farmwatch.pipeline.TileStore.location(settings.storeDir(),
                            out.uri()));
            Map<String, Double> seconds = new LinkedHashMap<>(o.stageSeconds());
            refuseUnjudgeable(o.counts(), afterPeriod);
            out.gatherTiles();

            phase = "publishing";
            long t0 = System.nanoTime();
            // Streamed partition by partition: the driver never holds all patches at once.
            Iterator<ChangePatch> patches = o.outlines().toLocalIterator();
            List<FlaggedParcel> flagged = new ArrayList<>();
            Iterator<FlaggedParcel> fit = o.flagged().toLocalIterator();
            // The inspector lists and report need the flagged parcels together; they are the run's findings,
            // bounded by what inspectors can visit, not by the size of the farmland base.
            fit.forEachRemaining(flagged::add);
            flagged.sort(java.util.Comparator.comparing(FlaggedParcel::priority).reversed()
                    .thenComparing(FlaggedParcel::parcelId));
            // The patches that flagged parcels are kept on the way for the patch list and dossiers: as few as those.
            List<ChangePatch> listedPatches = new ArrayList<>();
            long[] written = OneMapGeoPackage.write(stage.resolve("onemap.gpkg"), o.layout().crs(), runId,
                    PatchList.keeping(patches, PatchList.flaggingPatchIds(flagged), listedPatches::add),
                    flagged.iterator());
            // What a change model judges each patch by, for 'farmwatch train-change' once inspectors return verdicts.
            PatchEvidenceTable.write(stage.resolve("onemap.gpkg"), o.patches().toLocalIterator());
            // The verdicts this run applied go along, so the next run needs only this run's GeoPackage.
            GeoPackageVerdicts.carry(stage.resolve("onemap.gpkg"), verdicts.crs(), verdicts);
            published(seconds, "publish_gpkg", t0, "onemap.gpkg, " + written[0] + " patches and " + written[1] + " flagged parcels");

            java.util.Set<PublishOutput> wanted = settings.publish().outputs();
            List<String> outputs = new ArrayList<>(List.of("onemap.gpkg"));
            t0 = System.nanoTime();
            boolean change = wanted.contains(PublishOutput.CHANGE_RASTER);
            boolean detail = wanted.contains(PublishOutput.CHANGE_DETAIL);
            if (change || detail) {
                ChangeRaster.buildCogs(stage.resolve(".change-tiles"), change ? stage.resolve("change.tif") : null,
                        detail ? stage.resolve("change_detail.tif") : null);
                if (change) {
                    outputs.add("change.tif");
                }
                if (detail) {
                    outputs.add("change_detail.tif");
                }
                published(seconds, "publish_cog", t0, "change COGs");
            }

            t0 = System.nanoTime();
            // QGIS: before/after true-colour COGs from the tiles the job wrote (the period composites, on the
            // change raster's grid), then onemap.qgz referencing every layer.
            Path trueColour = TrueColourCog.tilesBeside(stage.resolve(".change-tiles"));
            if (wanted.contains(PublishOutput.TRUE_COLOUR)) {
                TrueColourCog.assemble(Map.of(trueColour.resolve("before"), stage.resolve(QgisProject.BEFORE_TRUE_COLOUR),
                        trueColour.resolve("after"), stage.resolve(QgisProject.AFTER_TRUE_COLOUR)));
                outputs.addAll(List.of(QgisProject.BEFORE_TRUE_COLOUR, QgisProject.AFTER_TRUE_COLOUR));
            }
            OutputDir.deleteTree(stage.resolve(".change-tiles"));
            OutputDir.deleteTree(trueColour);
            if (wanted.contains(PublishOutput.QGIS)) {
                // The farmland that did not trigger, too, under the findings (faint), over the area both dates see.
                String crs = o.layout().crs();
                org.locationtech.jts.geom.Envelope area = SceneCatalog.footprint(before, crs)
                        .intersection(SceneCatalog.footprint(after, crs));
                OneMapGeoPackage.writeFarmland(stage.resolve("onemap.gpkg"), crs,
                        sink -> farmland.forEachIn(area, crs, sink, reject -> { }));
                QgisProject.write(stage, crs, before.date().toString(), after.date().toString(), new QgisProject.Extras(true,
                        onemap == null ? null : onemap.qgisDataSource(org.farmwatch.publish.QgisStyle.Kind.CHANGE_PATCHES, crs),
                        onemap == null ? null : onemap.qgisDataSource(org.farmwatch.publish.QgisStyle.Kind.FLAGGED_PARCELS, crs),
                        settings.basemapUrl()));
                outputs.add(QgisProject.FILE_NAME);
            }
            if (wanted.contains(PublishOutput.TRUE_COLOUR) || wanted.contains(PublishOutput.QGIS)) {
                published(seconds, "publish_qgis", t0, "true-colour COGs and QGIS project");
            }
            int dossierFiles = 0;
            Map<String, String> dossierNames = new LinkedHashMap<>();
            if (wanted.contains(PublishOutput.INSPECTOR)) {
                t0 = System.nanoTime();
                Path inspector = stage.resolve("inspector");
                Files.createDirectories(inspector);
                List<PatchList.Row> patchRows = PatchList.rows(listedPatches, flagged, AdminNames.load(r.conf()),
                        new CgcsLocator(o.layout().crs()));
                Map<String, String> dossierLinks = new LinkedHashMap<>();
                if (wanted.contains(PublishOutput.DOSSIERS) && PdfDossier.cjkFont().isPresent()) {
                    PdfDossier.fileNames(flagged).forEach((t, f) -> dossierLinks.put(t, PdfDossier.DIR + "/" + f));
                }
                InspectorLists.write(flagged, patchRows, dossierLinks, inspector);
                if (!patchRows.isEmpty()) {
                    outputs.add("inspector/" + PatchList.CSV_FILE);
                }
                Quicklook.Image ql = Quicklook.ofCog(stage.resolve(QgisProject.AFTER_TRUE_COLOUR), stage.resolve(".quicklook"), 1024);
                OutputDir.deleteTree(stage.resolve(".quicklook"));
                CoordinateTransformation toLonLat = CoordinateTransformation.CreateCoordinateTransformation(
                        SceneCatalog.srs(o.layout().crs()), SceneCatalog.srs("EPSG:4326"));
                String geoJson = ReportPage.featureCollection(flagged, g -> transform(g, toLonLat));
                ReportPage.write(stage.resolve("report.html"),
                        new ReportPage.ReportSummary(runId, before.date().toString(), after.date().toString(),
                                java.util.stream.Stream.concat(beforePeriod.sceneIds().stream(), afterPeriod.sceneIds().stream())
                                        .toList(), o.counts().getOrDefault("parcels_read", 0L), written[0],
                                ReportPage.ReportSummary.countByChangeType(flagged)),
                        flagged, ReportPage.MapLayer.overPng(geoJson, ql.png(), ql.boundsLonLat()),
                        ImageChips.of(flagged, stage.resolve(QgisProject.BEFORE_TRUE_COLOUR),
                                stage.resolve(QgisProject.AFTER_TRUE_COLOUR), stage.resolve(".quicklook"), 500, 96),
                        ReportSections.patchOutlines(flagged, listedPatches));
                OutputDir.deleteTree(stage.resolve(".quicklook")); // the chips' scratch folder: not part of the output
                published(seconds, "publish_reports", t0, "inspector lists and report.html");
                outputs.addAll(List.of("inspector/flagged_parcels.csv", "inspector/flagged_parcels.xlsx", "report.html"));
            }
            if (wanted.contains(PublishOutput.DOSSIERS)) {
                t0 = System.nanoTime();
                // Field dossiers need a CJK font; without one the lists and report still serve, so warn only.
                java.util.Optional<Path> font = PdfDossier.cjkFont();
                if (font.isPresent()) {
                    List<Path> dossiers = PdfDossier.write(flagged, listedPatches, stage.resolve(QgisProject.BEFORE_TRUE_COLOUR),
                            stage.resolve(QgisProject.AFTER_TRUE_COLOUR), stage.resolve("inspector").resolve(PdfDossier.DIR),
                            font.get(), runId);
                    dossierFiles = dossiers.size();
                    outputs.add("inspector/" + PdfDossier.DIR + "/");
                    // Which file holds which township: names are made file-safe, so the map says it.
                    PdfDossier.fileNames(flagged).forEach((t, f) -> dossierNames.put(
                            org.farmwatch.util.Text.bounded(t, 200), "inspector/" + PdfDossier.DIR + "/" + f));
                } else {
                    log.printf("[farmwatch] run %s: no CJK font (install fonts-wqy-microhei): PDF dossiers not written%n", runId);
                }
                published(seconds, "publish_dossiers", t0, dossierFiles + " PDF dossiers");
            }

            manifest.put("run_id", runId);
            manifest.put("status", "succeeded");
            manifest.put("started", Instant.ofEpochMilli(started).toString());
            Instant finished = Instant.now();
            manifest.put("finished", finished.toString());
            Map<String, Object> inputs = new LinkedHashMap<>();
            inputs.put("before", beforePeriod.scenes().stream().map(PipelineRun::sceneJson).toList());
            inputs.put("after", afterPeriod.scenes().stream().map(PipelineRun::sceneJson).toList());
            inputs.put("farmland", farmland.describe());
            manifest.put("inputs", inputs);
            Map<String, Object> grid = new LinkedHashMap<>();
            grid.put("crs", o.layout().crs());
            grid.put("cell_size_m", o.layout().cellSizeMetres());
            grid.put("tile_size", o.layout().tileSize());
            grid.put("origin", List.of(o.layout().originX(), o.layout().originY()));
            manifest.put("grid", grid);
            manifest.put("parameters", settings.echo());
            Map<String, Object> counts = new LinkedHashMap<>(o.counts());
            counts.put("patches_written", written[0]);
            counts.put("flagged_written", written[1]);
            counts.put("dossier_files", (long) dossierFiles);
            Map<String, Long> byType = new LinkedHashMap<>();
            flagged.forEach(f -> byType.merge(f.changeType().code, 1L, Long::sum));
            counts.put("flagged_by_type", byType);
            manifest.put("counts", counts);
            rejected.addAll(o.rejects());
            // Every farmland feature no run can use (no geometry, not a polygon, no parcel_id), over the whole source.
            org.farmwatch.farmland.RejectTally tally = farmland.rejectTally();
            counts.put("parcels_rejected_in_source", tally.rejected());
            counts.put("parcels_rejected_by_reason", tally.countsByReason());
            rejected.addAll(tally.listed());
            manifest.put("rejected", rejected);
            if (onemap != null) {
                phase = "publishing to the one map";
                t0 = System.nanoTime();
                PostgisOneMap.Result pub = onemap.publish(
                        PostgisOneMap.RunRecord.of(runId, Instant.ofEpochMilli(started), finished, "succeeded",
                                settings.echo(), inputs, counts),
                        o.outlines().toLocalIterator(), flagged, o.layout().crs());
                // What a change model judges each patch by, for train-change on the verdicts imported into the one map.
                long kept = org.farmwatch.publish.PostgisPatchEvidence.write(onemap, runId, o.patches().toLocalIterator());
                counts.put("patch_evidence_written", kept);
                seconds.put("publish_onemap", secs(t0));
                Map<String, Object> om = new LinkedHashMap<>();
                om.put("target", onemap.describe());
                om.put("patches", pub.patches());
                om.put("parcels", pub.parcels());
                om.put("new_parcels", pub.newParcels());
                manifest.put("onemap", om);
                log.printf("[farmwatch] run %s: one map %s: %d patches, %d parcels (%d new) in %.1f s%n", runId,
                        onemap.describe(), pub.patches(), pub.parcels(), pub.newParcels(), pub.seconds());
            }
            manifest.put("seconds", seconds);
            Map<String, Object> versions = new LinkedHashMap<>();
            versions.put("farmwatch", "0.1.0");
            versions.put("spark", spark.version());
            versions.put("gdal", gdal.VersionInfo("RELEASE_NAME"));
            versions.put("java", System.getProperty("java.version"));
            manifest.put("versions", versions);
            outputs.add("run.json");
            manifest.put("outputs", outputs);
            if (!dossierNames.isEmpty()) {
                manifest.put("dossiers", dossierNames);
            }
            Files.writeString(stage.resolve("run.json"), Json.write(manifest), StandardCharsets.UTF_8);
            SparkSessions.stop(spark, runId);
            spark = null;
            out.commit();
            log.printf("[farmwatch] run %s done: %d patches, %d flagged parcels%s -> %s%n", runId, written[0], written[1],
                    tally.rejected() == 0 ? "" : ", " + tally.rejected() + " farmland features rejected (" + tally.summary()
                            + "; run.json \"rejected\")", r.out());
            return manifest;
        } catch (IOException e) {
            throw out.explain(new FarmwatchException(FarmwatchException.Kind.INTERNAL, phase + " failed: " + e, e));
        } catch (RuntimeException e) {
            throw out.explain(e);
        } finally {
            if (spark != null) {
                SparkSessions.stop(spark, runId);
            }
            out.abandon();
        }
    }

    /**
     * The fewest clear cells of the current period over the farmland's tiles a run judges from: as many as a tile
     * needs to fit its radiometric model (see {@code ChangeDetector}). Below it, "no change" would only mean "not
     * seen".
     */
    static final long MIN_CLEAR_CELLS = 256;

    /** Refuses (exit 3) a run that saw too little to judge, so that "nothing changed" and "could not see" never look alike. */
    private static void refuseUnjudgeable(Map<String, Long> counts, Period after) {
        Long clear = counts.get("clear_cells");
        if (clear != null && clear < MIN_CLEAR_CELLS) {
            throw FarmwatchException.input("--after scenes " + after.sceneIds() + " show only " + clear
                    + " clear cells over the farmland, fewer than the " + MIN_CLEAR_CELLS
                    + " a run needs to judge change: cannot judge (no output written)");
        }
    }

    /**
     * Opens a period's scenes. A scene that cannot be used is listed with its reason and the others go
     * on; a period left without any scene stops the run with the first scene's error.
     */
    private Period period(String name, List<String> args, Catalogue.Window window, Settings settings,
                          List<Map<String, Object>> rejected) {
        List<Scene> scenes = new ArrayList<>();
        FarmwatchException first = null;
        for (String arg : args) {
            try {
                Scene s = SceneCatalog.open(arg, window != null).withDarkObject(settings.ingest().darkObject());
                if (window == null || window.contains(s.date())) {
                    scenes.add(s);
                }
            } catch (FarmwatchException e) {
                if (e.kind() != FarmwatchException.Kind.INPUT) {
                    throw e;
                }
                first = first == null ? e : first;
                if (window == null || name.equals("before")) {
                    Map<String, Object> m = new LinkedHashMap<>();
                    m.put("scene", arg);
                    m.put("reason", e.getMessage());
                    rejected.add(m);
                    // One line each, whatever the path or the message holds (CR, LF, bidi overrides).
                    log.printf("[farmwatch] rejected scene %s: %s%n", org.farmwatch.util.Text.escaped(arg),
                            org.farmwatch.util.Text.escaped(e.getMessage()));
                }
            }
        }
        if (scenes.isEmpty()) {
            if (first != null && (window == null || args.size() == 1)) {
                throw first;
            }
            throw FarmwatchException.input("no usable scene for the " + name + " period"
                    + (window == null ? "" : " " + window.start() + "/" + window.end()) + " among " + args.size()
                    + " candidates" + (first == null ? "" : " (first problem: " + first.getMessage() + ")"));
        }
        return new Period(name, scenes);
    }

    private static Map<String, Object> sceneJson(Scene s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", s.id());
        m.put("date", s.date().toString());
        m.put("source", s.bands().get(org.farmwatch.ingest.Band.RED).path());
        m.put("cloud_mask", s.scl() != null ? s.maskKind().name() : "spectral test");
        m.put("dark_object_subtraction", s.darkObjectApplied());
        return m;
    }

    private static Geometry transform(Geometry g, CoordinateTransformation ct) {
        return new GeometryTransformer() {
            @Override
            protected org.locationtech.jts.geom.CoordinateSequence transformCoordinates(
                    org.locationtech.jts.geom.CoordinateSequence coords, Geometry parent) {
                Coordinate[] out = new Coordinate[coords.size()];
                for (int i = 0; i < coords.size(); i++) {
                    double[] t = ct.TransformPoint(coords.getX(i), coords.getY(i));
                    out[i] = new Coordinate(t[0], t[1]);
                }
                return factory.getCoordinateSequenceFactory().create(out);
            }
        }.transform(g);
    }

    /** Records a publishing step's seconds and says it is done: publishing a whole tile takes a minute. */
    private void published(Map<String, Double> seconds, String stage, long t0, String what) {
        double s = secs(t0);
        seconds.put(stage, s);
        log.printf("[farmwatch] publish: %s, %.1f s%n", what, s);
    }

    private static double secs(long t0) {
        return Math.round((System.nanoTime() - t0) / 1e8) / 10.0;
    }
}
