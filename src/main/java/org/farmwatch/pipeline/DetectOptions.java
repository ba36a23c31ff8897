package org.farmwatch.pipeline;

import java.io.Serializable;
import java.util.List;
import java.util.Objects;
import org.farmwatch.change.ChangeDetector;
import org.farmwatch.classify.Classifier;
import org.farmwatch.classify.ClassifierKind;
import org.farmwatch.classify.Classifiers;
import org.farmwatch.classify.RuleClassifier;
import org.farmwatch.flag.ConversionRule;
import org.farmwatch.ingest.Compositor;

/**
 * What the detect step reads of a run's configuration, checked once on the driver: an immutable value.
 * Everything here enters the tile store's digest ({@link TileStore}), so that a stored tile is reused only
 * under the options that made it.
 *
 * @param haloCells           cells read around each tile core, so that patches at tile edges see their neighbours
 * @param cloudBufferMetres   how far cloud masks are grown
 * @param compositeMethod     how a period's scenes make one composite
 * @param classifier          which classifier
 * @param classifierModel     the forest's model folder (a local path or Hadoop URI); unused for the rules
 * @param thresholds          the rules' thresholds (also the rules' half of the digest for a forest)
 * @param rules               the conversion rules, in their configured order (a change code names a rule by index)
 * @param changeThreshold     distance from the tile's fit in no-change standard deviations; NaN: chosen per tile
 * @param spectralThreshold   RMS log-ratio against the scene medians a transition must exceed
 * @param vegetationThreshold the same between green classes
 * @param keepOther           whether transitions no rule names are kept as "other"
 * @param constructionBrightness how many times the tile's soil brightness a bare cell must be to read as built-up
 * @param persistenceShare    share of the current observations a change must hold in (exclusive); NaN: off
 * @param minPatchAreaM2      smallest patch kept, in square metres
 * @param trueColour          whether true-colour tiles of both composites are written
 */
public record DetectOptions(int haloCells, double cloudBufferMetres, Compositor.Method compositeMethod,
                            ClassifierKind classifier, String classifierModel, RuleClassifier.Thresholds thresholds,
                            List<ConversionRule> rules, double changeThreshold, double spectralThreshold,
                            double vegetationThreshold, boolean keepOther, double constructionBrightness,
                            double persistenceShare, double minPatchAreaM2, boolean trueColour)
        implements Serializable {

    public DetectOptions {
        if (haloCells < 0) {
            throw new IllegalArgumentException("haloCells must be >= 0, got: " + haloCells);
        }
        if (!(cloudBufferMetres >= 0)) {
            throw new IllegalArgumentException("cloudBufferMetres must be >= 0, got: " + cloudBufferMetres);
        }
        Objects.requireNonNull(compositeMethod, "compositeMethod");
        Objects.requireNonNull(classifier, "classifier");
        Objects.requireNonNull(thresholds, "thresholds");
        if (classifier == ClassifierKind.FOREST && (classifierModel == null || classifierModel.isBlank())) {
            throw new IllegalArgumentException("classifier forest needs a model folder, got: '" + classifierModel + "'");
        }
        rules = List.copyOf(rules);
        if (!Double.isNaN(changeThreshold) && !(changeThreshold > 0)) {
            throw new IllegalArgumentException("changeThreshold must be > 0 or NaN (auto), got: " + changeThreshold);
        }
        if (!(spectralThreshold > 0)) {
            throw new IllegalArgumentException("spectralThreshold must be > 0, got: " + spectralThreshold);
        }
        if (!(vegetationThreshold > 0)) {
            throw new IllegalArgumentException("vegetationThreshold must be > 0, got: " + vegetationThreshold);
        }
        if (!(constructionBrightness > 0) || Double.isInfinite(constructionBrightness)) {
            throw new IllegalArgumentException("constructionBrightness must be > 0 and finite, got: "
                    + constructionBrightness);
        }
        if (!Double.isNaN(persistenceShare) && !(persistenceShare >= 0 && persistenceShare < 1)) {
            throw new IllegalArgumentException("persistenceShare must be NaN (off) or within [0, 1), got: "
                    + persistenceShare);
        }
        if (!(minPatchAreaM2 >= 0)) {
            throw new IllegalArgumentException("minPatchAreaM2 must be >= 0, got: " + minPatchAreaM2);
        }
    }

    /** The change detector these options describe; cheap, and the same for every call. */
    public ChangeDetector detector() {
        return new ChangeDetector(rules, changeThreshold, spectralThreshold, vegetationThreshold, keepOther,
                constructionBrightness);
    }

    /** The classifier these options name (a forest is read once per JVM). */
    public Classifier newClassifier() {
        return Classifiers.of(classifier, thresholds, classifierModel);
    }
}
