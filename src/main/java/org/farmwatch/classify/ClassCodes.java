package org.farmwatch.classify;

import java.io.Serializable;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The mapping of GB/T 21010-2017 land-use codes to farmwatch's {@link LandCover} classes, read from the
 * {@code class.<name>.codes} keys of the configuration. A code matches the class whose configured code
 * is its longest prefix, so 1104 (ponds) can be water while 1202 (facility land) is greenhouse and
 * 0307 (other forest land, with nurseries) is nursery while the rest of 03 is forest. Immutable.
 */
public final class ClassCodes implements Serializable {

    private final Map<LandCover, List<String>> byClass;
    private final Map<String, LandCover> byCode = new HashMap<>();

    /**
     * @throws IllegalArgumentException naming the class or code when a class has no code, a code is not
     *         two or four digits, or one code is given to two classes
     */
    public ClassCodes(Map<LandCover, List<String>> codes) {
        this.byClass = new EnumMap<>(LandCover.class);
        for (LandCover c : LandCover.values()) {
            if (c == LandCover.NODATA) {
                continue;
            }
            List<String> l = codes.get(c);
            if (l == null || l.isEmpty()) {
                throw new IllegalArgumentException("class." + c.key() + ".codes: class " + c.key()
                        + " has no GB/T 21010 code");
            }
            for (String code : l) {
                if (!code.matches("\\d{2}|\\d{4}")) {
                    throw new IllegalArgumentException("class." + c.key() + ".codes: '" + code
                            + "' is not a two- or four-digit GB/T 21010 code");
                }
                LandCover prev = byCode.put(code, c);
                if (prev != null && prev != c) {
                    throw new IllegalArgumentException("class." + c.key() + ".codes: code " + code
                            + " is also given to class " + prev.key());
                }
            }
            byClass.put(c, List.copyOf(l));
        }
    }

    /** The codes configured for {@code c}, as written. */
    public List<String> codesOf(LandCover c) {
        return byClass.getOrDefault(c, List.of());
    }

    /** The class of a GB/T 21010 code (longest configured prefix), or null when none matches. */
    public LandCover ofCode(String code) {
        String s = code.trim();
        for (int len = s.length(); len >= 2; len--) {
            LandCover c = byCode.get(s.substring(0, len));
            if (c != null) {
                return c;
            }
        }
        return null;
    }

    /**
     * The class of a training label: a GB/T 21010 code (digits) or a class name such as
     * {@code built_up}; null when it names neither.
     */
    public LandCover ofLabel(String label) {
        String s = label == null ? "" : label.trim();
        if (s.matches("\\d{2,6}")) {
            return ofCode(s);
        }
        try {
            LandCover c = LandCover.ofKey(s.toLowerCase(Locale.ROOT).replace(' ', '_').replace('-', '_'));
            return c == LandCover.NODATA ? null : c;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ClassCodes c && c.byClass.equals(byClass);
    }

    @Override
    public int hashCode() {
        return byClass.hashCode();
    }

    @Override
    public String toString() {
        return "ClassCodes" + byClass;
    }
}
