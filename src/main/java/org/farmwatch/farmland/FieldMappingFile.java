package org.farmwatch.farmland;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeSet;
import org.farmwatch.util.FarmwatchException;

/**
 * Reads a {@link FieldMapping} from a properties file (UTF-8), one key per parcel attribute, each a comma list
 * of candidate source field names, compared case-insensitively, the first present winning:
 * <pre>
 * parcel_id  = GERK_PID, ID
 * land_class = SIFRA_KMRS
 * township   =
 * </pre>
 * The keys are {@code parcel_id}, {@code admin_code}, {@code township} and {@code land_class}, also with the
 * {@code farmland.field.} prefix of {@code conf/farmwatch.conf}. A key left out keeps its default
 * ({@link FieldMapping#DEFAULT}); an empty value maps no field. Any other key is a usage error.
 */
public final class FieldMappingFile {
    private static final String PREFIX = "farmland.field.";
    private static final List<String> KEYS = List.of("parcel_id", "admin_code", "township", "land_class");

    private FieldMappingFile() {}

    /** @throws FarmwatchException USAGE when the file is missing, unreadable, or has an unknown key or no id field */
    public static FieldMapping read(Path file) {
        if (!Files.isRegularFile(file)) {
            throw FarmwatchException.usage("mapping file not found: " + file);
        }
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(r);
        } catch (IOException | IllegalArgumentException e) {
            throw FarmwatchException.usage("cannot read mapping file " + file + ": " + e.getMessage());
        }
        return from(p, file.toString());
    }

    /** The mapping that {@code p} describes; {@code where} names it in messages. */
    static FieldMapping from(Properties p, String where) {
        Map<String, List<String>> lists = new java.util.HashMap<>();
        for (String raw : new TreeSet<>(p.stringPropertyNames())) {
            String key = raw.startsWith(PREFIX) ? raw.substring(PREFIX.length()) : raw;
            if (!KEYS.contains(key)) {
                throw FarmwatchException.usage(where + ": unknown mapping key '" + raw + "' (known: "
                        + String.join(", ", KEYS) + ")");
            }
            if (lists.containsKey(key)) {
                throw FarmwatchException.usage(where + ": " + key + " is given twice (with and without " + PREFIX + ")");
            }
            List<String> names = new ArrayList<>();
            for (String name : p.getProperty(raw).split(",")) {
                if (!name.isBlank()) {
                    names.add(name.trim());
                }
            }
            lists.put(key, List.copyOf(names));
        }
        FieldMapping d = FieldMapping.DEFAULT;
        FieldMapping m = new FieldMapping(lists.getOrDefault("parcel_id", d.parcelId()),
                lists.getOrDefault("admin_code", d.adminCode()), lists.getOrDefault("township", d.township()),
                lists.getOrDefault("land_class", d.landClass()));
        if (m.parcelId().isEmpty()) {
            throw FarmwatchException.usage(where + ": parcel_id must name at least one field");
        }
        return m;
    }
}
