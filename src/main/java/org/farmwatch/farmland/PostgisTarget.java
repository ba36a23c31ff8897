package org.farmwatch.farmland;

import java.nio.file.Path;
import java.sql.Connection;
import java.util.Map;
import java.util.regex.Pattern;
import org.farmwatch.util.FarmwatchException;
import org.farmwatch.util.PgUrlText;

/**
 * The PostGIS table an import writes to, named by a URL:
 * <pre>
 * postgresql://user[:password]@host[:port]/database?table=[schema.]table[&amp;sslmode=mode]
 * </pre>
 * The same form {@link PostgisParcelSource} reads, without its {@code geom} parameter: an import always writes
 * column {@code geom}. {@code postgres://} is accepted too; the port defaults to 5432, the schema to
 * {@code public}, the user to {@code $PGUSER} or the OS user. Without a password in the URL it comes from
 * {@code $PGPASSWORD}, else from the first matching line of {@code $PGPASSFILE} or {@code ~/.pgpass}, else none.
 * {@link #describe()} and {@link #toString()} never show the password. Immutable.
 */
public final class PostgisTarget {

    /** Schema and table names: unquoted-identifier syntax, double-quoted in SQL all the same. */
    static final Pattern IDENTIFIER = PgUrlText.IDENTIFIER;
    /** PostgreSQL truncates identifiers beyond 63 bytes; the rejects table adds {@value #REJECTS_SUFFIX}. */
    private static final int MAX_IDENTIFIER = 63;
    static final String REJECTS_SUFFIX = "_rejects";
    private static final int TIMEOUT_SECONDS = 10;

    private final String user;
    /** Null when there is none. Never logged, never in {@link #describe()}. */
    private final String password;
    private final String host;
    private final int port;
    private final String database;
    private final String schema;
    private final String table;
    /** Null: the driver's default. */
    private final String sslMode;

    private PostgisTarget(String user, String password, String host, int port, String database, String schema,
            String table, String sslMode) {
        this.user = user;
        this.password = password;
        this.host = host;
        this.port = port;
        this.database = database;
        this.schema = schema;
        this.table = table;
        this.sslMode = sslMode;
    }

    /**
     * Parses an import target URL (see the class comment).
     *
     * @throws FarmwatchException of kind USAGE naming what is wrong with the URL
     */
    public static PostgisTarget parse(String url) {
        return parse(url, System.getenv(), Path.of(System.getProperty("user.home", "/")));
    }

    /** {@link #parse(String)} with the environment and home directory given, for tests. */
    static PostgisTarget parse(String url, Map<String, String> env, Path home) {
        PgUrlText.Address address = PgUrlText.Address.parse(url, "--to",
                "postgresql://user@host:port/db?table=schema.table", "PostGIS URL");
        String tableParam = null;
        String sslMode = null;
        for (String[] pair : address.params()) {
            String key = pair[0];
            String value = pair[1];
            switch (key) {
                case "table" -> tableParam = value;
                case "sslmode" -> sslMode = PgUrlText.sslMode(value, "PostGIS URL");
                case "geom" -> throw FarmwatchException.usage(
                        "import-farmland always writes geometry column geom; drop &geom= from the --to URL");
                default -> throw FarmwatchException.usage(
                        "PostGIS URL has an unknown parameter '" + key + "' (known: table, sslmode)");
            }
        }
        PgUrlText.Table named = PgUrlText.Table.parse(tableParam, url, "PostGIS URL");
        String schema = named.schema();
        String table = named.table();
        if (schema.length() > MAX_IDENTIFIER || table.length() + REJECTS_SUFFIX.length() > MAX_IDENTIFIER) {
            throw FarmwatchException.usage("PostGIS table name too long: the schema may have " + MAX_IDENTIFIER
                    + " characters and the table " + (MAX_IDENTIFIER - REJECTS_SUFFIX.length())
                    + " (its rejects table adds " + REJECTS_SUFFIX + "), got: " + tableParam);
        }

        address = address.withCredentials(env, home);
        String user = address.user();
        String password = address.password();
        String host = address.host();
        int port = address.port();
        String database = address.database();
        return new PostgisTarget(user, password, host, port, database, schema, table, sslMode);
    }

    /** {@code postgresql://user@host:port/db?table=schema.table}, with {@code sslmode} when given; no password. */
    public String describe() {
        return "postgresql://" + user + '@' + host + ':' + port + '/' + database + "?table=" + schema + '.' + table
                + (sslMode == null ? "" : "&sslmode=" + sslMode);
    }

    @Override
    public String toString() {
        return describe();
    }

    public String schema() {
        return schema;
    }

    public String table() {
        return table;
    }

    /** The rejects table's name: the table's with {@value #REJECTS_SUFFIX}. */
    public String rejectsTable() {
        return table + REJECTS_SUFFIX;
    }

    /** {@code "schema"."table"}. */
    String qualified() {
        return quote(schema) + "." + quote(table);
    }

    /** {@code "schema"."table_rejects"}. */
    String qualifiedRejects() {
        return quote(schema) + "." + quote(rejectsTable());
    }

    static String quote(String identifier) {
        return '"' + identifier.replace("\"", "\"\"") + '"';
    }

    /**
     * Opens a connection with autocommit on.
     *
     * @throws FarmwatchException of kind SERVICE when the server cannot be reached or refuses the login
     */
    Connection connect() {
        return PgUrlText.connect(host, port, database, user, password, sslMode, "farmwatch import-farmland",
                TIMEOUT_SECONDS, "PostGIS", describe());
    }
}
