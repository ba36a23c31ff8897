package org.farmwatch.flag;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import java.util.Set;
import org.farmwatch.classify.LandCover;
import org.junit.jupiter.api.Test;

class FlagOptionsTest {

    private static final ConversionRule PONDS = new ConversionRule("ponds", ChangeType.NON_GRAIN,
            Set.of(LandCover.CROPLAND), Set.of(LandCover.WATER), 400, 0, ConversionRule.Scope.CROPLAND);

    @Test
    void aRuleNamedTwiceIsRefused() {
        assertEquals("rules names rule 'ponds' twice", assertThrows(IllegalArgumentException.class,
                () -> new FlagOptions(List.of(PONDS, PONDS), 1.5)).getMessage());
    }

    @Test
    void noRuleOrAShrinkingGrowthFactorIsRefused() {
        assertEquals("'rules' lists no conversion rule",
                assertThrows(IllegalArgumentException.class, () -> new FlagOptions(List.of(), 1.5)).getMessage());
        assertEquals("verdict.growthFactor must be at least 1, got: 0.9",
                assertThrows(IllegalArgumentException.class, () -> new FlagOptions(List.of(PONDS), 0.9)).getMessage());
    }
}
