package org.farmwatch.classify;

/** Which classifier a run uses: the index rules, or the random forest trained by {@code farmwatch train}. */
public enum ClassifierKind {
    RULES("rules"),
    FOREST("forest");

    /** The name in the settings ({@code classifier = rules}). */
    public final String text;

    ClassifierKind(String text) {
        this.text = text;
    }

    /** The kind named {@code text} in the settings; an {@link IllegalArgumentException} quoting it otherwise. */
    public static ClassifierKind of(String text) {
        for (ClassifierKind k : values()) {
            if (k.text.equals(text)) {
                return k;
            }
        }
        throw new IllegalArgumentException("classifier must be 'rules' or 'forest', got: " + text);
    }
}
