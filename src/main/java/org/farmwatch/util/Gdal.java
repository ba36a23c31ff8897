package org.farmwatch.util;

import org.gdal.gdal.gdal;
import org.gdal.ogr.ogr;
import org.gdal.osr.osr;

/**
 * Loads the GDAL JNI bridge once per JVM (driver and every executor) with exceptions on. Every task and entry point
 * calls {@link #init} first, so it also sets the JVM's compiler policy ({@link JitPolicy}).
 */
public final class Gdal {
    private static volatile boolean ready;

    private Gdal() {}

    public static void init() {
        if (ready) {
            return;
        }
        synchronized (Gdal.class) {
            if (ready) {
                return;
            }
            JitPolicy.install();
            try {
                gdal.AllRegister();
                ogr.RegisterAll();
            } catch (UnsatisfiedLinkError e) {
                throw new FarmwatchException(FarmwatchException.Kind.SERVICE,
                        "GDAL JNI bridge not found on java.library.path (" + System.getProperty("java.library.path")
                                + "); run jobs/lib/gdal-jni.sh", e);
            }
            gdal.UseExceptions();
            ogr.UseExceptions();
            osr.UseExceptions();
            // Keep GDAL's block cache small: executors hold only a few tiles at a time.
            gdal.SetConfigOption("GDAL_CACHEMAX", System.getProperty("farmwatch.gdalCacheMb", "256"));
            gdal.SetConfigOption("GDAL_NUM_THREADS", "1");
            gdal.SetConfigOption("CPL_LOG", "/dev/null");
            // Never write .aux.xml side files next to inputs: they may be read-only or shared.
            gdal.SetConfigOption("GDAL_PAM_ENABLED", "NO");
            ready = true;
        }
    }
}
