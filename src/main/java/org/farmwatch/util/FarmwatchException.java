package org.farmwatch.util;

/**
 * A failure that the command line reports as one line with a documented exit code. The message
 * names the file, band, option or service at fault.
 */
public class FarmwatchException extends RuntimeException {

    /** Why the run stopped; each reason has its own exit code. */
    public enum Kind {
        /** Bad command line or configuration: exit 2. */
        USAGE(2),
        /** Unreadable or invalid input data: exit 3. */
        INPUT(3),
        /** A required service (such as PostGIS) is unavailable: exit 4. */
        SERVICE(4),
        /** Another run holds the lock: exit 5. */
        LOCKED(5),
        /** Anything else: exit 1. */
        INTERNAL(1);

        public final int exitCode;

        Kind(int exitCode) {
            this.exitCode = exitCode;
        }
    }

    private final Kind kind;

    public FarmwatchException(Kind kind, String message) {
        super(message);
        this.kind = kind;
    }

    public FarmwatchException(Kind kind, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }

    /** Spark carries executor failures to the driver as text; this form keeps the kind readable there. */
    @Override
    public String toString() {
        return TAG + kind + "]: " + getMessage();
    }

    static final String TAG = "farmwatch-error[";

    /** Finds a FarmwatchException in a cause chain, or one that Spark flattened into a message. */
    public static FarmwatchException find(Throwable t) {
        for (Throwable cur = t; cur != null; cur = cur.getCause()) {
            if (cur instanceof FarmwatchException fe) {
                return fe;
            }
        }
        for (Throwable cur = t; cur != null; cur = cur.getCause()) {
            String msg = String.valueOf(cur.getMessage());
            int at = msg.indexOf(TAG);
            if (at >= 0) {
                int close = msg.indexOf("]: ", at);
                if (close > 0) {
                    try {
                        Kind k = Kind.valueOf(msg.substring(at + TAG.length(), close));
                        return new FarmwatchException(k, msg.substring(close + 3).split("\n", 2)[0], t);
                    } catch (IllegalArgumentException ignored) {
                        // not ours after all
                    }
                }
            }
        }
        return null;
    }

    public static FarmwatchException usage(String message) {
        return new FarmwatchException(Kind.USAGE, message);
    }

    public static FarmwatchException input(String message) {
        return new FarmwatchException(Kind.INPUT, message);
    }

    public static FarmwatchException input(String message, Throwable cause) {
        return new FarmwatchException(Kind.INPUT, message, cause);
    }

    public static FarmwatchException service(String message, Throwable cause) {
        return new FarmwatchException(Kind.SERVICE, message, cause);
    }
}
