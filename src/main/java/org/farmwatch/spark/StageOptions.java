package org.farmwatch.spark;

import org.farmwatch.change.ChangeOptions;
import org.farmwatch.config.Settings;
import org.farmwatch.pipeline.DetectOptions;
import org.farmwatch.publish.PublishOutput;

/** The typed options of each stage, taken from a run's settings: the stages themselves never read settings. */
public final class StageOptions {
    private StageOptions() {}

    /** What the detect step reads of the settings. */
    public static DetectOptions detect(Settings s) {
        ChangeOptions c = s.change();
        return new DetectOptions(s.grid().haloCells(), s.ingest().cloudBufferMetres(), s.ingest().compositeMethod(),
                s.classify().classifier(), s.classify().model(), s.classify().thresholds(), s.rules(), c.threshold(),
                c.spectralThreshold(), c.vegetationThreshold(), c.keepOther(), c.constructionBrightness(),
                c.persistenceShare(), c.minPatchAreaM2(), s.publish().wants(PublishOutput.TRUE_COLOUR));
    }
}
