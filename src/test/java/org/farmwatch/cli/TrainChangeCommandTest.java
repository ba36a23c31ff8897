package org.farmwatch.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.farmwatch.change.ChangeModel;
import org.farmwatch.util.Gdal;
import org.gdal.ogr.DataSource;
import org.gdal.ogr.Feature;
import org.gdal.ogr.FieldDefn;
import org.gdal.ogr.Layer;
import org.gdal.ogr.ogr;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code farmwatch train-change} and {@code change.model} on the sample: a run keeps each patch's evidence,
 * verdicts imported into its GeoPackage train a model, a later run ranks and demotes by it; bad verdicts, one-sided
 * verdicts and missing, damaged or stale models are refused with nothing written.
 */
class TrainChangeCommandTest {

    @TempDir
    static Path tmp;

    /** The sample run that the verdicts are about. */
    static Path first;

    @BeforeAll
    static void runTheSample() throws IOException {
        first = tmp.resolve("first");
        Cli r = run(first, "first");
        assertEquals(0, r.exit(), r.err());
    }

    private static Cli run(Path out, String runId, String... confLines) throws IOException {
        Path conf = tmp.resolve(runId + ".conf");
        Files.writeString(conf, String.join("\n", confLines) + "\n");
        return Cli.run("run", "--before", ExitCodesTest.BEFORE, "--after", ExitCodesTest.AFTER, "--farmland",
                ExitCodesTest.FARMLAND, "--out", out.toString(), "--conf", conf.toString(), "--master", "local[2]",
                "--run-id", runId);
    }

    /** Patch id -> {change_type, detector confidence} of a run's patch_evidence table. */
    private static Map<String, String[]> evidence(Path gpkg) {
        Gdal.init();
        Map<String, String[]> out = new HashMap<>();
        DataSource ds = ogr.Open(gpkg.toString(), 0);
        try {
            Layer l = ds.GetLayerByName("patch_evidence");
            Feature f;
            while ((f = l.GetNextFeature()) != null) {
                out.put(f.GetFieldAsString("patch_id"), new String[] {f.GetFieldAsString("change_type"),
                        f.GetFieldAsString("detector_confidence"), f.GetFieldAsString("evidence")});
                f.delete();
            }
        } finally {
            ds.delete();
        }
        return out;
    }

    /**
     * A copy of the first run's GeoPackage with a verdicts table: each judged patch gets the verdict {@code verdictOf}
     * gives its detector confidence.
     */
    private static Path withVerdicts(String name, java.util.function.DoubleFunction<String> verdictOf) throws IOException {
        Path gpkg = tmp.resolve(name + ".gpkg");
        Files.copy(first.resolve("onemap.gpkg"), gpkg);
        DataSource ds = ogr.Open(gpkg.toString(), 1);
        try {
            Layer v = ds.CreateLayer("verdicts", null, ogr.wkbNone);
            for (String field : List.of("parcel_id", "patch_id", "verdict", "approval_number", "decided_on")) {
                v.CreateField(new FieldDefn(field, ogr.OFTString));
            }
            v.StartTransaction();
            for (Map.Entry<String, String[]> e : evidence(gpkg).entrySet()) {
                if (!e.getValue()[0].equals("non_agricultural") && !e.getValue()[0].equals("non_grain")) {
                    continue; // inspectors see the patches sent to them only
                }
                Feature f = new Feature(v.GetLayerDefn());
                f.SetField("parcel_id", "P-" + e.getKey());
                f.SetField("patch_id", e.getKey());
                f.SetField("verdict", verdictOf.apply(Double.parseDouble(e.getValue()[1])));
                v.CreateFeature(f);
                f.delete();
            }
            v.CommitTransaction();
        } finally {
            ds.delete();
        }
        return gpkg;
    }

    @Test
    void aRunsWholeOutputIsOneALaterRunMayReplace() {
        // Every file a run writes must be known as farmwatch's own, or the next run into the folder is refused.
        assertEquals(null, OutputDir.foreignContent(first), "the sample run's output, every product included");
    }

    @Test
    void everyPublishedPatchKeepsItsEvidence() {
        Map<String, String[]> e = evidence(first.resolve("onemap.gpkg"));
        DataSource ds = ogr.Open(first.resolve("onemap.gpkg").toString(), 0);
        long patches = ds.GetLayerByName("change_patches").GetFeatureCount();
        ds.delete();
        assertTrue(patches > 10, "the sample has patches to judge: " + patches);
        assertEquals(patches, e.size(), "one evidence row per published patch");
        for (String[] row : e.values()) {
            assertEquals(42, row[2].split(" ").length, "sums of five quantities on two dates, patch and ring");
            assertFalse(row[2].startsWith("0.0 "), "a patch has clear cells: " + row[2]);
        }
    }

