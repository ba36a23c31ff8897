package org.farmwatch.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import org.farmwatch.change.ChangePatch;
import org.farmwatch.classify.LandCover;
import org.farmwatch.farmland.Parcel;
import org.farmwatch.flag.ChangeType;
import org.farmwatch.flag.FlaggedParcel;
import org.farmwatch.flag.ParcelHit;
import org.junit.jupiter.api.Test;
import org.locationtech.jts.geom.Geometry;
import org.locationtech.jts.io.WKTReader;
import scala.Tuple2;

/** The overlay's byte records: every field and coordinate back exactly, chunks cut and read back whole. */
class OverlayWireTest {

    private static Geometry wkt(String s) throws Exception {
        return new WKTReader().read(s);
    }

    /** Exact: the same coordinates bit for bit, in the same rings and order, and the same type. */
    private static void assertSameGeometry(Geometry expected, Geometry actual) {
        assertEquals(expected.getGeometryType(), actual.getGeometryType());
        assertTrue(expected.equalsExact(actual, 0), () -> expected + " came back as " + actual);
        assertTrue(actual.isValid() == expected.isValid());
    }

    @Test
    void patchesComeBackFieldForField() throws Exception {
        // Coordinates no decimal text could hold, a hole, and a multipolygon.
        Geometry holed = wkt("POLYGON ((500000.1 3000000.3, 500090.7 3000000.3, 500090.7 3000080.9, 500000.1 3000000.3),"
                + " (500050 3000010, 500080 3000010, 500080 3000040, 500050 3000010))");
        Geometry multi = wkt("MULTIPOLYGON (((0 0, 10 0, 10 10, 0 0)), ((20 20, 30 20, 30 30, 20 20)))");
        double odd = Math.nextUp(500000.1);
        Geometry ulp = wkt("POLYGON ((0 0, 1 0, 1 1, 0 0))");
        ulp.getCoordinates()[1].x = odd;
        ulp.geometryChanged();
        for (Geometry g : List.of(holed, multi, ulp)) {
            ChangePatch p = new ChangePatch("P-华-42", ChangeType.NON_GRAIN, "non_grain", LandCover.CROPLAND,
                    LandCover.ORCHARD, g.getArea(), 0.875, "2025-04-15", "2025-09-20", g);
            ChangePatch back = OverlayWire.patch(OverlayWire.patch(p));
            assertEquals(p.patchId(), back.patchId());
            assertEquals(p.changeType(), back.changeType());
            assertEquals(p.rule(), back.rule());
            assertEquals(p.fromClass(), back.fromClass());
            assertEquals(p.toClass(), back.toClass());
            assertEquals(Double.doubleToRawLongBits(p.areaM2()), Double.doubleToRawLongBits(back.areaM2()));
            assertEquals(p.confidence(), back.confidence());
            assertEquals(p.beforeDate(), back.beforeDate());
            assertEquals(p.afterDate(), back.afterDate());
            assertSameGeometry(g, back.geometry());
        }
        // A point is no patch shape, but must still travel (as WKB) rather than be lost.
        Geometry point = wkt("POINT (3 4)");
        ChangePatch odd1 = new ChangePatch("x", ChangeType.OTHER, "", LandCover.BUILT_UP, LandCover.BARE, 0, 0, "", "", point);
        assertSameGeometry(point, OverlayWire.patch(OverlayWire.patch(odd1)).geometry());
    }

    private static FlaggedParcel flagged(int i, Geometry g) {
        return new FlaggedParcel("TB" + i, "320100", i % 2 == 0 ? "东湖镇" : "(unknown)", "0101", ChangeType.NON_AGRICULTURAL,
                "non_agricultural", g.getArea(), 123.25 + i, 2, List.of("p" + i, "q" + i), "cropland", "built_up,bare",
                "2025-04-15", "2025-09-20", 7.5 * i, 118.78 + i * 1e-9, 32.04, g);
    }

