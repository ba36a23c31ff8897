package org.farmwatch.util;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The text of postgresql:// URLs shared by every PostGIS connection farmwatch makes: percent-decoding,
 * redacting the password for messages, and the libpq password file.
 */
public final class PgUrlText {
    private static final Logger LOG = LoggerFactory.getLogger(PgUrlText.class);

    private PgUrlText() {}

    /**
     * The parts of a postgresql:// URL after its scheme: user, password (null when absent), host, port,
     * database and the query's key/value pairs (decoded, in order), for each caller to check. Immutable.
     */
    public record Address(String user, String password, String host, int port, String database, List<String[]> params) {

        /**
         * Parses a whole URL given on the command line as {@code option} ({@code --to}, {@code --onemap}): empty,
         * or without the postgresql:// (or postgres://) scheme, is a usage error saying what was {@code expected}.
         */
        public static Address parse(String url, String option, String expected, String urlName) {
            if (url == null || url.isBlank()) {
                throw FarmwatchException.usage(option + " is empty; expected " + expected);
            }
            String rest = afterScheme(url);
            if (rest == null) {
                throw FarmwatchException.usage(option + " must be a postgresql:// URL, got: " + redact(url));
            }
            return parse(url, rest, urlName);
        }

        /** Parses {@code rest}, the URL after its scheme; messages start with {@code urlName} and never show the password. */
        public static Address parse(String url, String rest, String urlName) {
            int slash = rest.indexOf('/');
            if (slash < 0) {
                throw FarmwatchException.usage(urlName + " has no /database: " + redact(url));
            }
            String authority = rest.substring(0, slash);
            String pathAndQuery = rest.substring(slash + 1);
            int at = authority.lastIndexOf('@');
            String user = null;
            String password = null;
            if (at >= 0) {
                String userInfo = authority.substring(0, at);
                int colon = userInfo.indexOf(':');
                user = decode(colon < 0 ? userInfo : userInfo.substring(0, colon), "user name", url, urlName);
                if (colon >= 0) {
                    password = decode(userInfo.substring(colon + 1), "password", url, urlName);
                }
            }
            String hostPort = authority.substring(at + 1);
            String host;
            String portText = null;
            if (hostPort.startsWith("[")) {
                int close = hostPort.indexOf(']');
                if (close < 0) {
                    throw FarmwatchException.usage(urlName + " has an unclosed [IPv6 host]: " + redact(url));
                }
                host = hostPort.substring(0, close + 1);
                String after = hostPort.substring(close + 1);
                if (!after.isEmpty()) {
                    if (!after.startsWith(":")) {
                        throw FarmwatchException.usage(urlName + " has junk after the host: " + redact(url));
                    }
                    portText = after.substring(1);
                }
            } else {
                int colon = hostPort.lastIndexOf(':');
                host = colon < 0 ? hostPort : hostPort.substring(0, colon);
                portText = colon < 0 ? null : hostPort.substring(colon + 1);
            }
            if (host.isEmpty() || host.contains(",") || host.contains("/")) {
                throw FarmwatchException.usage(urlName + " needs one host name: " + redact(url));
            }
            int port = DEFAULT_PORT;
            if (portText != null) {
                try {
                    port = Integer.parseInt(portText);
                } catch (NumberFormatException e) {
                    port = -1;
                }
                if (port < 1 || port > 65535) {
                    throw FarmwatchException.usage(urlName + " port must be 1..65535, got: " + portText);
                }
            }
            int question = pathAndQuery.indexOf('?');
            String database = decode(question < 0 ? pathAndQuery : pathAndQuery.substring(0, question), "database", url,
                    urlName);
            if (database.isEmpty() || database.contains("/")) {
                throw FarmwatchException.usage(urlName + " needs a database name after the host: " + redact(url));
            }
            List<String[]> params = new ArrayList<>();
            if (question >= 0) {
                for (String pair : pathAndQuery.substring(question + 1).split("&")) {
                    if (pair.isEmpty()) {
                        continue;
                    }
                    int eq = pair.indexOf('=');
                    String key = eq < 0 ? pair : pair.substring(0, eq);
                    String value = eq < 0 ? "" : decode(pair.substring(eq + 1), key, url, urlName);
                    params.add(new String[] {key, value});
                }
            }
            return new Address(user, password, host, port, database, List.copyOf(params));
        }

