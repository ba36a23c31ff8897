package org.farmwatch.flag;

import java.io.Serializable;
import java.util.Set;
import org.farmwatch.classify.LandCover;
import org.farmwatch.farmland.Parcel;

/**
 * One configured conversion rule: a transition between land-cover classes that counts as farmland
 * loss, and how much of it a parcel must show to be flagged. Immutable.
 *
 * @param minAreaM2 changed area a parcel needs, in square metres
 * @param minShare  changed share of the parcel's area it needs, 0..1
 * @param scope     which parcels the rule watches
 */
public record ConversionRule(String name, ChangeType type, Set<LandCover> from, Set<LandCover> to,
                             double minAreaM2, double minShare, Scope scope) implements Serializable {

    /** Which parcels a rule applies to. */
    public enum Scope {
        /** Every parcel of the permanent basic farmland base. */
        ANY,
        /** Parcels whose land class is cropland (GB/T 21010 01xx). */
        CROPLAND
    }

    public ConversionRule {
        if (name == null || !name.matches("[a-z][a-z0-9_]*")) {
            throw new IllegalArgumentException("rule name must be lower-case letters, digits and _, got: " + name);
        }
        if (from.isEmpty() || to.isEmpty()) {
            throw new IllegalArgumentException("rule " + name + " needs at least one 'from' and one 'to' class");
        }
        if (minAreaM2 < 0 || minShare < 0 || minShare > 1) {
            throw new IllegalArgumentException("rule " + name + ": minAreaM2 must be >= 0 and minShare within 0..1, got: "
                    + minAreaM2 + ", " + minShare);
        }
        from = Set.copyOf(from);
        to = Set.copyOf(to);
    }

    public boolean matches(LandCover before, LandCover after) {
        return from.contains(before) && to.contains(after);
    }

    public boolean watches(Parcel p) {
        return scope == Scope.ANY || p.isCropland();
    }

    public boolean fires(double changedAreaM2, double parcelAreaM2) {
        double share = parcelAreaM2 > 0 ? changedAreaM2 / parcelAreaM2 : 0;
        return changedAreaM2 >= minAreaM2 && share >= minShare;
    }
}
