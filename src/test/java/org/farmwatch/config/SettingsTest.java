package org.farmwatch.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import java.util.Set;
import java.util.stream.Collectors;
import org.farmwatch.flag.ChangeType;
import org.farmwatch.flag.ConversionRule;
import org.farmwatch.util.FarmwatchException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SettingsTest {

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
    void theShippedConfigurationNamesOnlyRulesThatExist() throws Exception {
        // conf/farmwatch.conf as shipped, read as a user file over the built-in copy.
        Settings s = Settings.load(Path.of("conf/farmwatch.conf"));
        Properties raw = new Properties();
        try (var r = Files.newBufferedReader(Path.of("conf/farmwatch.conf"))) {
            raw.load(r);
        }
        Set<String> configured = raw.stringPropertyNames().stream().filter(k -> k.startsWith("rule."))
                .map(k -> k.split("\\.")[1]).collect(Collectors.toSet());
        Set<String> built = s.rules().stream().map(ConversionRule::name).collect(Collectors.toSet());
        assertEquals(configured, built);
        assertEquals(Set.of(ChangeType.NON_AGRICULTURAL, ChangeType.NON_GRAIN, ChangeType.BARE_SOIL),
                s.rules().stream().map(ConversionRule::type).collect(Collectors.toSet()));
        assertEquals(Settings.defaults(), s);
    }

    @Test
    void unknownKeysAreRefusedByName() throws Exception {
        FarmwatchException e = loadFails("grid.tilesize = 256\n");
        assertTrue(e.getMessage().contains("grid.tilesize"), e.getMessage());
    }

    @Test
    void aRuleNotListedInRulesIsRefused() throws Exception {
        FarmwatchException e = loadFails("rule.ghost.type = non_grain\n");
        assertTrue(e.getMessage().contains("ghost"), e.getMessage());
    }

    @Test
    void badValuesNameTheKeyAndValue() throws Exception {
        String m = loadFails("grid.tileSize = 300\n").getMessage();
        assertTrue(m.contains("grid.tileSize") && m.contains("power of 2") && m.contains("got: 300"), m);
        assertTrue(loadFails("patch.minAreaM2 = lots\n").getMessage().contains("patch.minAreaM2"));
        assertTrue(loadFails("grid.crs = WGS84\n").getMessage().contains("grid.crs"));
        FarmwatchException e = loadFails("rules = r\nrule.r.type = non_grain\nrule.r.from = cropland\nrule.r.to = vineyard\n");
        assertTrue(e.getMessage().contains("vineyard"), e.getMessage());
        e = loadFails("rules = r\nrule.r.type = loss\nrule.r.from = cropland\nrule.r.to = water\n");
        assertTrue(e.getMessage().contains("rule.r.type"), e.getMessage());
    }

    @Test
    void theChangeThresholdIsAutoOrAPositiveDistance() throws Exception {
        assertTrue(Double.isNaN(Settings.defaults().change().threshold()), "auto by default");
        Path f = dir.resolve("threshold.conf");
        Files.writeString(f, "change.threshold = 6.5\n");
        assertEquals(6.5, Settings.load(f).change().threshold());
        String m = loadFails("change.threshold = 0\n").getMessage();
        assertTrue(m.contains("change.threshold") && m.contains("got: 0"), m);
        assertTrue(loadFails("change.threshold = high\n").getMessage().contains("change.threshold"));
    }

    @Test
    void theOutlineToleranceIsAutoZeroOrAPositiveDistance() throws Exception {
        assertTrue(Double.isNaN(Settings.defaults().change().simplifyMetres()), "auto by default");
        Path f = dir.resolve("outline.conf");
        Files.writeString(f, "patch.simplifyMetres = 0\n");
        assertEquals(0, Settings.load(f).change().simplifyMetres());
        Files.writeString(f, "patch.simplifyMetres = 12.5\n");
        assertEquals(12.5, Settings.load(f).change().simplifyMetres());
        String m = loadFails("patch.simplifyMetres = -1\n").getMessage();
        assertTrue(m.contains("patch.simplifyMetres") && m.contains("got: -1"), m);
        assertTrue(loadFails("patch.simplifyMetres = smooth\n").getMessage().contains("patch.simplifyMetres"));
    }

    @Test
    void aUsersRulesReplaceTheDefaultOnes() throws Exception {
        Path f = dir.resolve("ponds.conf");
        Files.writeString(f, "rules = ponds\nrule.ponds.type = non_grain\nrule.ponds.from = cropland\n"
                + "rule.ponds.to = water\nrule.ponds.minAreaM2 = 1000\n");
        Settings s = Settings.load(f);
        assertEquals(1, s.rules().size());
        assertEquals(1000, s.rules().get(0).minAreaM2());
        assertEquals(512, s.grid().tileSize());
    }

    @Test
    void aMissingFileIsAUsageError() {
        FarmwatchException e = assertThrows(FarmwatchException.class, () -> Settings.load(dir.resolve("nope.conf")));
        assertEquals(2, e.kind().exitCode);
        assertTrue(e.getMessage().contains("nope.conf"));
    }

    @Test
    void theChangeBuildersDefaultsAreTheShippedOnes() {
        assertEquals(org.farmwatch.change.ChangeOptions.builder().build(), Settings.defaults().change());
    }

    @Test
    void anOptionTheStageRefusesIsAUsageErrorNamingTheFile() throws Exception {
        String m = loadFails("change.minConfidence = 1.5\n").getMessage();
        assertTrue(m.contains("bad.conf: change.minConfidence must be within 0..1, got: 1.5"), m);
        m = loadFails("verdict.growthFactor = 0.5\n").getMessage();
        assertTrue(m.contains("verdict.growthFactor") && m.contains("got: 0.5"), m);
        m = loadFails("publish.outputs = qgis\n").getMessage();
        assertTrue(m.contains("publish.outputs: geopackage is always written"), m);
    }

    @Test
    void persistenceOffIsNaN() throws Exception {
        Path f = dir.resolve("off.conf");
        Files.writeString(f, "change.persistence = off\n");
        assertTrue(Double.isNaN(Settings.load(f).change().persistenceShare()));
    }
}
