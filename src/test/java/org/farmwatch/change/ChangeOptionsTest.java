package org.farmwatch.change;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ChangeOptionsTest {

    private static String refused(ChangeOptions.Builder b) {
        return assertThrows(IllegalArgumentException.class, b::build).getMessage();
    }

    @Test
    void theBuilderStartsFromTheShippedDefaults() {
        ChangeOptions o = ChangeOptions.builder().build();
        assertTrue(Double.isNaN(o.threshold()) && Double.isNaN(o.simplifyMetres()), "auto");
        assertEquals(0.5, o.persistenceShare());
        assertEquals(ChangeDetector.DEFAULT_CONSTRUCTION_BRIGHTNESS, o.constructionBrightness());
        assertEquals(0.58, o.minConfidence());
        assertEquals(o, o.toBuilder().build());
        assertEquals(6.5, o.toBuilder().threshold(6.5).build().threshold());
    }

    @Test
    void offAndAutoAreNaN() {
        assertTrue(Double.isNaN(ChangeOptions.builder().persistenceShare(Double.NaN).build().persistenceShare()));
    }

    @Test
    void badValuesAreQuotedUnderTheirKey() {
        assertEquals("change.threshold must be auto or > 0, got: 0.0", refused(ChangeOptions.builder().threshold(0)));
        assertEquals("change.persistence must be off or a share within [0, 1), got: 1.0",
                refused(ChangeOptions.builder().persistenceShare(1)));
        assertEquals("change.minConfidence must be within 0..1, got: 1.5", refused(ChangeOptions.builder().minConfidence(1.5)));
        assertEquals("patch.simplifyMetres must be auto or >= 0, got: -1.0",
                refused(ChangeOptions.builder().simplifyMetres(-1)));
        assertEquals("change.constructionBrightness must be > 0, got: Infinity",
                refused(ChangeOptions.builder().constructionBrightness(Double.POSITIVE_INFINITY)));
    }
}
