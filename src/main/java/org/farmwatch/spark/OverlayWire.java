package org.farmwatch.spark;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.function.Consumer;
import org.farmwatch.change.ChangePatch;
import org.farmwatch.classify.LandCover;
import org.farmwatch.farmland.Parcel;
import org.farmwatch.flag.ChangeType;
import org.farmwatch.flag.FlaggedParcel;
import org.farmwatch.flag.ParcelHit;
import org.locationtech.jts.geom.Coordinate;
import org.locationtech.jts.geom.CoordinateSequence;
import org.locationtech.jts.geom.Geometry;
import org.locationtech.jts.geom.GeometryFactory;
import org.locationtech.jts.geom.LinearRing;
import org.locationtech.jts.geom.MultiPolygon;
import org.locationtech.jts.geom.Polygon;

/**
 * The overlay's records as plain bytes, for what Spark moves and keeps between its steps: change patches on
 * their way to the tiles they touch, the hits on parcels across tile edges, and flagged parcels. Java
 * serialization of these records (reflection per field, a handle per string, WKB through streams) cost more
 * than the intersections themselves; bytes cost a copy, and a block of them needs no size estimate.
 *
 * <p>Records are written one after another into chunks of about {@link #CHUNK} bytes, each record a tag
 * ({@link #FLAGGED}, {@link #HITS}), its length, then its fields, so a reader can skip records of the other
 * kind without decoding them. Doubles are written as their bits, so every coordinate and area comes back exact.
 */
final class OverlayWire {
    private OverlayWire() {}

    /** A flagged parcel, final. */
    static final byte FLAGGED = 1;
    /** A parcel across tile edges with the hits one tile found on it, to meet its other tiles' hits. */
    static final byte HITS = 2;
    /** Bytes before a record's fields: its tag and its length. */
    static final int RECORD_HEADER = 5;
    /** Chunk size: large enough that per-chunk costs vanish, small enough to keep a task's memory bounded. */
    static final int CHUNK = 4 << 20;

    private static final GeometryFactory GEOMETRY = new GeometryFactory();
    private static final ChangeType[] CHANGE_TYPES = ChangeType.values();
    private static final LandCover[] LAND_COVERS = LandCover.values();
    private static final byte POLYGON = 1;
    private static final byte MULTI_POLYGON = 2;
    private static final byte OTHER_WKB = 3;

    /** A growing byte buffer with the few writes the records need. */
    static final class Out {
        byte[] buf;
        int len;

        Out(int capacity) {
            buf = new byte[capacity];
        }

