package org.farmwatch.util;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.UnsupportedFileSystemException;

/**
 * Paths given as Hadoop file system URIs ({@code hdfs://}, {@code s3a://}, any scheme with a FileSystem
 * class on the classpath): telling them from local paths, opening their file system with a one-line
 * error naming the scheme, and an executor-local cache of the files GDAL must read, which cannot open
 * them itself (Debian's GDAL has no {@code /vsihdfs/}).
 *
 * <p>The cache holds whole files under {@code java.io.tmpdir/farmwatch-fetch-cache} (or {@code
 * FARMWATCH_FETCH_CACHE}), each named by a digest of its URI, size and modification time, so a file
 * replaced on the cluster is fetched again. It is shared by every task of a JVM and bounded to {@link
 * #cacheBytes()} (oldest-used files go first; a file GDAL still holds open stays readable after its
 * name is removed).
 */
public final class HadoopFs {
    private HadoopFs() {}

    /** The Hadoop configuration the process uses: set by the Spark job from its context, else Hadoop's defaults. */
    private static volatile Configuration current;

    /** Uses {@code conf} (Spark's Hadoop configuration, with its {@code spark.hadoop.*} keys) from now on. */
    public static void use(Configuration conf) {
        current = conf;
    }

    public static Configuration conf() {
        Configuration c = current;
        if (c == null) {
            c = new Configuration();
            current = c;
        }
        return c;
    }

    /** True for a URI with a scheme other than {@code file:}: {@code hdfs://nn/x}, {@code s3a://bucket/x}. */
    public static boolean isUri(String path) {
        if (path == null || !path.matches("[A-Za-z][A-Za-z0-9+.-]*://.*")) {
            return false;
        }
        String scheme = path.substring(0, path.indexOf(':')).toLowerCase(java.util.Locale.ROOT);
        return !scheme.equals("file") && !scheme.startsWith("postgres");
    }

    /**
     * The file system of {@code uri}, or a usage error (exit 2) naming the scheme when no FileSystem class
     * serves it, as for {@code s3a://} without hadoop-aws on the classpath.
     */
    public static FileSystem fileSystem(String uri, String what) {
        org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(uri);
        String scheme = p.toUri().getScheme();
        try {
            return p.getFileSystem(conf());
        } catch (UnsupportedFileSystemException | RuntimeException e) {
            if (e instanceof RuntimeException && !String.valueOf(e.getMessage()).contains("ClassNotFoundException")) {
                throw FarmwatchException.usage(what + " " + uri + ": cannot reach its file system: " + firstLine(e));
            }
            // No class for the scheme, or fs.<scheme>.impl naming a class that is not on the classpath.
            throw FarmwatchException.usage(what + " " + uri + ": no Hadoop FileSystem for scheme \"" + scheme
                    + "\" on the classpath" + ("s3a".equals(scheme)
                    ? " (s3a:// needs hadoop-aws 3.3.4 and its AWS SDK bundle: spark-submit --packages "
                    + "org.apache.hadoop:hadoop-aws:3.3.4, or the jars in $SPARK_HOME/jars)" : ""));
        } catch (IOException e) {
            throw FarmwatchException.usage(what + " " + uri + ": cannot reach its file system: " + firstLine(e));
        }
    }

    /** {@code uri} made absolute with its file system's scheme and authority, without a trailing slash. */
    public static String qualified(String uri, String what) {
        FileSystem fs = fileSystem(uri, what);
        String q = fs.makeQualified(new org.apache.hadoop.fs.Path(uri)).toString();
        return q.endsWith("/") && q.length() > 1 ? q.substring(0, q.length() - 1) : q;
    }

    /** The status of {@code uri}, or null when there is nothing there. */
    public static FileStatus status(String uri) throws IOException {
        FileSystem fs = fileSystem(uri, "path");
        try {
            return fs.getFileStatus(new org.apache.hadoop.fs.Path(uri));
        } catch (java.io.FileNotFoundException e) {
            return null;
        }
    }

    /** The files directly in folder {@code uri}, sorted by name. */
    public static List<FileStatus> list(String uri) throws IOException {
        FileSystem fs = fileSystem(uri, "folder");
        List<FileStatus> out = new ArrayList<>(List.of(fs.listStatus(new org.apache.hadoop.fs.Path(uri))));
        out.sort(Comparator.comparing(s -> s.getPath().getName()));
        return out;
    }

