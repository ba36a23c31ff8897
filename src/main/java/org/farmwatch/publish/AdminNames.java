package org.farmwatch.publish;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.farmwatch.util.FarmwatchException;

/**
 * Names of administrative divisions by their code, for the patch list's county, township and village columns.
 * Immutable. A Chinese 12-digit division code is province (2) + city (2) + county (2) + township (3) + village (3);
 * a 19-digit survey owner code (ZLDWDM) begins with it, so the first 6, 9 and 12 digits name the county, township
 * and village.
 *
 * <p>The table is a UTF-8 text file of {@code code,name} lines ({@code #} starts a comment): {@code admin_names.csv}
 * in {@code conf/} (built into the jar), overridden line by line by an {@code admin_names.csv} beside the run's
 * {@code --conf} file. A code without a name leaves its column to the farmland base's own name, or empty.
 */
public final class AdminNames {

    public static final String FILE = "admin_names.csv";

    private static final AdminNames NONE = new AdminNames(Map.of());

    private final Map<String, String> byCode;

    private AdminNames(Map<String, String> byCode) {
        this.byCode = Map.copyOf(byCode);
    }

    /** A table with no names. */
    public static AdminNames none() {
        return NONE;
    }

    /** The table: the built-in one, then {@value #FILE} beside {@code conf} when there is one. */
    public static AdminNames load(Path conf) {
        Map<String, String> names = new HashMap<>();
        try (InputStream in = AdminNames.class.getResourceAsStream("/" + FILE)) {
            if (in != null) {
                parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), "built-in " + FILE, names);
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the built-in " + FILE, e);
        }
        Path beside = conf == null ? null : conf.toAbsolutePath().resolveSibling(FILE);
        if (beside != null && Files.isRegularFile(beside)) {
            try {
                parse(Files.readString(beside, StandardCharsets.UTF_8), beside.toString(), names);
            } catch (IOException e) {
                throw FarmwatchException.usage("cannot read " + beside + ": " + e.getMessage());
            }
        }
        return new AdminNames(names);
    }

    /** A table from {@code code,name} lines; {@code where} names the source in messages. */
    public static AdminNames parse(String text, String where) {
        Map<String, String> names = new HashMap<>();
        parse(text, where, names);
        return new AdminNames(names);
    }

    private static void parse(String text, String where, Map<String, String> into) {
        String[] lines = text.replace("\uFEFF", "").split("\r?\n|\r");
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty() || line.startsWith("#")) {
                continue;
            }
            int comma = line.indexOf(',');
            String code = comma < 0 ? line : line.substring(0, comma).strip();
            String name = comma < 0 ? "" : line.substring(comma + 1).strip();
            if (!code.matches("\\d{6}|\\d{9}|\\d{12}") || name.isEmpty()) {
                throw FarmwatchException.usage(where + " line " + (i + 1) + ": expected 'code,name' with a 6-, 9- or "
                        + "12-digit code, got: '" + org.farmwatch.util.Text.shown(line, 80) + "'");
            }
            into.put(code, name);
        }
    }

    /** The county (first 6 digits) of an admin code, or "". */
    public String county(String adminCode) {
        return named(adminCode, 6);
    }

    /** The township (first 9 digits), or {@code fallback} (the farmland base's own name) when the table lacks it. */
    public String township(String adminCode, String fallback) {
        String n = named(adminCode, 9);
        return n.isEmpty() && fallback != null ? fallback : n;
    }

    /** The village (first 12 digits), or "". */
    public String village(String adminCode) {
        return named(adminCode, 12);
    }

    /** The first 6 digits of an admin code (the county), or "000000" when it has fewer digits. */
    public static String countyCode(String adminCode) {
        String digits = adminCode == null ? "" : adminCode.strip();
        return digits.length() >= 6 && digits.substring(0, 6).chars().allMatch(Character::isDigit)
                ? digits.substring(0, 6) : "000000";
    }

    private String named(String adminCode, int digits) {
        if (adminCode == null) {
            return "";
        }
        String c = adminCode.strip();
        return c.length() >= digits ? byCode.getOrDefault(c.substring(0, digits), "") : "";
    }
}