        private void room(int n) {
            if (len + n > buf.length) {
                buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + n));
            }
        }

        void u8(int v) {
            room(1);
            buf[len++] = (byte) v;
        }

        void i32(int v) {
            room(4);
            i32At(len, v);
            len += 4;
        }

        /** Overwrites the four bytes at {@code at}, already written. */
        void i32At(int at, int v) {
            buf[at] = (byte) (v >>> 24);
            buf[at + 1] = (byte) (v >>> 16);
            buf[at + 2] = (byte) (v >>> 8);
            buf[at + 3] = (byte) v;
        }

        void i64(long v) {
            i32((int) (v >>> 32));
            i32((int) v);
        }

        void f64(double v) {
            i64(Double.doubleToRawLongBits(v));
        }

        void str(String s) {
            if (s == null) {
                i32(-1);
                return;
            }
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            i32(b.length);
            room(b.length);
            System.arraycopy(b, 0, buf, len, b.length);
            len += b.length;
        }

        byte[] toBytes() {
            return Arrays.copyOf(buf, len);
        }
    }

    /** Reads what {@link Out} wrote, from {@code at} on. */
    static final class In {
        final byte[] buf;
        int at;

        In(byte[] buf) {
            this.buf = buf;
        }

        boolean more() {
            return at < buf.length;
        }

        int u8() {
            return buf[at++] & 0xff;
        }

        int i32() {
            int v = (buf[at] & 0xff) << 24 | (buf[at + 1] & 0xff) << 16 | (buf[at + 2] & 0xff) << 8 | (buf[at + 3] & 0xff);
            at += 4;
            return v;
        }

        long i64() {
            return (long) i32() << 32 | (i32() & 0xffffffffL);
        }

        double f64() {
            return Double.longBitsToDouble(i64());
        }

        String str() {
            int n = i32();
            if (n < 0) {
                return null;
            }
            String s = new String(buf, at, n, StandardCharsets.UTF_8);
            at += n;
            return s;
        }
    }

    // Geometry: polygons and multipolygons as rings of raw XY doubles; anything else (never seen here) as WKB.

    static void geometry(Out o, Geometry g) {
        if (g instanceof Polygon p && !hasZ(g)) {
            o.u8(POLYGON);
            polygon(o, p);
        } else if (g instanceof MultiPolygon m && !hasZ(g)) {
            o.u8(MULTI_POLYGON);
            o.i32(m.getNumGeometries());
            for (int i = 0; i < m.getNumGeometries(); i++) {
                polygon(o, (Polygon) m.getGeometryN(i));
            }
        } else {
            o.u8(OTHER_WKB);
            byte[] wkb = org.farmwatch.util.WkbWire.write(g);
            o.i32(wkb.length);
            o.room(wkb.length);
            System.arraycopy(wkb, 0, o.buf, o.len, wkb.length);
            o.len += wkb.length;
        }
    }

    private static boolean hasZ(Geometry g) {
        return !g.isEmpty() && !Double.isNaN(g.getCoordinate().getZ());
    }

    private static void polygon(Out o, Polygon p) {
        o.i32(p.isEmpty() ? 0 : 1 + p.getNumInteriorRing());
        if (p.isEmpty()) {
            return;
        }
        ring(o, p.getExteriorRing().getCoordinateSequence());
        for (int i = 0; i < p.getNumInteriorRing(); i++) {
            ring(o, p.getInteriorRingN(i).getCoordinateSequence());
        }
    }

    private static void ring(Out o, CoordinateSequence s) {
        int n = s.size();
        o.i32(n);
        o.room(16 * n);
        for (int i = 0; i < n; i++) {
            o.f64(s.getX(i));
            o.f64(s.getY(i));
        }
    }

    static Geometry geometry(In in) {
        int kind = in.u8();
        if (kind == POLYGON) {
            return polygon(in);
        }
        if (kind == MULTI_POLYGON) {
            Polygon[] parts = new Polygon[in.i32()];
            for (int i = 0; i < parts.length; i++) {
                parts[i] = polygon(in);
            }
            return GEOMETRY.createMultiPolygon(parts);
        }
        if (kind == OTHER_WKB) {
            int n = in.i32();
            byte[] wkb = Arrays.copyOfRange(in.buf, in.at, in.at + n);
            in.at += n;
            return org.farmwatch.util.WkbWire.read(wkb);
        }
        throw new IllegalStateException("corrupt overlay record: geometry kind " + kind);
    }

    private static Polygon polygon(In in) {
        int rings = in.i32();
        if (rings == 0) {
            return GEOMETRY.createPolygon();
        }
        LinearRing shell = ring(in);
        LinearRing[] holes = new LinearRing[rings - 1];
        for (int i = 0; i < holes.length; i++) {
            holes[i] = ring(in);
        }
        return GEOMETRY.createPolygon(shell, holes);
    }

    private static LinearRing ring(In in) {
        Coordinate[] c = new Coordinate[in.i32()];
        for (int i = 0; i < c.length; i++) {
            c[i] = new Coordinate(in.f64(), in.f64());
        }
        return GEOMETRY.createLinearRing(c);
    }

    // Change patches, one per byte array: the values of the shuffle to the tiles.

    static byte[] patch(ChangePatch p) {
        Out o = new Out(128 + 16 * p.geometry().getNumPoints());
        o.str(p.patchId());
        o.u8(p.changeType().ordinal());
        o.str(p.rule());
        o.u8(p.fromClass().ordinal());
        o.u8(p.toClass().ordinal());
        o.f64(p.areaM2());
        o.f64(p.confidence());
        o.str(p.beforeDate());
        o.str(p.afterDate());
        geometry(o, p.geometry());
        return o.len == o.buf.length ? o.buf : o.toBytes();
    }

    static ChangePatch patch(byte[] b) {
        In in = new In(b);
        return new ChangePatch(in.str(), CHANGE_TYPES[in.u8()], in.str(), LAND_COVERS[in.u8()], LAND_COVERS[in.u8()],
                in.f64(), in.f64(), in.str(), in.str(), geometry(in));
    }

    /** Writes records into chunks of about {@link #CHUNK} bytes; {@link #chunks()} gives the filled ones. */
    static final class ChunkWriter {
        private final List<byte[]> chunks = new ArrayList<>();
        private Out out = new Out(1 << 16);
        private int lengthAt;

        private void begin(byte tag) {
            out.u8(tag);
            lengthAt = out.len;
            out.i32(0);
        }

        private void end() {
            out.i32At(lengthAt, out.len - lengthAt - 4);
            if (out.len >= CHUNK) {
                chunks.add(out.toBytes());
                out = new Out(1 << 16);
            }
        }

        void flagged(FlaggedParcel f) {
            begin(FLAGGED);
            Out o = out;
            o.str(f.parcelId());
            o.str(f.adminCode());
            o.str(f.township());
            o.str(f.landClass());
            o.u8(f.changeType().ordinal());
            o.str(f.rule());
            o.f64(f.parcelAreaM2());
            o.f64(f.changedAreaM2());
            o.i32(f.patchCount());
            o.i32(f.patchIds().size());
            f.patchIds().forEach(o::str);
            o.str(f.fromClasses());
            o.str(f.toClasses());
            o.str(f.beforeDate());
            o.str(f.afterDate());
            o.f64(f.priority());
            o.f64(f.centroidLon());
            o.f64(f.centroidLat());
            geometry(o, f.geometry());
            end();
        }

        /** The hits one tile found on one parcel (all on that parcel, at least one). */
        void hits(List<ParcelHit> onParcel) {
            begin(HITS);
            Out o = out;
            Parcel p = onParcel.get(0).parcel();
            o.str(p.parcelId());
            o.str(p.adminCode());
            o.str(p.township());
            o.str(p.landClass());
            geometry(o, p.geometry());
            o.i32(onParcel.size());
            for (ParcelHit h : onParcel) {
                o.str(h.patchId());
                o.i32(h.ruleIndex());
                o.str(h.fromClass());
                o.str(h.toClass());
                o.f64(h.areaM2());
                o.str(h.beforeDate());
                o.str(h.afterDate());
                o.f64(h.confidence());
            }
            end();
        }

        /** The chunks written, the last one partly filled; the writer is empty afterwards. */
        Iterator<byte[]> chunks() {
            if (out.len > 0) {
                chunks.add(out.toBytes());
                out = new Out(1 << 16);
            }
            List<byte[]> done = new ArrayList<>(chunks);
            chunks.clear();
            return done.iterator();
        }
    }

    /**
     * Keyed records bound for the partitions of a shuffle, packed per partition into chunks of about {@link #CHUNK}
     * bytes: Spark then moves a few byte arrays per task instead of a pair per record. Keyed by the partition
     * number, which a {@link org.apache.spark.HashPartitioner} of as many partitions maps to itself. It holds at
     * most about {@link #HELD} bytes unsealed: past that, every open chunk is sealed, however small.
     */
    static final class Outbox {
        /** The most an outbox keeps in open chunks, whatever the number of partitions. */
        static final long HELD = 32L << 20;
        private final Out[] open;
        private final java.util.ArrayDeque<scala.Tuple2<Integer, byte[]>> sealed = new java.util.ArrayDeque<>();
        private long held;

        Outbox(int partitions) {
            open = new Out[partitions];
        }

        /**
         * The chunks of all records {@code write} adds to the outbox for each input, sealed chunks handed on while
         * the input is still being read, so a task never holds all its records at once.
         */
        static <T> Iterator<scala.Tuple2<Integer, byte[]>> stream(Iterator<T> input, int partitions,
                                                                  java.util.function.BiConsumer<T, Outbox> write) {
            Outbox box = new Outbox(partitions);
            return new Iterator<>() {
                private boolean drained;

                @Override
                public boolean hasNext() {
                    while (box.sealed.isEmpty() && input.hasNext()) {
                        write.accept(input.next(), box);
                    }
                    if (box.sealed.isEmpty() && !drained) {
                        drained = true;
                        box.sealAll();
                    }
                    return !box.sealed.isEmpty();
                }

                @Override
                public scala.Tuple2<Integer, byte[]> next() {
                    if (!hasNext()) {
                        throw new java.util.NoSuchElementException();
                    }
                    return box.sealed.poll();
                }
            };
        }

        /** A record under a long key (a packed tile key) for {@code partition}. */
        void add(int partition, long key, byte[] record) {
            Out o = out(partition);
            int before = o.len;
            o.i64(key);
            o.i32(record.length);
            o.room(record.length);
            System.arraycopy(record, 0, o.buf, o.len, record.length);
            o.len += record.length;
            added(partition, o.len - before);
        }

        /** A whole tagged record (tag, length, fields) cut from {@code chunk} at {@code from}, for {@code partition}. */
        void add(int partition, byte[] chunk, int from, int to) {
            Out o = out(partition);
            o.room(to - from);
            System.arraycopy(chunk, from, o.buf, o.len, to - from);
            o.len += to - from;
            added(partition, to - from);
        }

        private Out out(int partition) {
            if (open[partition] == null) {
                open[partition] = new Out(1 << 14);
            }
            return open[partition];
        }

        private void added(int partition, int bytes) {
            held += bytes;
            if (open[partition].len >= CHUNK) {
                seal(partition);
            }
            if (held >= HELD) {
                sealAll();
            }
        }

        private void seal(int partition) {
            held -= open[partition].len;
            sealed.add(new scala.Tuple2<>(partition, open[partition].toBytes()));
            open[partition] = null;
        }

        private void sealAll() {
            for (int p = 0; p < open.length; p++) {
                if (open[p] != null && open[p].len > 0) {
                    seal(p);
                }
            }
        }
    }

    /** The partition of a shuffle of {@code partitions} that a key hashing to {@code hash} goes to. */
    static int partitionOf(int hash, int partitions) {
        return Math.floorMod(hash, partitions);
    }

    /** Calls {@code sink} with each keyed record of an {@link Outbox} chunk written by {@link Outbox#add(int, long, byte[])}. */
    static void keyed(byte[] chunk, java.util.function.BiConsumer<Long, byte[]> sink) {
        In in = new In(chunk);
        while (in.more()) {
            long key = in.i64();
            int n = in.i32();
            sink.accept(key, Arrays.copyOfRange(chunk, in.at, in.at + n));
            in.at += n;
        }
    }

    /** Where a record starts and ends in its chunk, its tag and length included. */
    interface Span {
        void accept(int from, int to);
    }

    /** Calls {@code sink} with the span of each record of {@code tag} in a chunk. */
    static void spans(byte[] chunk, byte tag, Span sink) {
        In in = new In(chunk);
        while (in.more()) {
            int from = in.at;
            int t = in.u8();
            int len = in.i32();
            in.at += len;
            if (t == tag) {
                sink.accept(from, in.at);
            }
        }
    }

    /** The number of records with {@code tag} in a chunk, read without decoding them. */
    static long count(byte[] chunk, byte tag) {
        long[] n = {0};
        spans(chunk, tag, (from, to) -> n[0]++);
        return n[0];
    }

    /** Calls {@code sink} with the fields of each record of {@code tag} in the chunk, as their own byte array. */
    static void records(byte[] chunk, byte tag, Consumer<byte[]> sink) {
        spans(chunk, tag, (from, to) -> sink.accept(Arrays.copyOfRange(chunk, from + RECORD_HEADER, to)));
    }

    /** The flagged parcels of a chunk, decoded one at a time; other records are skipped. */
    static Iterator<FlaggedParcel> flagged(byte[] chunk) {
        In in = new In(chunk);
        return new Iterator<>() {
            private int next = seek();

            private int seek() {
                while (in.more()) {
                    int t = in.u8();
                    int len = in.i32();
                    if (t == FLAGGED) {
                        return in.at;
                    }
                    in.at += len;
                }
                return -1;
            }

            @Override
            public boolean hasNext() {
                return next >= 0;
            }

            @Override
            public FlaggedParcel next() {
                if (next < 0) {
                    throw new java.util.NoSuchElementException();
                }
                FlaggedParcel f = flaggedParcel(in);
                next = seek();
                return f;
            }
        };
    }

    private static FlaggedParcel flaggedParcel(In in) {
        String parcelId = in.str();
        String adminCode = in.str();
        String township = in.str();
        String landClass = in.str();
        ChangeType type = CHANGE_TYPES[in.u8()];
        String rule = in.str();
        double parcelArea = in.f64();
        double changed = in.f64();
        int patchCount = in.i32();
        String[] ids = new String[in.i32()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = in.str();
        }
        return new FlaggedParcel(parcelId, adminCode, township, landClass, type, rule, parcelArea, changed, patchCount,
                List.of(ids), in.str(), in.str(), in.str(), in.str(), in.f64(), in.f64(), in.f64(), geometry(in));
    }

    /** The parcel id of a {@link #HITS} record (as {@link #records} hands it over), read without the rest. */
    static String hitsParcelId(byte[] record) {
        return hitsParcelId(record, 0);
    }

    /** The parcel id of the {@link #HITS} record whose fields start at {@code at} in {@code chunk}. */
    static String hitsParcelId(byte[] chunk, int at) {
        In in = new In(chunk);
        in.at = at;
        return in.str();
    }

    /** The hits of a {@link #HITS} record, added to {@code out}; the parcel is decoded once for all of them. */
    static void hits(byte[] record, List<ParcelHit> out) {
        In in = new In(record);
        Parcel parcel = new Parcel(in.str(), in.str(), in.str(), in.str(), geometry(in));
        int n = in.i32();
        for (int i = 0; i < n; i++) {
            out.add(new ParcelHit(parcel, in.str(), in.i32(), in.str(), in.str(), in.f64(), in.str(), in.str(), in.f64()));
        }
    }
}
