package org.farmwatch.pipeline;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.farmwatch.change.PatchEvidence;
import org.farmwatch.change.PatchFragment;
import org.farmwatch.grid.TileKey;
import org.locationtech.jts.io.ParseException;
import org.locationtech.jts.io.WKBReader;
import org.locationtech.jts.io.WKBWriter;

/**
 * The bytes of the tile store's files: a tile's entry (its {@link TileResult} and raster files) and a scene's
 * tile window. Each starts with a magic number and its format, and ends with a trailer, so that a file cut
 * short or of another format fails to read instead of passing.
 */
final class StoreCodec {
    private StoreCodec() {}

    private static final int MAGIC = 0x46575453; // "FWTS"

    /** Bump when SceneReader's output or the layout of a scene entry changes. */
    static final int SCENE_FORMAT = 1;
    private static final int SCENE_MAGIC = 0x46575343; // "FWSC"

    /** Magic, format, size and band count, the ZSTD-compressed cells, their CRC32 as a trailer. */
    static byte[] sceneBytes(org.farmwatch.ingest.TileBands t) throws IOException {
        int n = t.width * t.height;
        java.nio.ByteBuffer raw = java.nio.ByteBuffer.allocate(t.bands.length * n * 4).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        for (float[] band : t.bands) {
            raw.asFloatBuffer().put(band);
            raw.position(raw.position() + n * 4);
        }
        byte[] packed = com.github.luben.zstd.Zstd.compress(raw.array(), 1);
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(packed);
        ByteArrayOutputStream b = new ByteArrayOutputStream(packed.length + 32);
        try (DataOutputStream d = new DataOutputStream(b)) {
            d.writeInt(SCENE_MAGIC);
            d.writeInt(SCENE_FORMAT);
            d.writeInt(t.width);
            d.writeInt(t.height);
            d.writeInt(t.bands.length);
            d.writeInt(raw.capacity());
            d.writeInt(packed.length);
            d.write(packed);
            d.writeLong(crc.getValue());
        }
        return b.toByteArray();
    }

    static org.farmwatch.ingest.TileBands readScene(DataInputStream d) throws IOException {
        if (d.readInt() != SCENE_MAGIC || d.readInt() != SCENE_FORMAT) {
            throw new IOException("not a scene window of this format");
        }
        int w = d.readInt();
        int h = d.readInt();
        int bands = d.readInt();
        int rawLength = d.readInt();
        int packedLength = d.readInt();
        if (bands != org.farmwatch.ingest.Band.values().length || w <= 0 || h <= 0
                || rawLength != (long) bands * w * h * 4 || packedLength <= 0 || packedLength > rawLength + 1024) {
            throw new IOException("bad scene window header");
        }
        byte[] packed = new byte[packedLength];
        d.readFully(packed);
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(packed);
        if (d.readLong() != crc.getValue()) {
            throw new IOException("scene window cut short or damaged");
        }
        byte[] raw = com.github.luben.zstd.Zstd.decompress(packed, rawLength);
        java.nio.FloatBuffer fb = java.nio.ByteBuffer.wrap(raw).order(java.nio.ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
        org.farmwatch.ingest.TileBands t = new org.farmwatch.ingest.TileBands(w, h);
        for (float[] band : t.bands) {
            fb.get(band);
        }
        return t;
    }

    static void write(DataOutputStream d, TileStore.Entry e) throws IOException {
        d.writeInt(MAGIC);
        d.writeInt(TileStore.FORMAT);
        d.writeLong(e.result().clearCells());
        d.writeLong(e.result().changedCells());
        d.writeInt(e.result().fragments().size());
        WKBWriter wkb = new WKBWriter(2);
        for (PatchFragment f : e.result().fragments()) {
            d.writeUTF(f.fragmentId());
            d.writeInt(f.tile().col());
            d.writeInt(f.tile().row());
            d.writeInt(f.code());
            d.writeLong(f.cells());
            d.writeDouble(f.confidenceSum());
            d.writeInt(f.edges());
            byte[] g = wkb.write(f.geometry());
            d.writeInt(g.length);
            d.write(g);
            for (double v : f.evidence().sums()) {
                d.writeDouble(v);
            }
        }
        for (byte[] file : List.of(e.changeTile(), e.beforeTrueColour(), e.afterTrueColour())) {
            d.writeInt(file.length);
            d.write(file);
        }
        // A trailer: an entry cut short by a crash or a full disk fails to read instead of passing.
        d.writeInt(MAGIC);
        d.flush();
    }

    static TileStore.Entry read(DataInputStream d) throws IOException, ParseException {
        if (d.readInt() != MAGIC || d.readInt() != TileStore.FORMAT) {
            throw new IOException("not a farmwatch tile-store entry of format " + TileStore.FORMAT);
        }
        long clear = d.readLong();
        long changed = d.readLong();
        int n = d.readInt();
        List<PatchFragment> fragments = new ArrayList<>(n);
        WKBReader wkb = new WKBReader();
        for (int i = 0; i < n; i++) {
            String id = d.readUTF();
            TileKey tile = new TileKey(d.readInt(), d.readInt());
            int code = d.readInt();
            long cells = d.readLong();
            double conf = d.readDouble();
            int edges = d.readInt();
            byte[] g = new byte[d.readInt()];
            d.readFully(g);
            double[] evidence = new double[PatchEvidence.NONE.sums().length];
            for (int j = 0; j < evidence.length; j++) {
                evidence[j] = d.readDouble();
            }
            fragments.add(new PatchFragment(id, tile, code, cells, conf, edges, wkb.read(g),
                    PatchEvidence.ofSums(evidence)));
        }
        byte[][] files = new byte[3][];
        for (int i = 0; i < files.length; i++) {
            files[i] = new byte[d.readInt()];
            d.readFully(files[i]);
        }
        if (d.readInt() != MAGIC) {
            throw new IOException("entry is truncated");
        }
        return new TileStore.Entry(new TileResult(fragments, clear, changed), files[0], files[1], files[2]);
    }
}
