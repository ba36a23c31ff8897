package org.farmwatch.spark;

import org.farmwatch.classify.ClassifierKind;
import org.farmwatch.config.Settings;
import org.farmwatch.pipeline.DetectOptions;
import org.farmwatch.publish.PublishOutput;

/** The typed options of each stage, taken from a run's settings: the stages themselves never read settings. */
public final class StageOptions {
    private StageOptions() {}

    /** What the detect step reads of the settings. */
    public static DetectOptions detect(Settings s) {
        return new DetectOptions(s.haloCells(), s.cloudBufferMetres(), s.compositeMethod(),
                ClassifierKind.of(s.classifier()), s.classifierModel(), s.thresholds(), s.rules(), s.changeThreshold(),
                s.spectralThreshold(), s.vegetationThreshold(), s.keepOther(), s.constructionBrightness(), s.persistenceShare(), s.minPatchAreaM2(),
                s.publishOutputs().contains(PublishOutput.TRUE_COLOUR));
    }
}
