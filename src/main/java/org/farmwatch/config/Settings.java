package org.farmwatch.config;

import java.io.IOException;
import java.io.Reader;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import org.farmwatch.change.ChangeDetector;
import org.farmwatch.change.ChangeOptions;
import org.farmwatch.classify.ClassifierKind;
import org.farmwatch.classify.ClassifyOptions;
import org.farmwatch.classify.LandCover;
import org.farmwatch.classify.RuleClassifier;
import org.farmwatch.farmland.FieldMapping;
import org.farmwatch.flag.ChangeType;
import org.farmwatch.flag.ConversionRule;
import org.farmwatch.flag.FlagOptions;
import org.farmwatch.grid.GridOptions;
import org.farmwatch.ingest.Compositor;
import org.farmwatch.ingest.IngestOptions;
import org.farmwatch.publish.PublishOptions;
import org.farmwatch.util.FarmwatchException;

/**
 * The run's configuration, read from a {@code .conf} file of {@code key = value} lines (Java
 * properties, UTF-8) over the built-in defaults in {@code conf/farmwatch.conf}, mapped onto each stage's
 * typed options. Everything is checked here, before any work starts (the options check their own values,
 * see {@link #from}): an unknown key or a bad value is a usage error naming the key. Nothing is read but the
 * file: a forest's model is read when the run starts ({@link org.farmwatch.classify.Classifiers#of(ClassifyOptions)}).
 * Immutable.
 *
 * @param grid        {@code grid.*}
 * @param ingest      {@code cloud.bufferMetres}, {@code composite.method}, {@code classify.darkObjectSubtraction}
 * @param classify    {@code classifier}, {@code classify.*}, {@code class.NAME.codes}
 * @param change      {@code change.*}, {@code patch.*}
 * @param flag        {@code rules}, {@code rule.NAME.*}, {@code verdict.growthFactor}
 * @param publish     {@code publish.outputs}
 * @param fields      {@code farmland.field.*}
 * @param storeDir    {@code store.dir}: auto, off, a folder or a Hadoop URI
 * @param storeScenes {@code store.scenes}: whether the tile store keeps each scene's tile windows too
 * @param echo        every key with its value as given (trimmed), for the run's record
 */