        /**
         * Fills in what the URL left out as libpq does: the user from PGUSER (else the OS user), the password
         * from PGPASSWORD, else from PGPASSFILE or {@code ~/.pgpass}.
         */
        public Address withCredentials(java.util.Map<String, String> env, Path home) {
            String u = user;
            if (u == null || u.isEmpty()) {
                String envUser = env.get("PGUSER");
                u = envUser != null && !envUser.isEmpty() ? envUser : System.getProperty("user.name", "postgres");
            }
            String pw = password;
            if (pw == null) {
                pw = env.get("PGPASSWORD");
            }
            if (pw == null) {
                String passFile = env.get("PGPASSFILE");
                Path file = passFile != null && !passFile.isEmpty() ? Path.of(passFile) : home.resolve(".pgpass");
                pw = pgpassPassword(file, host, port, database, u);
            }
            return new Address(u, pw, host, port, database, params);
        }
    }

    private static final int DEFAULT_PORT = 5432;

    /** libpq's sslmode values. */
    public static final Set<String> SSL_MODES = Set.of("disable", "allow", "prefer", "require", "verify-ca", "verify-full");

    /** Schema, table and column names farmwatch accepts in a URL; they are double-quoted in SQL as well. */
    public static final java.util.regex.Pattern IDENTIFIER = java.util.regex.Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    /** The {@code sslmode} parameter's value, checked against libpq's modes. */
    public static String sslMode(String value, String urlName) {
        if (!SSL_MODES.contains(value)) {
            throw FarmwatchException.usage(urlName + " sslmode must be one of "
                    + String.join(", ", new java.util.TreeSet<>(SSL_MODES)) + ", got: " + value);
        }
        return value;
    }

    /** A table named {@code [schema.]table} in a URL's {@code table} parameter; the schema is {@code public} when left out. */
    public record Table(String schema, String table) {

        /** Parses {@code text} ({@code ?table=}), a usage error when missing or not two identifiers. */
        public static Table parse(String text, String url, String urlName) {
            if (text == null || text.isEmpty()) {
                throw FarmwatchException.usage(urlName + " needs ?table=schema.table: " + redact(url));
            }
            int dot = text.indexOf('.');
            String schema = dot >= 0 ? text.substring(0, dot) : "public";
            String table = dot >= 0 ? text.substring(dot + 1) : text;
            if (!IDENTIFIER.matcher(schema).matches() || !IDENTIFIER.matcher(table).matches()) {
                throw FarmwatchException.usage("PostGIS table must be [schema.]table, each matching "
                        + IDENTIFIER.pattern() + ", got: " + text);
            }
            return new Table(schema, table);
        }
    }

    // ---- URL text ----------------------------------------------------------------------------------------------

    /** The text after {@code postgresql://} or {@code postgres://}, or null when the URL has neither scheme. */
    public static String afterScheme(String url) {
        for (String scheme : List.of("postgresql://", "postgres://")) {
            if (url.startsWith(scheme)) {
                return url.substring(scheme.length());
            }
        }
        return null;
    }

    /**
     * Opens a JDBC connection with autocommit on, through the driver directly: DriverManager misses
     * drivers on Spark executors' class loaders. Keep-alive on, so that a dead server is noticed.
     *
     * @param service  what the server is to the user ("PostGIS", "PostGIS one map"), for the error
     * @param describe the redacted URL, for the error
     * @throws FarmwatchException of kind SERVICE when the server cannot be reached or refuses the login
     */
    public static java.sql.Connection connect(String host, int port, String database, String user, String password,
                                              String sslMode, String applicationName, int timeoutSeconds,
                                              String service, String describe) {
        java.util.Properties props = new java.util.Properties();
        props.setProperty("user", user);
        if (password != null) {
            props.setProperty("password", password);
        }
        props.setProperty("connectTimeout", Integer.toString(timeoutSeconds));
        props.setProperty("loginTimeout", Integer.toString(timeoutSeconds));
        props.setProperty("tcpKeepAlive", "true");
        props.setProperty("ApplicationName", applicationName);
        if (sslMode != null) {
            props.setProperty("sslmode", sslMode);
        }
        String jdbcUrl = "jdbc:postgresql://" + host + ":" + port + "/"
                + java.net.URLEncoder.encode(database, StandardCharsets.UTF_8);
        try {
            java.sql.Connection c = new org.postgresql.Driver().connect(jdbcUrl, props);
            if (c == null) {
                throw FarmwatchException.usage(service + " URL not understood by the JDBC driver: " + describe);
            }
            return c;
        } catch (java.sql.SQLException e) {
            throw FarmwatchException.service(service + " unavailable at " + describe + ": " + reason(e), e);
        }
    }

