package org.farmwatch.publish;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.Map;
import org.farmwatch.util.FarmwatchException;
import org.farmwatch.util.PgUrlText;

/**
 * The PostgreSQL database that holds the one map, named by a URL:
 * <pre>
 * postgresql://user[:password]@host[:port]/database[?sslmode=mode]
 * </pre>
 * The same form as {@code farmland.PostgisParcelSource} reads, without its {@code table} and {@code geom}
 * parameters: the one map's schema is given apart ({@code --onemap-schema}). {@code postgres://} is accepted too;
 * the port defaults to 5432, the user to {@code $PGUSER} or the OS user. Without a password in the URL it comes
 * from {@code $PGPASSWORD}, else from the first matching line of {@code $PGPASSFILE} or {@code ~/.pgpass} (a file
 * that group or others may read is ignored, as libpq does), else none. {@link #describe()} and
 * {@link #toString()} never show the password, and neither does any message this class makes. Immutable.
 *
 * <p>The URL parsing is a copy of {@code PostgisParcelSource}'s, whose helpers are private to its package.
 */
final class OneMapDatabase {

    private static final int TIMEOUT_SECONDS = 10;

    private final String user;
    /** Null when there is none. Never logged, never in {@link #describe()}. */
    private final String password;
    private final String host;
    private final int port;
    private final String database;
    /** Null: the driver's default. */
    private final String sslMode;

    private OneMapDatabase(String user, String password, String host, int port, String database, String sslMode) {
        this.user = user;
        this.password = password;
        this.host = host;
        this.port = port;
        this.database = database;
        this.sslMode = sslMode;
    }

    /**
     * Parses a one-map URL (see the class comment), resolving the password from the environment and
     * {@code ~/.pgpass} when the URL has none.
     *
     * @throws FarmwatchException of kind USAGE naming what is wrong with the URL
     */
    static OneMapDatabase parse(String url) {
        return parse(url, System.getenv(), Path.of(System.getProperty("user.home", "/")));
    }

    /** {@link #parse(String)} with the environment and home directory given, for tests. */
    static OneMapDatabase parse(String url, Map<String, String> env, Path home) {
        PgUrlText.Address address = PgUrlText.Address.parse(url, "--onemap", "postgresql://user@host:port/database",
                "--onemap URL");
        String sslMode = null;
        for (String[] pair : address.params()) {
            if (!pair[0].equals("sslmode")) {
                throw FarmwatchException.usage("--onemap URL has an unknown parameter '" + pair[0]
                        + "' (known: sslmode; the schema is --onemap-schema)");
            }
            sslMode = PgUrlText.sslMode(pair[1], "--onemap URL");
        }

        address = address.withCredentials(env, home);
        String user = address.user();
        String password = address.password();
        String host = address.host();
        int port = address.port();
        String database = address.database();
        return new OneMapDatabase(user, password, host, port, database, sslMode);
    }

    /** {@code postgresql://user@host:port/database}, with {@code sslmode} when given; never the password. */
    String describe() {
        return "postgresql://" + user + '@' + host + ':' + port + '/' + database
                + (sslMode != null ? "?sslmode=" + sslMode : "");
    }

    /**
     * The connection part of a QGIS PostgreSQL data source ({@code dbname='d' host=h port=p user='u'}, with
     * {@code sslmode}), never the password: QGIS takes it from the analyst's {@code ~/.pgpass}, PGPASSWORD or asks.
     */
    String qgisConnection() {
        return "dbname='" + quoted(database) + "' host=" + host + " port=" + port + " user='" + quoted(user) + "'"
                + (sslMode != null ? " sslmode=" + sslMode : "");
    }

    private static String quoted(String v) {
        return v.replace("\\", "\\\\").replace("'", "\\'");
    }

    @Override
    public String toString() {
        return describe();
    }

    /**
     * A new connection (10 s connect and login timeouts) in auto-commit mode.
     *
     * @param applicationName what {@code pg_stat_activity.application_name} shows for it
     * @throws FarmwatchException of kind SERVICE when the server cannot be reached or refuses the login
     */
    Connection connect(String applicationName) {
        return PgUrlText.connect(host, port, database, user, password, sslMode, applicationName, TIMEOUT_SECONDS,
                "PostGIS one map", describe());
    }

    /** The SQL error as one line. PostgreSQL's messages do not repeat the password. */
    static String reason(SQLException e) {
        return PgUrlText.reason(e);
    }

    // ---- URL text ----------------------------------------------------------------------------------------------

    /** The URL with any password replaced by ***, for error messages. */
    static String redact(String url) {
        return org.farmwatch.util.PgUrlText.redact(url);
    }

    /** The password of the first matching line of a libpq password file, or null. */
    static String pgpassPassword(Path file, String host, int port, String database, String user) {
        return org.farmwatch.util.PgUrlText.pgpassPassword(file, host, port, database, user);
    }
}