public record Settings(GridOptions grid, IngestOptions ingest, ClassifyOptions classify, ChangeOptions change,
                       FlagOptions flag, PublishOptions publish, FieldMapping fields, String storeDir,
                       boolean storeScenes, Map<String, String> echo)
        implements Serializable {

    private static final Set<String> SCALAR_KEYS = Set.of("grid.crs", "grid.cellSizeMetres", "grid.tileSize",
            "grid.haloCells", "cloud.bufferMetres", "composite.method", "classifier", "change.threshold", "change.spectralThreshold", "change.vegetationThreshold", "change.keepOther", "change.persistence", "change.constructionBrightness", "change.minConfidence", "change.model", "change.modelThreshold", "patch.minAreaM2", "patch.simplifyMetres", "rules",
            "farmland.field.parcel_id", "farmland.field.admin_code", "farmland.field.township", "farmland.field.land_class",
            "classify.darkObjectSubtraction", "classify.waterMndwi", "classify.vegetationNdvi", "classify.sparseNdvi", "classify.cropNirShare",
            "classify.forestSwirNir", "classify.orchardSwirNir", "classify.bareBrightness", "classify.builtBlueRed",
            "classify.greenhouseBrightness", "classify.model", "store.dir", "verdict.growthFactor",
            "publish.outputs", "store.scenes", "qgis.basemapUrl");
    private static final Set<String> RULE_FIELDS = Set.of("type", "from", "to", "minAreaM2", "minShare", "scope");

    /** The conversion rules, in their configured order (a shortcut for {@code flag().rules()}). */
    public List<ConversionRule> rules() {
        return flag.rules();
    }

    /** {@code qgis.basemapUrl}: the XYZ tile URL template of the QGIS project's basemap, or null when off (the default). */
    public String basemapUrl() {
        String v = echo.getOrDefault("qgis.basemapUrl", "off").trim();
        return v.equals("off") ? null : v;
    }

    /** The defaults shipped inside the jar (conf/farmwatch.conf, built into the jar). */
    public static Settings defaults() {
        return load(null);
    }

    /** Loads {@code file} over the defaults; {@code file} may be null. */
    public static Settings load(Path file) {
        return load(file, null);
    }

    /** As {@link #load(Path)}, leaving out keys that start with {@code ownPrefix} (a command's own keys). */
    public static Settings load(Path file, String ownPrefix) {
        Properties p = new Properties();
        try (Reader r = new java.io.InputStreamReader(
                Settings.class.getResourceAsStream("/farmwatch.conf"), StandardCharsets.UTF_8)) {
            p.load(r);
        } catch (IOException | NullPointerException e) {
            throw new IllegalStateException("built-in defaults farmwatch.conf missing from the jar", e);
        }
        if (file != null) {
            if (!Files.isRegularFile(file)) {
                throw FarmwatchException.usage("configuration file not found: " + file);
            }
            // A key given twice would silently keep the last value: refused, as an unknown key is.
            Set<String> twice = new TreeSet<>();
            Properties user = new Properties() {
                @Override
                public synchronized Object put(Object key, Object value) {
                    if (containsKey(key)) {
                        twice.add(String.valueOf(key));
                    }
                    return super.put(key, value);
                }
            };
            try {
                String text = Files.readString(file, StandardCharsets.UTF_8);
                // A UTF-8 byte-order mark (Windows editors write one) is not part of the first key.
                if (text.startsWith("\uFEFF")) {
                    text = text.substring(1);
                }
                user.load(new java.io.StringReader(text));
            } catch (IOException | IllegalArgumentException e) {
                throw FarmwatchException.usage("cannot read configuration " + file + ": " + e.getMessage());
            }
            if (!twice.isEmpty()) {
                throw FarmwatchException.usage(file + ": key " + String.join(", ", twice)
                        + " is given more than once; give each key once");
            }
            if (ownPrefix != null) {
                user.keySet().removeIf(k -> k.toString().startsWith(ownPrefix));
            }
            // A user's rules list replaces the default one, and with it the default rules.
            if (user.containsKey("rules")) {
                p.keySet().removeIf(k -> k.toString().startsWith("rule."));
            }
            p.putAll(user);
        }
        return from(p, file == null ? "built-in defaults" : file.toString());
    }

    static Settings from(Properties p, String where) {
        List<String> ruleNames = list(p.getProperty("rules", ""));
        for (String key : new TreeSet<>(p.stringPropertyNames())) {
            if (SCALAR_KEYS.contains(key)) {
                continue;
            }
            String[] parts = key.split("\\.");
            if (parts.length == 3 && parts[0].equals("rule") && ruleNames.contains(parts[1]) && RULE_FIELDS.contains(parts[2])) {
                continue;
            }
            if (parts.length == 3 && parts[0].equals("class") && parts[2].equals("codes") && isClassKey(parts[1])) {
                continue;
            }
            if (parts.length == 3 && parts[0].equals("rule") && !ruleNames.contains(parts[1])) {
                throw FarmwatchException.usage(where + ": key " + key + " configures rule '" + parts[1]
                        + "', which is not listed in 'rules' (" + String.join(", ", ruleNames) + ")");
            }
            throw FarmwatchException.usage(where + ": unknown configuration key '" + key + "'");
        }
        ClassifyOptions classify = options(where, () -> new ClassifyOptions(
                ClassifierKind.of(p.getProperty("classifier", "rules").trim()), p.getProperty("classify.model", "").trim(),
                thresholds(p, where), classCodes(p, where)));
        String crs = p.getProperty("grid.crs", "auto").trim().toUpperCase();
        if (!crs.equals(GridOptions.AUTO) && crs.matches("EPSG:\\d{4,5}")) {
            requireProjectedMetres(crs, where);
        }
        double cell = p.getProperty("grid.cellSizeMetres", "auto").trim().equals("auto") ? Double.NaN
                : number(p, "grid.cellSizeMetres", where);
        GridOptions grid = options(where, () -> new GridOptions(crs, cell, integer(p, "grid.tileSize", where),
                integer(p, "grid.haloCells", where)));
        IngestOptions ingest = options(where, () -> new IngestOptions(
                p.getProperty("classify.darkObjectSubtraction", "auto").trim(), number(p, "cloud.bufferMetres", where),
                Compositor.Method.valueOf(oneOf(p, "composite.method", List.of("median", "best"), where)
                        .toUpperCase(java.util.Locale.ROOT))));
        ChangeOptions change = options(where, () -> ChangeOptions.builder()
                .threshold(autoOr(p, "change.threshold", "auto", where))
                .spectralThreshold(number(p, "change.spectralThreshold", where))
                .vegetationThreshold(number(p, "change.vegetationThreshold", where))
                .keepOther(Boolean.parseBoolean(oneOf(p, "change.keepOther", List.of("false", "true"), where)))
                .persistenceShare(autoOr(p, "change.persistence", "off", where))
                .constructionBrightness(p.getProperty("change.constructionBrightness") == null
                        ? ChangeDetector.DEFAULT_CONSTRUCTION_BRIGHTNESS : number(p, "change.constructionBrightness", where))
                .minConfidence(p.getProperty("change.minConfidence") == null ? 0 : number(p, "change.minConfidence", where))
                .minPatchAreaM2(number(p, "patch.minAreaM2", where))
                .simplifyMetres(autoOr(p, "patch.simplifyMetres", "auto", where))
                .model(p.getProperty("change.model", "").trim().isEmpty()
                        || p.getProperty("change.model").trim().equals("off") ? null : p.getProperty("change.model").trim())
                .modelThreshold(autoOr(p, "change.modelThreshold", "auto", where))
                .build());
        PublishOptions publish;
        try {
            publish = PublishOptions.parse(p.getProperty("publish.outputs", "all"));
        } catch (IllegalArgumentException e) {
            throw FarmwatchException.usage(where + ": publish.outputs: " + e.getMessage());
        }
        String basemap = p.getProperty("qgis.basemapUrl", "off").trim();
        if (!basemap.equals("off")) {
            try {
                new org.farmwatch.publish.QgisProject.XyzBasemap(basemap, "basemap", true);
            } catch (IllegalArgumentException e) {
                throw FarmwatchException.usage(where + ": qgis.basemapUrl must be off or " + e.getMessage()
                        .replace("an XYZ basemap URL is ", ""));
            }
        }
        String scenes = p.getProperty("store.scenes", "off").trim();
        if (!scenes.equals("on") && !scenes.equals("off")) {
            throw FarmwatchException.usage(where + ": store.scenes must be on or off, got: " + scenes);
        }
        String storeDir = p.getProperty("store.dir", "auto").trim();
        if (storeDir.isEmpty()) {
            throw FarmwatchException.usage(where + ": store.dir must be auto, off, a folder or a Hadoop URI (hdfs://, s3a://)");
        }
        List<ConversionRule> rules = new ArrayList<>();
        for (String name : ruleNames) {
            rules.add(rule(p, name, where));
        }
        FlagOptions flag = options(where, () -> new FlagOptions(rules, number(p, "verdict.growthFactor", where)));
        FieldMapping fm = new FieldMapping(
                listOr(p, "farmland.field.parcel_id", FieldMapping.DEFAULT.parcelId()),
                listOr(p, "farmland.field.admin_code", FieldMapping.DEFAULT.adminCode()),
                listOr(p, "farmland.field.township", FieldMapping.DEFAULT.township()),
                listOr(p, "farmland.field.land_class", FieldMapping.DEFAULT.landClass()));
        Map<String, String> echo = new LinkedHashMap<>();
        new TreeSet<>(p.stringPropertyNames()).forEach(k -> echo.put(k, p.getProperty(k).trim()));
        return new Settings(grid, ingest, classify, change, flag, publish, fm, storeDir, scenes.equals("on"), echo);
    }

    /** Builds one stage's options; what they refuse is a usage error, their message naming the key and value. */
    private static <T> T options(String where, java.util.function.Supplier<T> build) {
        try {
            return build.get();
        } catch (IllegalArgumentException e) {
            throw FarmwatchException.usage(where + ": " + e.getMessage());
        }
    }

    /** A number, or NaN for the word that means "not a number" for this key (auto, off). */
    private static double autoOr(Properties p, String key, String word, String where) {
        String v = p.getProperty(key, word).trim();
        return v.equals(word) ? Double.NaN : number(p, key, where);
    }

    private static RuleClassifier.Thresholds thresholds(Properties p, String where) {
        RuleClassifier.Thresholds d = RuleClassifier.Thresholds.DEFAULT;
        return new RuleClassifier.Thresholds(
                opt(p, "classify.waterMndwi", d.waterMndwi(), where), opt(p, "classify.vegetationNdvi", d.vegetationNdvi(), where),
                opt(p, "classify.sparseNdvi", d.sparseNdvi(), where), opt(p, "classify.cropNirShare", d.cropNirShare(), where),
                opt(p, "classify.forestSwirNir", d.forestSwirNir(), where), opt(p, "classify.orchardSwirNir", d.orchardSwirNir(), where),
                opt(p, "classify.bareBrightness", d.bareBrightness(), where), opt(p, "classify.builtBlueRed", d.builtBlueRed(), where),
                opt(p, "classify.greenhouseBrightness", d.greenhouseBrightness(), where));
    }

    private static boolean isClassKey(String name) {
        try {
            return LandCover.ofKey(name) != LandCover.NODATA;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /** The class.NAME.codes keys: GB/T 21010 codes per class, every class covered, no code given twice. */
    private static org.farmwatch.classify.ClassCodes classCodes(Properties p, String where) {
        Map<LandCover, List<String>> codes = new java.util.EnumMap<>(LandCover.class);
        for (LandCover c : LandCover.values()) {
            if (c != LandCover.NODATA) {
                codes.put(c, list(p.getProperty("class." + c.key() + ".codes")));
            }
        }
        try {
            return new org.farmwatch.classify.ClassCodes(codes);
        } catch (IllegalArgumentException e) {
            throw FarmwatchException.usage(where + ": " + e.getMessage());
        }
    }

    private static ConversionRule rule(Properties p, String name, String where) {
        String pre = "rule." + name + ".";
        for (String f : List.of("type", "from", "to")) {
            if (p.getProperty(pre + f) == null) {
                throw FarmwatchException.usage(where + ": rule '" + name + "' needs key " + pre + f);
            }
        }
        ChangeType type;
        try {
            type = ChangeType.ofCode(p.getProperty(pre + "type").trim());
            if (type == ChangeType.LOW_CONFIDENCE) {
                // Given to patches after merging, never a rule's own type.
                throw new IllegalArgumentException("low_confidence");
            }
        } catch (IllegalArgumentException e) {
            throw FarmwatchException.usage(where + ": " + pre + "type must be one of non_agricultural, non_grain, other, bare_soil, got: "
                    + p.getProperty(pre + "type"));
        }
        ConversionRule.Scope scope;
        try {
            scope = ConversionRule.Scope.valueOf(p.getProperty(pre + "scope", "cropland").trim().toUpperCase());
        } catch (IllegalArgumentException e) {
            throw FarmwatchException.usage(where + ": " + pre + "scope must be 'any' or 'cropland', got: " + p.getProperty(pre + "scope"));
        }
        Set<LandCover> from = classes(p, pre + "from", where);
        Set<LandCover> to = classes(p, pre + "to", where);
        Set<LandCover> both = EnumSet.copyOf(from);
        both.retainAll(to);
        if (!from.isEmpty() && !both.isEmpty()) {
            throw FarmwatchException.usage(where + ": rule '" + name + "' has " + both.stream().map(LandCover::key)
                    .reduce((a, b) -> a + ", " + b).orElse("") + " in both " + pre + "from and " + pre
                    + "to; a class that stays the same is no conversion");
        }
        try {
            return new ConversionRule(name, type, from, to,
                    p.containsKey(pre + "minAreaM2") ? number(p, pre + "minAreaM2", where) : 0,
                    p.containsKey(pre + "minShare") ? number(p, pre + "minShare", where) : 0, scope);
        } catch (IllegalArgumentException e) {
            throw FarmwatchException.usage(where + ": " + e.getMessage());
        }
    }

    private static Set<LandCover> classes(Properties p, String key, String where) {
        Set<LandCover> out = EnumSet.noneOf(LandCover.class);
        for (String s : list(p.getProperty(key))) {
            try {
                LandCover c = LandCover.ofKey(s);
                if (c == LandCover.NODATA) {
                    throw new IllegalArgumentException();
                }
                out.add(c);
            } catch (IllegalArgumentException e) {
                throw FarmwatchException.usage(where + ": " + key + " names unknown land-cover class '" + s + "' (known: "
                        + Arrays.stream(LandCover.values()).skip(1).map(LandCover::key).reduce((a, b) -> a + ", " + b).orElse("")
                        + ")");
            }
        }
        return out;
    }

    private static List<String> list(String v) {
        if (v == null || v.isBlank()) {
            return List.of();
        }
        return Arrays.stream(v.split(",")).map(String::trim).filter(s -> !s.isEmpty()).toList();
    }

    private static List<String> listOr(Properties p, String key, List<String> dflt) {
        List<String> l = list(p.getProperty(key));
        return l.isEmpty() ? dflt : l;
    }

    private static double number(Properties p, String key, String where) {
        String v = p.getProperty(key);
        if (v == null) {
            throw FarmwatchException.usage(where + ": missing key " + key);
        }
        try {
            double d = Double.parseDouble(v.trim());
            if (!Double.isFinite(d)) {
                throw new NumberFormatException();
            }
            return d;
        } catch (NumberFormatException e) {
            throw FarmwatchException.usage(where + ": " + key + " must be a number, got: " + v.trim());
        }
    }

    private static String oneOf(Properties p, String key, List<String> allowed, String where) {
        String v = p.getProperty(key, allowed.get(0)).trim();
        if (!allowed.contains(v)) {
            throw FarmwatchException.usage(where + ": " + key + " must be one of " + String.join(", ", allowed) + ", got: " + v);
        }
        return v;
    }

    private static double opt(Properties p, String key, double dflt, String where) {
        return p.containsKey(key) ? number(p, key, where) : dflt;
    }

    /** The working grid measures areas: its CRS must exist and be projected in metres. */
    private static void requireProjectedMetres(String crs, String where) {
        org.farmwatch.util.Gdal.init();
        org.gdal.osr.SpatialReference srs = new org.gdal.osr.SpatialReference();
        try {
            srs.SetFromUserInput(crs);
        } catch (RuntimeException e) {
            throw FarmwatchException.usage(where + ": grid.crs " + crs + " is not a known CRS");
        }
        if (srs.IsProjected() != 1 || Math.abs(srs.GetLinearUnits() - 1.0) > 1e-9) {
            throw FarmwatchException.usage(where + ": grid.crs must be a projected CRS in metres (such as EPSG:4527), got: "
                    + crs);
        }
    }

    private static int integer(Properties p, String key, String where) {
        double d = number(p, key, where);
        if (d != Math.rint(d)) {
            throw FarmwatchException.usage(where + ": " + key + " must be a whole number, got: " + p.getProperty(key).trim());
        }
        return (int) d;
    }


}
