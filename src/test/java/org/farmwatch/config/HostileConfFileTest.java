package org.farmwatch.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.farmwatch.util.FarmwatchException;
import org.farmwatch.flag.ConversionRule;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Configuration files as editors and careless hands write them: a byte-order mark, a key twice, a rule to itself. */
class HostileConfFileTest {

    @TempDir
    Path tmp;

    private Path conf(String text) throws Exception {
        Path f = tmp.resolve("user.conf");
        Files.writeString(f, text, StandardCharsets.UTF_8);
        return f;
    }

    @Test
    void aUtf8ByteOrderMarkBeforeTheFirstKeyIsStripped() throws Exception {
        Settings s = Settings.load(conf("\uFEFFpatch.minAreaM2 = 512\r\ngrid.haloCells = 8\r\n"));
        assertEquals(512, s.change().minPatchAreaM2());
    }

    @Test
    void aKeyGivenTwiceIsUsageNamingTheKey() throws Exception {
        FarmwatchException e = assertThrows(FarmwatchException.class,
                () -> Settings.load(conf("patch.minAreaM2 = 400\ngrid.haloCells = 8\npatch.minAreaM2 = 4000\n")));
        assertEquals(FarmwatchException.Kind.USAGE, e.kind());
        assertTrue(e.getMessage().contains("patch.minAreaM2") && e.getMessage().contains("more than once"), e.getMessage());
        assertTrue(e.getMessage().contains("user.conf"), e.getMessage());
    }

    @Test
    void aRuleFromAClassToTheSameClassIsUsageNamingTheRuleAndClass() throws Exception {
        FarmwatchException e = assertThrows(FarmwatchException.class, () -> Settings.load(conf(
                "rules = crop_to_crop\nrule.crop_to_crop.type = non_grain\nrule.crop_to_crop.from = cropland\n"
                        + "rule.crop_to_crop.to = cropland, orchard\n")));
        assertEquals(FarmwatchException.Kind.USAGE, e.kind());
        assertTrue(e.getMessage().contains("crop_to_crop") && e.getMessage().contains("cropland"), e.getMessage());
    }

    @Test
    void theDefaultRulesStillLoad() {
        // non_agricultural, non_grain and bare_soil: none shares a class between its from and to.
        assertEquals(java.util.List.of("non_agricultural", "non_grain", "bare_soil"),
                Settings.defaults().rules().stream().map(ConversionRule::name).toList());
    }
}
