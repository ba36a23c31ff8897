package org.farmwatch.change;

import java.io.Serializable;

/**
 * How change is detected, kept and outlined: an immutable value, checked when built. Messages name each option
 * by its configuration key ({@code change.*}, {@code patch.*}) and quote the bad value. Build it with
 * {@link #builder()}, whose defaults are those of {@code conf/farmwatch.conf}: a new option is a component here,
 * a field and a setter in the builder, and one line where the configuration is mapped.
 *
 * @param threshold              distance from the tile's fit in no-change standard deviations; NaN: chosen per tile
 *                               ({@code change.threshold = auto})
 * @param spectralThreshold      RMS log-ratio against the scene medians a transition must exceed
 * @param vegetationThreshold    the same between green classes
 * @param keepOther              whether transitions no rule names are kept as "other"
 * @param persistenceShare       share of the current period's clear observations, each classified on its own, that a
 *                               conversion must hold in (exclusive), within [0, 1); NaN: off
 *                               ({@code change.persistence})
 * @param constructionBrightness how many times the tile's median visible sum of non-vegetated cells a bare cell's must
 *                               reach to read as construction land ({@link ChangeDetector})
 * @param minConfidence          non-agricultural patches less confident than this, within 0..1, are published as low
 *                               confidence and flag no parcel; 0 keeps them all
 * @param minPatchAreaM2         smallest patch kept, in square metres ({@code patch.minAreaM2})
 * @param simplifyMetres         tolerance of the published outlines in metres, 0 for the cell edges; NaN: auto
 *                               ({@link PatchOutlines#tolerance}, {@code patch.simplifyMetres})
 * @param model                  folder of a change model trained by {@code farmwatch train-change}, or null for none
 *                               ({@code change.model}); read by the command line, not here
 * @param modelThreshold         of the patches {@code minConfidence} would send, those the model gives a lower
 *                               probability are published as low confidence, within 0..1; NaN: the model's own
 *                               cross-validated threshold ({@code change.modelThreshold = auto})
 */
public record ChangeOptions(double threshold, double spectralThreshold, double vegetationThreshold, boolean keepOther,
                            double persistenceShare, double constructionBrightness, double minConfidence,
                            double minPatchAreaM2, double simplifyMetres, String model, double modelThreshold)
        implements Serializable {

    public ChangeOptions {
        if (!Double.isNaN(threshold) && !(threshold > 0 && threshold < Double.POSITIVE_INFINITY)) {
            throw new IllegalArgumentException("change.threshold must be auto or > 0, got: " + threshold);
        }
        positive("change.spectralThreshold", spectralThreshold);
        positive("change.vegetationThreshold", vegetationThreshold);
        if (!Double.isNaN(persistenceShare) && !(persistenceShare >= 0 && persistenceShare < 1)) {
            throw new IllegalArgumentException("change.persistence must be off or a share within [0, 1), got: "
                    + persistenceShare);
        }
        positive("change.constructionBrightness", constructionBrightness);
        if (!(minConfidence >= 0 && minConfidence <= 1)) {
            throw new IllegalArgumentException("change.minConfidence must be within 0..1, got: " + minConfidence);
        }
        if (model != null && model.isBlank()) {
            throw new IllegalArgumentException("change.model must name a folder, got an empty value");
        }
        if (!Double.isNaN(modelThreshold) && !(modelThreshold >= 0 && modelThreshold <= 1)) {
            throw new IllegalArgumentException("change.modelThreshold must be auto or within 0..1, got: " + modelThreshold);
        }
        if (!(minPatchAreaM2 >= 0) || Double.isInfinite(minPatchAreaM2)) {
            throw new IllegalArgumentException("patch.minAreaM2 must be >= 0, got: " + minPatchAreaM2);
        }
        if (!Double.isNaN(simplifyMetres) && !(simplifyMetres >= 0 && simplifyMetres < Double.POSITIVE_INFINITY)) {
            throw new IllegalArgumentException("patch.simplifyMetres must be auto or >= 0, got: " + simplifyMetres);
        }
    }

    private static void positive(String key, double v) {
        if (!(v > 0) || Double.isInfinite(v)) {
            throw new IllegalArgumentException(key + " must be > 0, got: " + v);
        }
    }

    /** A builder holding the defaults of {@code conf/farmwatch.conf}. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder starting from these options. */
    public Builder toBuilder() {
        return new Builder().threshold(threshold).spectralThreshold(spectralThreshold)
                .vegetationThreshold(vegetationThreshold).keepOther(keepOther).persistenceShare(persistenceShare)
                .constructionBrightness(constructionBrightness).minConfidence(minConfidence)
                .minPatchAreaM2(minPatchAreaM2).simplifyMetres(simplifyMetres).model(model)
                .modelThreshold(modelThreshold);
    }

    /** Collects the options; {@link #build()} checks them all. Not thread-safe. */
    public static final class Builder {
        private double threshold = Double.NaN;
        private double spectralThreshold = 0.30;
        private double vegetationThreshold = 0.12;
        private boolean keepOther = false;
        private double persistenceShare = 0.5;
        private double constructionBrightness = ChangeDetector.DEFAULT_CONSTRUCTION_BRIGHTNESS;
        private double minConfidence = 0.58;
        private double minPatchAreaM2 = 400;
        private double simplifyMetres = Double.NaN;
        private String model = null;
        private double modelThreshold = Double.NaN;

        private Builder() {}

        public Builder model(String v) {
            model = v;
            return this;
        }

        public Builder modelThreshold(double v) {
            modelThreshold = v;
            return this;
        }

        public Builder threshold(double v) {
            threshold = v;
            return this;
        }

        public Builder spectralThreshold(double v) {
            spectralThreshold = v;
            return this;
        }

        public Builder vegetationThreshold(double v) {
            vegetationThreshold = v;
            return this;
        }

        public Builder keepOther(boolean v) {
            keepOther = v;
            return this;
        }

        public Builder persistenceShare(double v) {
            persistenceShare = v;
            return this;
        }

        public Builder constructionBrightness(double v) {
            constructionBrightness = v;
            return this;
        }

        public Builder minConfidence(double v) {
            minConfidence = v;
            return this;
        }

        public Builder minPatchAreaM2(double v) {
            minPatchAreaM2 = v;
            return this;
        }

        public Builder simplifyMetres(double v) {
            simplifyMetres = v;
            return this;
        }

        /** The options, checked: an {@link IllegalArgumentException} naming the first bad one. */
        public ChangeOptions build() {
            return new ChangeOptions(threshold, spectralThreshold, vegetationThreshold, keepOther, persistenceShare,
                    constructionBrightness, minConfidence, minPatchAreaM2, simplifyMetres, model, modelThreshold);
        }
    }
}
