package org.farmwatch.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.UUID;
import org.farmwatch.change.ChangeModel;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code nightly.retrain = monthly} against a real PostGIS one map: the first night runs without a model and keeps
 * its patches' evidence; verdicts arrive; the next night trains a model from them (one in five held back) into
 * {@code change.model}; a later night the same month leaves it alone.
 */
class NightlyRetrainTest {

    @TempDir
    Path tmp;

    private Path conf(String url, String schema, Path model) throws Exception {
        Path f = tmp.resolve("nightly.conf");
        Files.writeString(f, String.join("\n",
                "nightly.region = retrain-region",
                "nightly.catalog = sample-tiles/scenes",
                "nightly.farmland = sample-tiles/farmland.gpkg",
                "nightly.onemap = " + url,
                "nightly.onemapSchema = " + schema,
                "nightly.out = " + tmp.resolve("out"),
                "nightly.beforePeriod = 2025-03-01/2025-05-31",
                "nightly.afterPeriod = 2025-08-01/2025-10-31",
                "nightly.retrain = monthly",
                "change.model = " + model, ""));
        return f;
    }

    @Test
    void verdictsInTheOneMapTrainTheNextNightsModelOnceAMonth() throws Exception {
        String url = PostgisFarmlandRunTest.pgUrl();
        String[] j = PostgisFarmlandRunTest.jdbc(url);
        String schema = "retrain_" + UUID.randomUUID().toString().substring(0, 8);
        Path model = tmp.resolve("model");
        Path conf = conf(url, schema, model);
        try (Connection c = DriverManager.getConnection(j[0], j[1], System.getenv().getOrDefault("PGPASSWORD", ""));
             Statement st = c.createStatement()) {
            try {
                Cli first = Cli.run("nightly", "--conf", conf.toString(), "--master", "local[2]");
                assertEquals(0, first.exit(), first.err());
                assertTrue(first.err().contains("not retrained"), first.err());
                assertFalse(Files.exists(model), "no verdicts yet: no model");
                long kept;
                try (ResultSet rs = st.executeQuery("SELECT count(*) FROM " + schema + ".patch_evidence")) {
                    rs.next();
                    kept = rs.getLong(1);
                }
                assertTrue(kept > 10, "the night kept its patches' evidence: " + kept);

                // The inspectors return: the surest detections real, the others false alarms.
                int judged = st.executeUpdate("INSERT INTO " + schema + ".verdicts (parcel_id, patch_id, verdict) "
                        + "SELECT 'P-' || patch_id, patch_id, CASE WHEN detector_confidence >= 0.75 THEN 'confirmed' "
                        + "ELSE 'false_alarm' END FROM " + schema + ".patch_evidence "
                        + "WHERE change_type IN ('non_agricultural', 'non_grain')");
                assertTrue(judged > 10, "verdicts to learn from: " + judged);

                Cli second = Cli.run("nightly", "--conf", conf.toString(), "--master", "local[2]");
                assertEquals(0, second.exit(), second.err());
                assertTrue(second.err().contains("change model retrained"), second.err());
                assertTrue(second.err().contains("nothing new"), "the scenes are old; the model is new: " + second.err());
                assertTrue(Files.isRegularFile(model.resolve(ChangeModel.FILE)));
                JsonNode summary = new ObjectMapper().readTree(model.resolve("summary.json").toFile());
                assertTrue(summary.get("trained_on").toString().contains(schema), summary.toString());
                assertTrue(summary.has("held_back") && summary.has("trained_at"), summary.toString());
                assertEquals(judged, summary.get("real_conversions").asLong() + summary.get("false_alarms").asLong(),
                        "every verdict is counted, the held-back ones included");

                Cli third = Cli.run("nightly", "--conf", conf.toString(), "--master", "local[2]");
                assertEquals(0, third.exit(), third.err());
                assertTrue(third.err().contains("not due"), third.err());
            } finally {
                st.execute("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
            }
        }
    }

    @Test
    void aNewModelReplacesTheOneInPlaceOnlyWhenItScoresHigherOnTheHeldBackVerdicts() {
        assertTrue(NightlyRetrain.replaces(false, 0.6, Double.NaN), "no model in place");
        assertTrue(NightlyRetrain.replaces(true, 0.8, 0.7));
        assertFalse(NightlyRetrain.replaces(true, 0.7, 0.8));
        assertFalse(NightlyRetrain.replaces(true, 0.7, 0.7), "a tie keeps the model in place");
        assertFalse(NightlyRetrain.replaces(true, Double.NaN, 0.7), "a new model that could not be scored");
        assertTrue(NightlyRetrain.replaces(true, 0.7, Double.NaN), "held-back verdicts of one kind cannot score the old");
    }
}
