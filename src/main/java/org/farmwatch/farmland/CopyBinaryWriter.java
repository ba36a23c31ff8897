package org.farmwatch.farmland;

import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Writes rows in PostgreSQL's binary COPY format ({@code COPY ... FROM STDIN (FORMAT binary)}): a signature,
 * then per row a 16-bit field count and each field as a 32-bit length (-1 for NULL) and its bytes, all
 * big-endian, then a -1 trailer. Values never pass through SQL text. A {@code geometry} field takes (E)WKB, which
 * PostGIS's binary input reads; a {@code text} field takes UTF-8 without NUL characters. Not thread-safe.
 */
final class CopyBinaryWriter {
    private static final byte[] SIGNATURE = {'P', 'G', 'C', 'O', 'P', 'Y', '\n', (byte) 0xFF, '\r', '\n', 0};

    private final DataOutputStream out;
    private long rows;

    CopyBinaryWriter(OutputStream target) throws IOException {
        this.out = new DataOutputStream(new BufferedOutputStream(target, 1 << 16));
        out.write(SIGNATURE);
        out.writeInt(0); // flags: no OIDs
        out.writeInt(0); // header extension length
    }

    /** Starts a row of {@code fields} fields; each must then be written once, in the COPY column order. */
    void startRow(int fields) throws IOException {
        out.writeShort(fields);
        rows++;
    }

    void int8(long value) throws IOException {
        out.writeInt(8);
        out.writeLong(value);
    }

    /** A text field; null is SQL NULL. NUL characters, which PostgreSQL text cannot hold, are dropped. */
    void text(String value) throws IOException {
        if (value == null) {
            out.writeInt(-1);
            return;
        }
        String clean = value.indexOf('\0') < 0 ? value : value.replace("\0", "");
        byte[] bytes = clean.getBytes(StandardCharsets.UTF_8);
        out.writeInt(bytes.length);
        out.write(bytes);
    }

    /** A bytea or geometry field; null is SQL NULL. */
    void bytes(byte[] value) throws IOException {
        if (value == null) {
            out.writeInt(-1);
            return;
        }
        out.writeInt(value.length);
        out.write(value);
    }

    /** Rows started so far. */
    long rows() {
        return rows;
    }

    /** Writes the trailer and flushes; the caller then ends the COPY. */
    void finish() throws IOException {
        out.writeShort(-1);
        out.flush();
    }
}
