package org.farmwatch.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.farmwatch.classify.ClassCodes;
import org.farmwatch.classify.ClassifierKind;
import org.farmwatch.classify.Classifiers;
import org.farmwatch.classify.LandCover;
import org.farmwatch.classify.RuleClassifier;
import org.farmwatch.util.FarmwatchException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The classifier keys and the GB/T 21010 class mapping of conf/farmwatch.conf. */
class ClassifierSettingsTest {

    @TempDir
    Path dir;

    private FarmwatchException loadFails(String text) throws Exception {
        Path f = dir.resolve("bad.conf");
        Files.writeString(f, text);
        FarmwatchException e = assertThrows(FarmwatchException.class, () -> Settings.load(f));
        assertEquals(FarmwatchException.Kind.USAGE, e.kind());
        return e;
    }

    @Test
    void theShippedMappingCoversEveryClass() {
        ClassCodes codes = Settings.load(Path.of("conf/farmwatch.conf")).classify().classCodes();
        for (LandCover c : LandCover.values()) {
            if (c != LandCover.NODATA) {
                assertTrue(!codes.codesOf(c).isEmpty(), c + " has codes");
                // Each class's own codes map back to it.
                codes.codesOf(c).forEach(code -> assertEquals(c, codes.ofCode(code), code));
            }
        }
        assertEquals(LandCover.CROPLAND, codes.ofCode("0101"));
        assertEquals(LandCover.CROPLAND, codes.ofCode("0103"));
        assertEquals(LandCover.ORCHARD, codes.ofCode("0201"));
        assertEquals(LandCover.FOREST, codes.ofCode("0301"));
        assertEquals(LandCover.NURSERY, codes.ofCode("0307"));
        assertEquals(LandCover.GRASSLAND, codes.ofCode("0404"));
        assertEquals(LandCover.BUILT_UP, codes.ofCode("0702"));
        assertEquals(LandCover.BUILT_UP, codes.ofCode("1003"));
        assertEquals(LandCover.WATER, codes.ofCode("1104"));
        assertEquals(LandCover.GREENHOUSE, codes.ofCode("1202"));
        assertEquals(LandCover.BARE, codes.ofCode("1206"));
        assertNull(codes.ofCode("13"));
        assertEquals(LandCover.BUILT_UP, codes.ofLabel("built_up"));
        assertEquals(LandCover.WATER, codes.ofLabel(" Water "));
        assertEquals(LandCover.CROPLAND, codes.ofLabel("010301"), "six-digit local sub-codes map by prefix");
        assertNull(codes.ofLabel("nodata"));
        assertNull(codes.ofLabel("swamp"));
    }

    @Test
    void classCodesAreValidated() throws Exception {
        assertTrue(loadFails("class.orchard.codes = 0101\n").getMessage().contains("also given to class"));
        assertTrue(loadFails("class.greenhouse.codes =\n").getMessage().contains("class.greenhouse.codes"));
        assertTrue(loadFails("class.water.codes = 11a\n").getMessage().contains("class.water.codes"));
        assertTrue(loadFails("class.swamp.codes = 11\n").getMessage().contains("unknown configuration key 'class.swamp.codes'"));
        Path f = dir.resolve("ok.conf");
        Files.writeString(f, "class.water.codes = 11, 1104\nclass.bare.codes = 12\nclass.greenhouse.codes = 1202\n");
        ClassCodes c = Settings.load(f).classify().classCodes();
        assertEquals(LandCover.BARE, c.ofCode("1201"), "12 now covers the rest of other land");
        assertEquals(LandCover.CROPLAND, c.ofCode("1203"), "field ridges keep their own, longer code");
        assertEquals(LandCover.GREENHOUSE, c.ofCode("1202"), "the longest prefix wins");
    }

    @Test
    void theForestNeedsAModelFolder() throws Exception {
        FarmwatchException e = loadFails("classifier = forest\n");
        assertTrue(e.getMessage().contains("classify.model"), e.getMessage());
        assertTrue(loadFails("classifier = svm\n").getMessage().contains("'rules' or 'forest'"));
        Settings defaults = Settings.defaults();
        assertEquals(ClassifierKind.RULES, defaults.classify().classifier());
        assertTrue(Classifiers.of(defaults.classify()) instanceof RuleClassifier);
    }

    @Test
    void theForestsModelIsReadWhenTheRunStartsNotWhileParsing() throws Exception {
        Path conf = dir.resolve("forest.conf");
        Files.writeString(conf, "classifier = forest\nclassify.model = " + dir.resolve("nowhere") + "\n");
        Settings nowhere = Settings.load(conf);
        assertEquals(dir.resolve("nowhere").toString(), nowhere.classify().model());
        FarmwatchException e = assertThrows(FarmwatchException.class, () -> Classifiers.of(nowhere.classify()));
        assertEquals(FarmwatchException.Kind.USAGE, e.kind());
        assertTrue(e.getMessage().contains("classify.model") && e.getMessage().contains("nowhere"), e.getMessage());
        Files.createDirectories(dir.resolve("junk"));
        Files.writeString(dir.resolve("junk").resolve(Classifiers.FOREST_FILE), "not a forest");
        Files.writeString(conf, "classifier = forest\nclassify.model = " + dir.resolve("junk") + "\n");
        Settings junk = Settings.load(conf);
        e = assertThrows(FarmwatchException.class, () -> Classifiers.of(junk.classify()));
        assertTrue(e.getMessage().contains("classify.model") && e.getMessage().contains("not a farmwatch forest"),
                e.getMessage());
    }
}