    @Test
    void chunksHoldFlaggedParcelsAndHitsApart() throws Exception {
        Geometry g = wkt("POLYGON ((0 0, 100 0, 100 100, 0 100, 0 0))");
        OverlayWire.ChunkWriter w = new OverlayWire.ChunkWriter();
        List<FlaggedParcel> written = new ArrayList<>();
        Random r = new Random(7);
        int hitRecords = 0;
        // Enough records to fill more than one chunk: a chunk is sealed at CHUNK bytes.
        for (int i = 0; written.size() < 30_000; i++) {
            if (r.nextInt(5) == 0) {
                Parcel parcel = new Parcel("TB" + i, "320100", "东湖镇", "0102", g);
                w.hits(List.of(new ParcelHit(parcel, "a" + i, 0, "cropland", "built_up", 10.5, "2025-04-15", "2025-09-20", 1.0),
                        new ParcelHit(parcel, "b" + i, 1, "cropland", "orchard", 20.25, "2025-04-15", "2025-09-20", 1.0)));
                hitRecords++;
            } else {
                FlaggedParcel f = flagged(i, g);
                w.flagged(f);
                written.add(f);
            }
        }
        List<byte[]> chunks = new ArrayList<>();
        w.chunks().forEachRemaining(chunks::add);
        assertTrue(chunks.size() > 1, "30,000 records fill more than one chunk");
        assertFalse(w.chunks().hasNext(), "the writer is empty once drained");
        long flaggedCount = 0;
        List<FlaggedParcel> read = new ArrayList<>();
        List<ParcelHit> hits = new ArrayList<>();
        for (byte[] c : chunks) {
            assertTrue(c.length <= OverlayWire.CHUNK + 4096, "a chunk is sealed once it passes the chunk size");
            flaggedCount += OverlayWire.count(c, OverlayWire.FLAGGED);
            OverlayWire.flagged(c).forEachRemaining(read::add);
            OverlayWire.records(c, OverlayWire.HITS, rec -> OverlayWire.hits(rec, hits));
        }
        assertEquals(written.size(), flaggedCount);
        assertEquals(written.size(), read.size());
        for (int i = 0; i < written.size(); i++) {
            FlaggedParcel a = written.get(i);
            FlaggedParcel b = read.get(i);
            assertSameGeometry(a.geometry(), b.geometry());
            // Records compare field by field; the geometry was compared exactly above.
            assertEquals(a, new FlaggedParcel(b.parcelId(), b.adminCode(), b.township(), b.landClass(), b.changeType(),
                    b.rule(), b.parcelAreaM2(), b.changedAreaM2(), b.patchCount(), b.patchIds(), b.fromClasses(),
                    b.toClasses(), b.beforeDate(), b.afterDate(), b.priority(), b.centroidLon(), b.centroidLat(),
                    a.geometry()));
        }
        assertEquals(2 * hitRecords, hits.size());
        ParcelHit h = hits.get(1);
        assertEquals("orchard", h.toClass());
        assertEquals(1, h.ruleIndex());
        assertEquals(20.25, h.areaM2());
        assertEquals("东湖镇", h.parcel().township());
        // One parcel per record: its hits share it.
        assertTrue(hits.get(0).parcel() == hits.get(1).parcel());
        assertSameGeometry(g, h.parcel().geometry());
    }

    @Test
    void outboxSendsEachRecordToItsPartitionOnceWhileReading() {
        int parts = 3;
        Random r = new Random(11);
        List<long[]> sent = new ArrayList<>();
        // Large records (90 MB in all), so that chunks are sealed and handed on while the input is read.
        for (int i = 0; i < 4_500; i++) {
            sent.add(new long[] {r.nextLong(), 1 + r.nextInt(40_000), (byte) i});
        }
        int[] consumed = {0};
        Iterator<long[]> input = new Iterator<>() {
            @Override
            public boolean hasNext() {
                return consumed[0] < sent.size();
            }

            @Override
            public long[] next() {
                return sent.get(consumed[0]++);
            }
        };
        Iterator<Tuple2<Integer, byte[]>> chunks = OverlayWire.Outbox.stream(input, parts, (s, box) -> {
            byte[] rec = new byte[(int) s[1]];
            rec[0] = (byte) s[2];
            box.add(OverlayWire.partitionOf(Long.hashCode(s[0]), parts), s[0], rec);
        });
        List<long[]> got = new ArrayList<>();
        int n = 0;
        int consumedAtFirst = -1;
        long largest = 0;
        while (chunks.hasNext()) {
            Tuple2<Integer, byte[]> t = chunks.next();
            consumedAtFirst = consumedAtFirst < 0 ? consumed[0] : consumedAtFirst;
            largest = Math.max(largest, t._2().length);
            n++;
            int partition = t._1();
            OverlayWire.keyed(t._2(), (key, rec) -> {
                assertEquals(partition, OverlayWire.partitionOf(Long.hashCode(key), parts), "record in another partition's chunk");
                got.add(new long[] {key, rec.length, rec[0]});
            });
        }
        assertTrue(consumedAtFirst < sent.size() / 4, "the first chunk came after " + consumedAtFirst + " records");
        assertTrue(n > parts, "full chunks were sealed along the way");
        assertTrue(largest <= OverlayWire.CHUNK + 40_012, "a chunk is sealed once it passes the chunk size");
        java.util.Comparator<long[]> order = java.util.Comparator.<long[]>comparingLong(a -> a[0]).thenComparingLong(a -> a[2]);
        List<long[]> expected = new ArrayList<>(sent);
        expected.sort(order);
        got.sort(order);
        assertEquals(expected.size(), got.size());
        for (int i = 0; i < expected.size(); i++) {
            assertEquals(java.util.Arrays.toString(expected.get(i)), java.util.Arrays.toString(got.get(i)));
        }
        for (int h : new int[] {Integer.MIN_VALUE, -1, 0, 5}) {
            int p = OverlayWire.partitionOf(h, parts);
            assertTrue(p >= 0 && p < parts);
        }
    }