    /** An SQL error as one line. PostgreSQL's messages do not repeat the password. */
    public static String reason(java.sql.SQLException e) {
        String message = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return message.replace('\n', ' ').trim();
    }

    /** Percent-decodes a URL part as UTF-8 ('+' stays '+'). */
    public static String decode(String s, String what, String url, String urlName) {
        if (s.indexOf('%') < 0) {
            return s;
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(s.length());
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            if (ch != '%') {
                out.writeBytes(String.valueOf(ch).getBytes(StandardCharsets.UTF_8));
                continue;
            }
            int hi = i + 2 < s.length() ? Character.digit(s.charAt(i + 1), 16) : -1;
            int lo = i + 2 < s.length() ? Character.digit(s.charAt(i + 2), 16) : -1;
            if (hi < 0 || lo < 0) {
                throw FarmwatchException.usage(urlName + " has a bad %-escape in the " + what + ": " + redact(url));
            }
            out.write(hi * 16 + lo);
            i += 2;
        }
        return out.toString(StandardCharsets.UTF_8);
    }

    /** The URL with any password replaced by ***, for error messages. */
    public static String redact(String url) {
        int scheme = url.indexOf("://");
        if (scheme < 0) {
            return url;
        }
        int start = scheme + 3;
        int slash = url.indexOf('/', start);
        int end = slash < 0 ? url.length() : slash;
        int at = url.lastIndexOf('@', end - 1);
        if (at < start) {
            return url;
        }
        int colon = url.indexOf(':', start);
        if (colon < 0 || colon > at) {
            return url;
        }
        return url.substring(0, colon + 1) + "***" + url.substring(at);
    }

    // ---- ~/.pgpass ---------------------------------------------------------------------------------------------

    /**
     * The password of the first line of a libpq password file matching the connection, or null. Lines are
     * {@code host:port:database:user:password}, {@code *} matches anything, {@code \:} and {@code \\} escape.
     * As libpq does, a file that group or others may read is ignored.
     */
    public static String pgpassPassword(Path file, String host, int port, String database, String user) {
        if (!Files.isRegularFile(file)) {
            return null;
        }
        try {
            Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
            Set<PosixFilePermission> open = EnumSet.of(PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE,
                    PosixFilePermission.GROUP_EXECUTE, PosixFilePermission.OTHERS_READ,
                    PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);
            if (!Collections.disjoint(perms, open)) {
                LOG.warn("ignoring password file {}: group or others may read it (chmod 600 it)", file);
                return null;
            }
        } catch (UnsupportedOperationException e) {
            // Not a POSIX file system: no permission check, as on Windows.
        } catch (IOException e) {
            return null;
        }
        List<String> lines;
        try {
            lines = Files.readAllLines(file, StandardCharsets.UTF_8);
        } catch (IOException | RuntimeException e) {
            LOG.warn("cannot read password file {}: {}", file, e.getMessage());
            return null;
        }
        String[] wanted = {host, Integer.toString(port), database, user};
        for (String line : lines) {
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            List<String> fields = pgpassFields(line);
            if (fields.size() < 5) {
                continue;
            }
            boolean match = true;
            for (int i = 0; i < 4 && match; i++) {
                String f = fields.get(i);
                match = f.equals("*") || f.equals(wanted[i]);
            }
            if (match) {
                return fields.get(4);
            }
        }
        return null;
    }

    /** Splits a .pgpass line on unescaped ':', the fifth field taking the rest of the line. */
    private static List<String> pgpassFields(String line) {
        List<String> fields = new ArrayList<>(5);
        StringBuilder field = new StringBuilder();
        for (int i = 0; i < line.length(); i++) {
            char ch = line.charAt(i);
            if (ch == '\\' && i + 1 < line.length()) {
                field.append(line.charAt(++i));
            } else if (ch == ':' && fields.size() < 4) {
                fields.add(field.toString());
                field.setLength(0);
            } else {
                field.append(ch);
            }
        }
        fields.add(field.toString());
        return fields;
    }
}