    @Test
    void verdictsTrainAModelThatALaterRunRanksAndDemotesBy() throws IOException {
        // Inspectors found the surest detections real and the others false alarms: a learnable verdict.
        Path judged = withVerdicts("judged", c -> c >= 0.75 ? "confirmed" : "false_alarm");
        Path model = tmp.resolve("model");
        Cli t = Cli.run("train-change", "--verdicts", judged.toString(), "--out", model.toString(), "--trees", "30",
                "--master", "local[2]");
        assertEquals(0, t.exit(), t.err());
        assertTrue(Files.isRegularFile(model.resolve(ChangeModel.FILE)));
        assertTrue(Files.isDirectory(model.resolve("mllib")), "the MLlib model is kept beside the flat one");
        JsonNode summary = new ObjectMapper().readTree(model.resolve("summary.json").toFile());
        long real = summary.get("real_conversions").asLong();
        long alarms = summary.get("false_alarms").asLong();
        assertTrue(real > 0 && alarms > 0, summary.toString());
        assertTrue(summary.get("feature_importances").size() > 0, summary.toString());
        assertTrue(summary.get("cross_validation").get("auc").asDouble() > 0.8,
                "confidence decides the verdict, so the model must find it: " + summary);
        assertTrue(t.out().contains("change model"), t.out());

        Path second = tmp.resolve("second");
        Cli r = run(second, "second", "change.model = " + model);
        assertEquals(0, r.exit(), r.err());
        JsonNode counts = new ObjectMapper().readTree(second.resolve("run.json").toFile()).get("counts");
        assertTrue(counts.has("patches_demoted_by_model"), counts.toString());
        long demoted = counts.get("patches_demoted_by_model").asLong();
        assertTrue(demoted > 0, "the model sends the false alarms' kind to low_confidence: " + counts);
        // Each patch's confidence is now the model's probability: the flagging ones at or above its threshold.
        double threshold = summary.get("cross_validation").get("threshold").asDouble();
        DataSource ds = ogr.Open(second.resolve("onemap.gpkg").toString(), 0);
        try {
            Layer l = ds.GetLayerByName("change_patches");
            Feature f;
            int flagging = 0;
            while ((f = l.GetNextFeature()) != null) {
                String type = f.GetFieldAsString("change_type");
                if (type.equals("non_agricultural") || type.equals("non_grain")) {
                    flagging++;
                    assertTrue(f.GetFieldAsDouble("confidence") >= threshold - 1e-3, "patch "
                            + f.GetFieldAsString("patch_id") + " sent with " + f.GetFieldAsDouble("confidence"));
                }
                f.delete();
            }
            assertTrue(flagging > 0, "the model keeps the sure ones");
        } finally {
            ds.delete();
        }
    }

    @Test
    void aBadVerdictRowIsRefusedNamingItWithNoModelWritten() throws IOException {
        Path bad = withVerdicts("bad", c -> c >= 0.9 ? "maybe" : "false_alarm");
        Path model = tmp.resolve("bad-model");
        Cli t = Cli.run("train-change", "--verdicts", bad.toString(), "--out", model.toString());
        assertEquals(3, t.exit(), t.err());
        assertTrue(t.err().contains("verdicts row") && t.err().contains("'maybe'"), t.err());
        assertFalse(Files.exists(model));
    }

    @Test
    void onlyFalseAlarmsRefuseToTrainAndSayWhy() throws IOException {
        Path oneSided = withVerdicts("one-sided", c -> "false_alarm");
        Path model = tmp.resolve("one-sided-model");
        Cli t = Cli.run("train-change", "--verdicts", oneSided.toString(), "--out", model.toString(), "--master",
                "local[2]");
        assertEquals(3, t.exit(), t.err());
        assertTrue(t.err().contains("0 patches real conversions") && t.err().contains("some of each"), t.err());
        assertFalse(Files.exists(model));
    }

    @Test
    void aMissingDamagedOrStaleModelStopsTheRunWithExit2NamingTheKey() throws IOException {
        Path missing = tmp.resolve("no-such-model");
        Path damaged = tmp.resolve("damaged-model");
        Files.createDirectories(damaged);
        Files.writeString(damaged.resolve(ChangeModel.FILE), "{\"format\": \"farmwatch-change-model-1\", \"nodes\": [");
        Path stale = tmp.resolve("stale-model");
        Files.createDirectories(stale);
        Files.writeString(stale.resolve(ChangeModel.FILE), "{\"format\": \"farmwatch-change-model-1\", "
                + "\"feature_version\": 0, \"features\": [\"ndvi\"], \"threshold\": 0.5, \"trees\": [], \"nodes\": []}");
        List<String> said = new ArrayList<>();
        for (Path model : List.of(missing, damaged, stale)) {
            Path out = tmp.resolve("refused-" + model.getFileName());
            Cli r = run(out, "refused", "change.model = " + model);
            assertEquals(2, r.exit(), r.err());
            assertTrue(r.err().contains("change.model " + model), r.err());
            assertFalse(Files.exists(out.resolve("run.json")), "nothing published");
            said.add(r.err());
        }
        assertTrue(said.get(0).contains("train-change"), said.get(0));
        assertTrue(said.get(1).contains("damaged"), said.get(1));
        assertTrue(said.get(2).contains("stale"), said.get(2));
    }

    @Test
    void aThresholdOutsideZeroToOneIsAUsageError() throws IOException {
        Cli r = run(tmp.resolve("bad-threshold"), "bad-threshold", "change.modelThreshold = 1.5");
        assertEquals(2, r.exit(), r.err());
        assertTrue(r.err().contains("change.modelThreshold"), r.err());
    }
}
