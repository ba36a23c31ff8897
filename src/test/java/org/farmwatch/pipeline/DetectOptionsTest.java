package org.farmwatch.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.farmwatch.classify.ClassifierKind;
import org.farmwatch.classify.RuleClassifier;
import org.farmwatch.config.Settings;
import org.farmwatch.ingest.Compositor;
import org.farmwatch.spark.StageOptions;
import org.junit.jupiter.api.Test;

class DetectOptionsTest {

    private static DetectOptions with(int halo, double persistence, ClassifierKind kind, String model) {
        return new DetectOptions(halo, 0, Compositor.Method.MEDIAN, kind, model, RuleClassifier.Thresholds.DEFAULT,
                Settings.defaults().rules(), Double.NaN, 0.1, 0.1, false, 1.3, persistence, 0, true);
    }

    @Test
    void theShippedSettingsMakeValidOptions() {
        DetectOptions o = StageOptions.detect(Settings.defaults());
        assertEquals(Settings.defaults().rules(), o.rules());
        assertEquals(ClassifierKind.RULES, o.classifier());
    }

    @Test
    void aNegativeHaloIsRefusedQuotingIt() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> with(-3, Double.NaN, ClassifierKind.RULES, null));
        assertTrue(e.getMessage().contains("haloCells") && e.getMessage().contains("-3"), e.getMessage());
    }

    @Test
    void aPersistenceShareOfOneIsRefusedAndNaNMeansOff() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> with(16, 1.0, ClassifierKind.RULES, null));
        assertTrue(e.getMessage().contains("persistenceShare") && e.getMessage().contains("1.0"), e.getMessage());
        assertTrue(Double.isNaN(with(16, Double.NaN, ClassifierKind.RULES, null).persistenceShare()));
    }

    @Test
    void aForestWithoutAModelFolderIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> with(16, 0.5, ClassifierKind.FOREST, " "));
        assertTrue(e.getMessage().contains("forest"), e.getMessage());
    }

    @Test
    void theRulesAreCopied() {
        List<org.farmwatch.flag.ConversionRule> rules = new java.util.ArrayList<>(Settings.defaults().rules());
        DetectOptions o = new DetectOptions(16, 0, Compositor.Method.MEDIAN, ClassifierKind.RULES, null,
                RuleClassifier.Thresholds.DEFAULT, rules, Double.NaN, 0.1, 0.1, false, 1.3, 0.5, 0, false);
        rules.clear();
        assertEquals(Settings.defaults().rules().size(), o.rules().size());
    }
}