    /** How many bytes the fetch cache keeps: {@code FARMWATCH_FETCH_CACHE_MB} (default 20000). */
    public static long cacheBytes() {
        String mb = System.getenv("FARMWATCH_FETCH_CACHE_MB");
        try {
            return (mb == null ? 20_000L : Long.parseLong(mb.trim())) << 20;
        } catch (NumberFormatException e) {
            return 20_000L << 20;
        }
    }

    static Path cacheDir() {
        String dir = System.getenv("FARMWATCH_FETCH_CACHE");
        return dir != null && !dir.isBlank() ? Path.of(dir)
                : Path.of(System.getProperty("java.io.tmpdir"), "farmwatch-fetch-cache-" + System.getProperty("user.name"));
    }

    /**
     * A local path GDAL can open for {@code path}: the path itself when it is local, else a cached copy of
     * the Hadoop file, fetched once per (URI, size, modification time) and reused by later tiles. The copy
     * keeps the file's name (GDAL picks drivers and side files by it).
     */
    public static String localCopy(String path) {
        return localCopy(path, cacheDir(), cacheBytes());
    }

    /** As {@link #localCopy(String)} with the cache in {@code cache}, kept under {@code boundBytes}. */
    static String localCopy(String path, Path cache, long boundBytes) {
        if (!isUri(path)) {
            return path;
        }
        try {
            FileStatus st = status(path);
            if (st == null || !st.isFile()) {
                return path; // GDAL then says what is missing, naming the URI
            }
            String key = sha256(st.getPath() + "\n" + st.getLen() + "\n" + st.getModificationTime());
            Path dir = cache.resolve(key.substring(0, 2)).resolve(key);
            Path file = dir.resolve(st.getPath().getName());
            if (Files.isRegularFile(file) && Files.size(file) == st.getLen()) {
                Files.setLastModifiedTime(file, FileTime.fromMillis(System.currentTimeMillis())); // last used
                return file.toString();
            }
            Files.createDirectories(dir);
            evict(cache, boundBytes, st.getLen());
            // Fetched under a temporary name and renamed: a concurrent task sees a whole file or none.
            Path tmp = dir.resolve("." + st.getPath().getName() + ".tmp-" + UUID.randomUUID());
            try (var in = st.getPath().getFileSystem(conf()).open(st.getPath())) {
                Files.copy(in, tmp);
                Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } finally {
                Files.deleteIfExists(tmp);
            }
            return file.toString();
        } catch (IOException e) {
            throw FarmwatchException.input("cannot fetch " + path + " to the local cache " + cache + ": "
                    + firstLine(e), e);
        }
    }

    /** Removes least recently used copies until {@code incoming} more bytes fit under the bound. */
    private static synchronized void evict(Path root, long bound, long incoming) throws IOException {
        if (!Files.isDirectory(root)) {
            return;
        }
        List<Path> files;
        try (var s = Files.walk(root)) {
            files = new ArrayList<>(s.filter(Files::isRegularFile).filter(f -> !f.getFileName().toString().startsWith("."))
                    .toList());
        }
        long total = 0;
        for (Path f : files) {
            total += Files.size(f);
        }
        if (total + incoming <= bound) {
            return;
        }
        files.sort(Comparator.comparing(f -> {
            try {
                return Files.getLastModifiedTime(f).toMillis();
            } catch (IOException e) {
                return 0L;
            }
        }));
        for (Path f : files) {
            if (total + incoming <= bound) {
                break;
            }
            long n = Files.size(f);
            Files.deleteIfExists(f);
            total -= n;
        }
    }

    /** A Hadoop configuration that travels to the executors (Configuration itself is not Serializable). */
    public static final class Conf implements Serializable {
        private static final long serialVersionUID = 1L;
        private final byte[] bytes;
        private transient Configuration conf;

        public Conf(Configuration c) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (DataOutputStream d = new DataOutputStream(out)) {
                c.write(d);
            } catch (IOException e) {
                throw new IllegalStateException("cannot copy the Hadoop configuration", e);
            }
            this.bytes = out.toByteArray();
            this.conf = c;
        }

        public Configuration get() {
            if (conf == null) {
                Configuration c = new Configuration(false);
                try (DataInputStream d = new DataInputStream(new ByteArrayInputStream(bytes))) {
                    c.readFields(d);
                } catch (IOException e) {
                    throw new IllegalStateException("cannot read the Hadoop configuration", e);
                }
                conf = c;
            }
            return conf;
        }
    }

    private static String firstLine(Throwable e) {
        return String.valueOf(e.getMessage()).split("\n", 2)[0];
    }

    private static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
