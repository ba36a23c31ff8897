package org.farmwatch.util;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.management.ObjectName;

/**
 * Which code the JVM's optimizing compiler (C2) may compile, set once per JVM (driver and every executor) through
 * HotSpot's compiler directives. C2 is kept for the pixel loops (classify, change, ingest, publish), which run for
 * billions of cells and are about 30 % slower without it. Everything else (Spark, Scala, serialization, SQLite,
 * JTS, the overlay) stays with the quick compiler (C1): on a small executor C2 spent a whole core compiling that
 * code during the first seconds of each step, and its code was no faster by the time it paid off (the overlay
 * bench: C2 10.4 CPU s in a 20 s process; the overlay 3.7 s with it, 2.7 s without, 1.3 vs 1.4 s once warm).
 *
 * <p>{@code FARMWATCH_JIT=default} (environment, also set for executors through {@code spark.executorEnv}) or
 * {@code -Dfarmwatch.jit=default} keeps the JVM's own policy. A JVM without the diagnostic command MBean keeps it
 * too, silently: this is about speed, never about results.
 */
public final class JitPolicy {
    /** C2 for the pixel packages and the array fills they lean on; C1 for every other method. */
    static final String DIRECTIVES = """
            [
              { match: ["org/farmwatch/classify/*.*", "org/farmwatch/change/*.*", "org/farmwatch/ingest/*.*",
                        "org/farmwatch/publish/*.*", "java/util/Arrays.*"],
                c2: { Exclude: false } },
              { match: "*.*", c2: { Exclude: true } }
            ]
            """;

    private static boolean tried;
    private static boolean installed;

    private JitPolicy() {}

    /** Installs the directives unless turned off or done already; true when this JVM has them now. */
    public static synchronized boolean install() {
        if (tried) {
            return installed;
        }
        // Tried once either way: a JVM that refused them will not take them on a second call.
        tried = true;
        String mode = System.getProperty("farmwatch.jit", System.getenv().getOrDefault("FARMWATCH_JIT", "pixel-c2"));
        if ("default".equals(mode)) {
            return false;
        }
        Path file = null;
        try {
            file = Files.createTempFile("farmwatch-jit", ".json");
            Files.writeString(file, DIRECTIVES, StandardCharsets.UTF_8);
            Object added = ManagementFactory.getPlatformMBeanServer().invoke(
                    new ObjectName("com.sun.management:type=DiagnosticCommand"), "compilerDirectivesAdd",
                    new Object[] {new String[] {file.toString()}}, new String[] {String[].class.getName()});
            installed = String.valueOf(added).contains("2 compiler directives added");
        } catch (Exception | LinkageError e) {
            installed = false;
        } finally {
            if (file != null) {
                try {
                    Files.deleteIfExists(file);
                } catch (java.io.IOException ignored) {
                    // a temporary file left behind costs nothing
                }
            }
        }
        return installed;
    }
}
