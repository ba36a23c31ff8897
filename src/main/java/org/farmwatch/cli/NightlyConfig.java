package org.farmwatch.cli;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import java.util.Set;
import org.farmwatch.ingest.Catalogue;
import org.farmwatch.util.FarmwatchException;

/**
 * The {@code nightly.*} keys of a nightly configuration: what to read, where to publish, which
 * periods to compare. The file's other keys are run settings, validated by {@link
 * org.farmwatch.config.Settings}. Immutable.
 */
record NightlyConfig(String region, String catalogue, String farmland, String onemap, String onemapSchema, String out,
                     Catalogue.Window beforePeriod, Catalogue.Window afterPeriod, int keepOutputs, boolean retrainMonthly) {

    /** {@link #keepOutputs} when the key is absent: every run's output folder is kept. */
    static final int KEEP_ALL = 0;

    static final String PREFIX = "nightly.";
    private static final Set<String> KEYS = Set.of("nightly.region", "nightly.catalog", "nightly.farmland", "nightly.onemap",
            "nightly.onemapSchema", "nightly.out", "nightly.beforePeriod", "nightly.afterPeriod", "nightly.keepOutputs",
            "nightly.retrain");

    static NightlyConfig load(Path file) {
        if (!Files.isRegularFile(file)) {
            throw FarmwatchException.usage("configuration file not found: " + file);
        }
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(r);
        } catch (IOException | IllegalArgumentException e) {
            throw FarmwatchException.usage("cannot read configuration " + file + ": " + e.getMessage());
        }
        for (String k : p.stringPropertyNames()) {
            if (k.startsWith(PREFIX) && !KEYS.contains(k)) {
                throw FarmwatchException.usage(file + ": unknown configuration key '" + k + "'");
            }
        }
        String region = required(p, "nightly.region", file);
        if (!region.matches("[A-Za-z0-9_.-]{1,64}")) {
            throw FarmwatchException.usage(file + ": nightly.region must be 1-64 letters, digits, '.', '_' or '-', got: " + region);
        }
        // A Hadoop URI (hdfs://...) is listed when the run starts; a local folder is checked now.
        String catalogue = required(p, "nightly.catalog", file);
        if (!org.farmwatch.util.HadoopFs.isUri(catalogue) && !Files.isDirectory(Path.of(catalogue))) {
            throw FarmwatchException.usage(file + ": nightly.catalog is not a folder: " + catalogue);
        }
        // The one map's URL may come from the environment, so that no password sits in the file.
        String onemap = System.getenv().getOrDefault("FARMWATCH_ONEMAP", p.getProperty("nightly.onemap", "").trim());
        if (onemap.isEmpty()) {
            throw FarmwatchException.usage(file + ": nightly.onemap (or FARMWATCH_ONEMAP) must name the PostGIS one map");
        }
        Catalogue.Window before = Catalogue.Window.parse("nightly.beforePeriod", required(p, "nightly.beforePeriod", file));
        Catalogue.Window after = Catalogue.Window.parse("nightly.afterPeriod", required(p, "nightly.afterPeriod", file));
        if (!before.end().isBefore(after.start())) {
            throw FarmwatchException.usage(file + ": nightly.beforePeriod must end before nightly.afterPeriod starts");
        }
        String out = p.getProperty("nightly.out", "out/nightly").trim();
        int keep = KEEP_ALL;
        String k = p.getProperty("nightly.keepOutputs", "").trim();
        if (!k.isEmpty()) {
            try {
                keep = Integer.parseInt(k);
            } catch (NumberFormatException e) {
                keep = -1;
            }
            if (keep < 1) {
                throw FarmwatchException.usage(file + ": nightly.keepOutputs must be a whole number of at least 1, got: " + k);
            }
            if (org.farmwatch.util.HadoopFs.isUri(out)) {
                throw FarmwatchException.usage(file + ": nightly.keepOutputs works on a local nightly.out only, got: " + out);
            }
        }
        // nightly.retrain = monthly: the first night of a month retrains the change model from the one map's verdicts
        // into the change.model folder (see NightlyRetrain).
        String retrain = p.getProperty("nightly.retrain", "off").trim();
        if (!retrain.equals("off") && !retrain.equals("monthly")) {
            throw FarmwatchException.usage(file + ": nightly.retrain must be 'off' or 'monthly', got: " + retrain);
        }
        if (retrain.equals("monthly") && p.getProperty("change.model", "").isBlank()) {
            throw FarmwatchException.usage(file + ": nightly.retrain = monthly needs change.model, the folder the nightly "
                    + "runs keep their change model in");
        }
        return new NightlyConfig(region, catalogue, required(p, "nightly.farmland", file), onemap,
                p.getProperty("nightly.onemapSchema", "onemap").trim(), out, before, after, keep,
                retrain.equals("monthly"));
    }

    private static String required(Properties p, String key, Path file) {
        String v = p.getProperty(key);
        if (v == null || v.isBlank()) {
            throw FarmwatchException.usage(file + ": missing key " + key);
        }
        return v.trim();
    }
}
