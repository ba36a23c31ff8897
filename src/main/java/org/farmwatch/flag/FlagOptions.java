package org.farmwatch.flag;

import java.io.Serializable;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Which conversions flag a parcel and when a judged patch is flagged again: an immutable value, checked when built.
 * Messages name each option by its configuration key and quote the bad value.
 *
 * @param rules         the conversion rules in their configured order (a change code names a rule by its index), at
 *                      least one, names unique
 * @param growthFactor  a patch judged a false alarm or approved is flagged again only when a later run's patch over
 *                      it is larger than the judged one times this, at least 1 ({@code verdict.growthFactor})
 */
public record FlagOptions(List<ConversionRule> rules, double growthFactor) implements Serializable {

    public FlagOptions {
        rules = List.copyOf(rules);
        if (rules.isEmpty()) {
            throw new IllegalArgumentException("'rules' lists no conversion rule");
        }
        Set<String> names = new HashSet<>();
        for (ConversionRule r : rules) {
            if (!names.add(r.name())) {
                throw new IllegalArgumentException("rules names rule '" + r.name() + "' twice");
            }
        }
        if (!(growthFactor >= 1) || Double.isInfinite(growthFactor)) {
            throw new IllegalArgumentException("verdict.growthFactor must be at least 1, got: " + growthFactor);
        }
    }
}
