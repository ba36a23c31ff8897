package org.farmwatch.flag;

/** The kind of farmland loss a change patch or flagged parcel shows. */
public enum ChangeType {
    /** 非农化: farmland to buildings, roads, construction, bare or excavated land. */
    NON_AGRICULTURAL("non_agricultural", "非农化"),
    /** 非粮化: grain land to orchard, nursery, forest, grassland or turf, fish pond, greenhouse. */
    NON_GRAIN("non_grain", "非粮化"),
    /** A change that is neither, such as built-up land turning green. */
    OTHER("other", "其他"),
    /**
     * 裸土待核: farmland turned bare without a construction signature, most often a ploughed or harvested
     * field. Published as a low-priority patch; a rule of this type never flags a parcel, so it stays off the
     * inspectors' lists (give the rule the type non_agricultural to flag it).
     */
    BARE_SOIL("bare_soil", "裸土待核"),
    /**
     * 低置信度: a non-agricultural patch whose confidence is below {@code change.minConfidence}.
     * Published for analysts, flags no parcel. Never a rule's type: patches are demoted to it after merging.
     */
    LOW_CONFIDENCE("low_confidence", "低置信度");

    public final String code;
    public final String chinese;

    ChangeType(String code, String chinese) {
        this.code = code;
        this.chinese = chinese;
    }

    /** The types a flagged parcel can have, in declaration order: the columns of the lists' and report's counts. */
    public static final java.util.List<ChangeType> FLAGGING = java.util.Arrays.stream(values())
            .filter(ChangeType::flagsParcels).toList();

    /** Whether a rule of this type flags parcels and so sends inspectors to them. */
    public boolean flagsParcels() {
        return this != BARE_SOIL && this != LOW_CONFIDENCE;
    }

    public static ChangeType ofCode(String code) {
        for (ChangeType t : values()) {
            if (t.code.equals(code)) {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown change type: " + code);
    }
}
