package org.farmwatch.change;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The change model as executors apply it: the boosted trees' margin, its JSON form, and models it must refuse. */
class ChangeModelTest {

    /** Two stumps on NDVI change: a loss of green is a real conversion, more or less sure. */
    private static ChangeModel stumps() {
        int ndviChange = ChangeFeatures.NAMES.indexOf("ndvi_change");
        // Tree 0: nodes 0 (split), 1 (leaf -1), 2 (leaf +1); tree 1: nodes 3 (split), 4 (leaf -0.5), 5 (leaf +0.5).
        return new ChangeModel(0.4, new double[] {1, 0.1}, new int[] {0, 3},
                new int[] {ndviChange, -1, -1, ndviChange, -1, -1},
                new double[] {-0.3, 0.9, 0.2, -0.1, 0.6, 0.0},
                new int[] {1, -1, -1, 4, -1, -1}, new int[] {2, -1, -1, 5, -1, -1});
    }

    @Test
    void probabilityIsTheWeightedMeanOfTheTreesLeaves() {
        double[] x = new double[ChangeFeatures.NAMES.size()];
        x[ChangeFeatures.NAMES.indexOf("ndvi_change")] = -0.5;   // left in both trees
        assertEquals((0.9 * 1 + 0.6 * 0.1) / 1.1, stumps().probability(x), 1e-12);
        x[ChangeFeatures.NAMES.indexOf("ndvi_change")] = 0.2;    // right in both
        assertEquals((0.2 * 1 + 0.0 * 0.1) / 1.1, stumps().probability(x), 1e-12);
        x[ChangeFeatures.NAMES.indexOf("ndvi_change")] = -0.2;   // right in the first, left in the second
        assertEquals((0.2 * 1 + 0.6 * 0.1) / 1.1, stumps().probability(x), 1e-12);
    }

    @Test
    void readsBackWhatItWrote() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        stumps().write(b);
        ChangeModel back = ChangeModel.read(new ByteArrayInputStream(b.toByteArray()), "test");
        double[] x = new double[ChangeFeatures.NAMES.size()];
        x[ChangeFeatures.NAMES.indexOf("ndvi_change")] = -0.2;
        assertEquals(stumps().probability(x), back.probability(x), 0);
        assertEquals(0.4, back.suggestedThreshold());
        assertEquals(2, back.trees());
    }

    @Test
    void aDamagedFileIsRefusedNamingIt() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        stumps().write(b);
        String json = b.toString(StandardCharsets.UTF_8);
        IllegalArgumentException cut = assertThrows(IllegalArgumentException.class, () -> ChangeModel.read(
                new ByteArrayInputStream(json.substring(0, json.length() / 2).getBytes(StandardCharsets.UTF_8)),
                "change.model /m"));
        assertTrue(cut.getMessage().startsWith("change.model /m is damaged"), cut.getMessage());
        IllegalArgumentException loop = assertThrows(IllegalArgumentException.class, () -> ChangeModel.read(
                new ByteArrayInputStream(json.replaceFirst("\\[\\s*(\\d+),\\s*(-?[0-9.E]+),\\s*1,", "[ $1, $2, 0,")
                        .getBytes(StandardCharsets.UTF_8)), "change.model /m"));
        assertTrue(loop.getMessage().contains("damaged"), loop.getMessage());
    }

    @Test
    void aModelOfOtherFeaturesIsStale() throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        stumps().write(b);
        String json = b.toString(StandardCharsets.UTF_8).replace("\"feature_version\" : " + ChangeFeatures.VERSION,
                "\"feature_version\" : " + (ChangeFeatures.VERSION + 7));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ChangeModel.read(
                new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)), "change.model /m"));
        assertTrue(e.getMessage().contains("stale") && e.getMessage().contains("train-change"), e.getMessage());
    }

    @Test
    void somethingElseIsNotAChangeModel() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ChangeModel.read(
                new ByteArrayInputStream("{\"trees\": []}".getBytes(StandardCharsets.UTF_8)), "change.model /m"));
        assertTrue(e.getMessage().contains("not a change model"), e.getMessage());
    }
}
