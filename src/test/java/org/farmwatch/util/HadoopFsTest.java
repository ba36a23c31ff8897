package org.farmwatch.util;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/** Hadoop URIs told from local paths, and the fetch cache against a real in-process HDFS. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HadoopFsTest {

    @TempDir
    static Path tmp;
    private MiniHdfs dfs;
    private FileSystem fs;
    private String hdfs;

    @BeforeAll
    void startHdfs() throws Exception {
        dfs = MiniHdfs.start(tmp.resolve("dfs"));
        fs = dfs.fs;
        hdfs = dfs.uri;
    }

    @AfterAll
    void stopHdfs() {
        if (dfs != null) {
            dfs.close();
        }
    }

    private void put(String path, byte[] bytes) throws Exception {
        try (FSDataOutputStream o = fs.create(new org.apache.hadoop.fs.Path(hdfs + path), true)) {
            o.write(bytes);
        }
    }

    private static Object inode(Path p) throws Exception {
        return Files.readAttributes(p, BasicFileAttributes.class).fileKey();
    }

    @Test
    void urisWithASchemeOtherThanFileAreHadoopPaths() {
        assertTrue(HadoopFs.isUri("hdfs://nn:8020/data/scenes"));
        assertTrue(HadoopFs.isUri("s3a://bucket/out"));
        assertFalse(HadoopFs.isUri("/data/scenes"));
        assertFalse(HadoopFs.isUri("sample-tiles/scenes"));
        assertFalse(HadoopFs.isUri("file:///data/scenes"));
        assertFalse(HadoopFs.isUri("postgresql://u@127.0.0.1:5432/db?table=f.parcels"));
        assertFalse(HadoopFs.isUri("/vsizip/a.zip"));
        assertEquals("sample-tiles/farmland.gpkg", HadoopFs.localCopy("sample-tiles/farmland.gpkg"));
    }

    @Test
    void aFileIsFetchedOnceKeepsItsNameAndIsFetchedAgainWhenReplaced() throws Exception {
        Path cache = tmp.resolve("cache-a");
        put("/a/SAMPLE_B04.tif", new byte[] {1, 2, 3});
        Path first = Path.of(HadoopFs.localCopy(hdfs + "/a/SAMPLE_B04.tif", cache, 1 << 20));
        assertTrue(first.startsWith(cache), first.toString());
        assertEquals("SAMPLE_B04.tif", first.getFileName().toString());
        assertArrayEquals(new byte[] {1, 2, 3}, Files.readAllBytes(first));
        Object fetched = inode(first);
        Path again = Path.of(HadoopFs.localCopy(hdfs + "/a/SAMPLE_B04.tif", cache, 1 << 20));
        assertEquals(first, again);
        assertEquals(fetched, inode(again), "the cached copy is reused, not fetched again");

        put("/a/SAMPLE_B04.tif", new byte[] {9, 9, 9, 9});
        Path replaced = Path.of(HadoopFs.localCopy(hdfs + "/a/SAMPLE_B04.tif", cache, 1 << 20));
        assertNotEquals(first, replaced);
        assertArrayEquals(new byte[] {9, 9, 9, 9}, Files.readAllBytes(replaced));
    }

    @Test
    void theCacheStaysUnderItsBoundDroppingTheLeastRecentlyUsedFile() throws Exception {
        Path cache = tmp.resolve("cache-b");
        put("/b/one.tif", new byte[600]);
        put("/b/two.tif", new byte[600]);
        Path one = Path.of(HadoopFs.localCopy(hdfs + "/b/one.tif", cache, 1000));
        Files.setLastModifiedTime(one, java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() - 60_000));
        Path two = Path.of(HadoopFs.localCopy(hdfs + "/b/two.tif", cache, 1000));
        assertTrue(Files.isRegularFile(two));
        assertFalse(Files.exists(one), "one.tif should have made room for two.tif");
    }

    @Test
    void aSchemeWithoutAFileSystemClassIsUsageNamingIt() {
        FarmwatchException e = assertThrows(FarmwatchException.class, () -> HadoopFs.fileSystem("nosuchfs://x/y", "--out"));
        assertEquals(FarmwatchException.Kind.USAGE, e.kind());
        assertTrue(e.getMessage().contains("\"nosuchfs\""), e.getMessage());
    }
}
