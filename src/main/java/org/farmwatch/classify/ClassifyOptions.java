package org.farmwatch.classify;

import java.io.Serializable;
import java.util.Objects;

/**
 * Which classifier a run uses and how it maps classes to GB/T 21010 codes: an immutable value, checked when built
 * (a forest's model is read later, by {@link Classifiers#of(ClassifyOptions)}, never while options are parsed).
 * Messages name each option by its configuration key and quote the bad value.
 *
 * @param classifier the index rules or the trained forest
 * @param model      the forest's model folder, a local path or Hadoop URI ({@code classify.model}); null for the rules
 * @param thresholds the rules' thresholds
 * @param classCodes the GB/T 21010 codes of each class ({@code class.NAME.codes})
 */
public record ClassifyOptions(ClassifierKind classifier, String model, RuleClassifier.Thresholds thresholds,
                              ClassCodes classCodes) implements Serializable {

    public ClassifyOptions {
        Objects.requireNonNull(classifier, "classifier");
        Objects.requireNonNull(thresholds, "classify thresholds");
        Objects.requireNonNull(classCodes, "class codes");
        if (model != null && model.isBlank()) {
            model = null;
        }
        if (classifier == ClassifierKind.FOREST && model == null) {
            throw new IllegalArgumentException("classifier = forest needs classify.model, the path of a model saved by "
                    + "'farmwatch train'");
        }
    }
}
