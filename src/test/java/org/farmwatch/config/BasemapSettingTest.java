package org.farmwatch.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.farmwatch.util.FarmwatchException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code qgis.basemapUrl}: off by default, an XYZ template when set, refused at once when it is not one. */
class BasemapSettingTest {

    @TempDir
    Path dir;

    private Settings load(String text) throws Exception {
        Path f = dir.resolve("basemap.conf");
        Files.writeString(f, text);
        return Settings.load(f);
    }

    @Test
    void theBasemapIsOffUnlessTheOperatorSetsAUrl() throws Exception {
        assertNull(Settings.load(Path.of("conf/farmwatch.conf")).basemapUrl());
        assertNull(load("qgis.basemapUrl = off\n").basemapUrl());
        assertEquals("https://t0.example.cn/{z}/{x}/{y}.png",
                load("qgis.basemapUrl = https://t0.example.cn/{z}/{x}/{y}.png\n").basemapUrl());
    }

    @Test
    void aUrlWithoutTileCoordinatesIsAUsageError() throws Exception {
        FarmwatchException e = assertThrows(FarmwatchException.class,
                () -> load("qgis.basemapUrl = https://t0.example.cn/tiles.png\n"));
        assertEquals(FarmwatchException.Kind.USAGE, e.kind());
        assertTrue(e.getMessage().contains("qgis.basemapUrl") && e.getMessage().contains("{z}"), e.getMessage());
    }
}