    @Test
    void outboxHoldsBoundedBytesHoweverManyPartitions() {
        // 2,000 partitions of 40 KB records: no partition fills a chunk soon, so the budget must seal them.
        int parts = 2_000;
        int[] consumed = {0};
        Iterator<Integer> input = java.util.stream.IntStream.range(0, 3_000).peek(i -> consumed[0]++).boxed().iterator();
        Iterator<Tuple2<Integer, byte[]>> chunks = OverlayWire.Outbox.stream(input, parts,
                (i, b) -> b.add(i % parts, i, new byte[40_000]));
        long bytes = 0;
        int count = 0;
        int consumedAtFirst = -1;
        while (chunks.hasNext()) {
            byte[] c = chunks.next()._2();
            consumedAtFirst = consumedAtFirst < 0 ? consumed[0] : consumedAtFirst;
            bytes += c.length;
            count++;
        }
        assertEquals(3_000L * (40_000 + 12), bytes, "every record once, with its key and length");
        assertTrue(count > 1, "sealed along the way, not in one block: " + count);
        // 32 MB is some 840 records of 40 KB: the first chunks leave then, not at the end of the input.
        assertTrue(consumedAtFirst > 0 && consumedAtFirst <= OverlayWire.Outbox.HELD / 40_000 + 1,
                "the first chunk came after " + consumedAtFirst + " records");
        assertTrue(count >= 3_000 * 40_000L / OverlayWire.Outbox.HELD, "sealed by the budget: " + count + " chunks");
    }

    @Test
    void spansCutWholeRecordsThatReadBackElsewhere() throws Exception {
        Geometry g = wkt("POLYGON ((0 0, 1 0, 1 1, 0 0))");
        OverlayWire.ChunkWriter w = new OverlayWire.ChunkWriter();
        w.flagged(flagged(1, g));
        Parcel parcel = new Parcel("TB9", "", "", "", g);
        w.hits(List.of(new ParcelHit(parcel, "z", 0, "cropland", "bare", 1, "", "", 1.0)));
        w.flagged(flagged(2, g));
        byte[] chunk = w.chunks().next();
        List<int[]> spans = new ArrayList<>();
        Iterator<Tuple2<Integer, byte[]>> out = OverlayWire.Outbox.<byte[]>stream(List.of(chunk).iterator(), 1,
                (c, box) -> OverlayWire.spans(c, OverlayWire.HITS, (from, to) -> {
                    spans.add(new int[] {from, to});
                    box.add(0, c, from, to);
                }));
        byte[] moved = out.next()._2();
        assertEquals(1, spans.size());
        assertNotSame(chunk, moved);
        assertEquals(0, OverlayWire.count(moved, OverlayWire.FLAGGED));
        List<ParcelHit> hits = new ArrayList<>();
        OverlayWire.records(moved, OverlayWire.HITS, rec -> {
            assertEquals("TB9", OverlayWire.hitsParcelId(rec));
            OverlayWire.hits(rec, hits);
        });
        assertEquals(1, hits.size());
        assertEquals("z", hits.get(0).patchId());
        assertEquals(2, OverlayWire.count(chunk, OverlayWire.FLAGGED));
    }
}
