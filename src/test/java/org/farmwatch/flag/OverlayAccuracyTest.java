package org.farmwatch.flag;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.farmwatch.change.ChangePatch;
import org.farmwatch.classify.LandCover;
import org.farmwatch.config.Settings;
import org.farmwatch.farmland.FieldMapping;
import org.farmwatch.farmland.Parcel;
import org.farmwatch.farmland.ParcelSource;
import org.farmwatch.farmland.ParcelSources;
import org.farmwatch.grid.GridLayout;
import org.farmwatch.grid.TileKey;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.locationtech.jts.geom.Coordinate;
import org.locationtech.jts.geom.Envelope;
import org.locationtech.jts.geom.Geometry;
import org.locationtech.jts.geom.GeometryFactory;
import org.locationtech.jts.index.strtree.STRtree;
import org.locationtech.jts.io.WKBWriter;

/**
 * The overlay's areas on real parcel registers ({@code ../shared/realdata/lpis-parcels}, or the folder named by
 * {@code -Dfarmwatch.realdata}) against PostGIS {@code ST_Area(ST_Intersection(...))} in the same CRS: synthetic,
 * deterministic change patches around the parcels' corners and across them, overlaid tile by tile as the Spark job
 * does (small tiles, so parcels and patches cross many tile edges), must give every (patch, parcel) area within 0.1%.
 * Needs {@code -Dfarmwatch.pgurl}; skipped without it or the data (failing under CI).
 */
class OverlayAccuracyTest {

    private static final double TOLERANCE = 0.001;
    /** Pairs that only touch: below this, either side may drop them. */
    private static final double SLIVER_M2 = 1e-3;

    private static final GeometryFactory GF = new GeometryFactory();

    @ParameterizedTest(name = "{0}")
    @CsvSource({
            "brpgewaspercelen_definitief_2023.gpkg, id, EPSG:28992",
            "antrag.zip, ref_ident, EPSG:25833",
            "inspire_schlaege_2025-1_polygon.gpkg.zip, GEO_ID, EPSG:31287",
            "SI_2021.zip, ID, EPSG:3794"})
    void overlayAreasMatchPostgis(String name, String idField, String crs) throws Exception {
        Path file = realdata().resolve("lpis-parcels").resolve(name);
        if (!Files.isRegularFile(file)) {
            if (System.getenv("CI") != null) {
                fail("CI must have the real data; missing " + file);
            }
            assumeTrue(false, file + " is not there");
        }
        String url = System.getProperty("farmwatch.pgurl", "").trim();
        if (url.isEmpty()) {
            if (System.getenv("CI") != null) {
                fail("CI is set but -Dfarmwatch.pgurl is not");
            }
            assumeTrue(false, "no PostGIS server (-Dfarmwatch.pgurl)");
        }
        FieldMapping fields = new FieldMapping(List.of(idField), List.of(), List.of(), List.of());
        ParcelSource source = ParcelSources.open(file.toString(), fields);
        Envelope extent = source.check(crs).extent();

        // Every parcel once, for PostGIS and for placing the patches.
        List<Parcel> parcels = new ArrayList<>();
        source.forEachIn(extent, crs, parcels::add, reason -> { });
        // Brandenburg's ref_ident names a field block and repeats (82 distinct of 100): later repeats are
        // rejected as duplicate ids, as import-farmland does.
        assertTrue(parcels.size() >= 80, name + ": " + parcels.size() + " parcels read");
        List<ChangePatch> patches = patches(parcels, new Random(name.hashCode()));

        // 10 m cells, 16-cell tiles: 160 m tiles, with an origin off any round number.
        GridLayout layout = new GridLayout(crs, Math.floor(extent.getMinX()) - 37.3, Math.ceil(extent.getMaxY()) + 53.9,
                10, 16);
        Map<TileKey, List<ChangePatch>> byTile = new HashMap<>();
        for (ChangePatch p : patches) {
            for (TileKey k : layout.keysCovering(p.geometry().getEnvelopeInternal())) {
                byTile.computeIfAbsent(k, x -> new ArrayList<>()).add(p);
            }
        }
        List<ConversionRule> rules = Settings.defaults().rules();
        ParcelOverlay overlay = new ParcelOverlay(layout, rules);
        Map<String, Double> ours = new HashMap<>();
        Set<String> parcelsOnSeveralTiles = new HashSet<>();
        Map<String, TileKey> firstTile = new HashMap<>();
        for (Map.Entry<TileKey, List<ChangePatch>> e : byTile.entrySet()) {
            STRtree index = ParcelOverlay.index(e.getValue());
            source.forEachIn(layout.extentOf(e.getKey()), crs, parcel -> {
                TileKey seen = firstTile.putIfAbsent(parcel.parcelId(), e.getKey());
                if (seen != null && !seen.equals(e.getKey())) {
                    parcelsOnSeveralTiles.add(parcel.parcelId());
                }
                overlay.overlay(e.getKey(), index, parcel, h -> ours.merge(h.patchId() + " " + h.parcel().parcelId(),
                        h.areaM2(), Double::sum));
            }, reason -> { });
        }

        Map<String, Double> postgis = postgis(url, crs, parcels, patches);
        assertTrue(postgis.size() >= 50, name + ": only " + postgis.size() + " (patch, parcel) pairs to compare");
        assertTrue(parcelsOnSeveralTiles.size() >= 20, name + ": only " + parcelsOnSeveralTiles.size()
                + " parcels cross tile edges");
        List<String> bad = new ArrayList<>();
        double sumOurs = 0;
        double sumPostgis = 0;
        double worst = 0;
        for (String key : new TreeSet<>(union(ours.keySet(), postgis.keySet()))) {
            double a = ours.getOrDefault(key, 0.0);
            double b = postgis.getOrDefault(key, 0.0);
            sumOurs += a;
            sumPostgis += b;
            if (Math.max(a, b) < SLIVER_M2) {
                continue;
            }
            worst = Math.max(worst, Math.abs(a - b) / Math.max(a, b));
            if (Math.abs(a - b) > TOLERANCE * Math.max(a, b)) {
                bad.add(key + ": farmwatch " + a + " m², PostGIS " + b + " m²");
            }
        }
        System.out.printf("[overlay-accuracy] %s: %d (patch, parcel) pairs, %d parcels across tile edges, "
                + "largest difference %.2e of the area%n", name, postgis.size(), parcelsOnSeveralTiles.size(), worst);
        assertEquals(List.of(), bad, name + ": pairs off by more than 0.1%");
        assertEquals(sumPostgis, sumOurs, TOLERANCE * sumPostgis, name + ": total area");
    }

    private static Path realdata() {
        return Path.of(System.getProperty("farmwatch.realdata", "../shared/realdata"));
    }

    private static Set<String> union(Set<String> a, Set<String> b) {
        Set<String> u = new HashSet<>(a);
        u.addAll(b);
        return u;
    }

    /**
     * Deterministic patches: irregular star-shaped polygons (20-150 m) centred on parcel corners, so that they cut
     * parcel edges, plus long thin strips (like new roads) through parcel centres, crossing neighbours.
     */
    static List<ChangePatch> patches(List<Parcel> parcels, Random rnd) {
        List<ChangePatch> out = new ArrayList<>();
        for (int i = 0; i < 160; i++) {
            Parcel p = parcels.get(rnd.nextInt(parcels.size()));
            Coordinate[] ring = p.geometry().getCoordinates();
            Coordinate c = ring[rnd.nextInt(ring.length)];
            int n = 6 + rnd.nextInt(8);
            double r0 = 20 + rnd.nextDouble() * 130;
            Coordinate[] pts = new Coordinate[n + 1];
            double start = rnd.nextDouble() * Math.PI;
            for (int k = 0; k < n; k++) {
                double a = start + 2 * Math.PI * k / n;
                double r = r0 * (0.5 + rnd.nextDouble() * 0.5);
                pts[k] = new Coordinate(c.x + r * Math.cos(a), c.y + r * Math.sin(a));
            }
            pts[n] = pts[0];
            out.add(patch("STAR" + i, GF.createPolygon(pts)));
        }
        for (int i = 0; i < 40; i++) {
            Coordinate c = parcels.get(rnd.nextInt(parcels.size())).geometry().getInteriorPoint().getCoordinate();
            double a = rnd.nextDouble() * Math.PI;
            double len = 200 + rnd.nextDouble() * 800;
            double w = 6 + rnd.nextDouble() * 10;
            double dx = Math.cos(a) * len / 2;
            double dy = Math.sin(a) * len / 2;
            double nx = -Math.sin(a) * w / 2;
            double ny = Math.cos(a) * w / 2;
            out.add(patch("ROAD" + i, GF.createPolygon(new Coordinate[] {
                    new Coordinate(c.x - dx + nx, c.y - dy + ny), new Coordinate(c.x + dx + nx, c.y + dy + ny),
                    new Coordinate(c.x + dx - nx, c.y + dy - ny), new Coordinate(c.x - dx - nx, c.y - dy - ny),
                    new Coordinate(c.x - dx + nx, c.y - dy + ny)})));
        }
        return out;
    }

    private static ChangePatch patch(String id, Geometry g) {
        // non_agricultural watches every parcel (scope any), so no hit is left out for its land class.
        return new ChangePatch(id, ChangeType.NON_AGRICULTURAL, "non_agricultural", LandCover.CROPLAND, LandCover.BUILT_UP,
                g.getArea(), 1, "2024-05-01", "2025-05-01", g);
    }

    /** The same pairs' areas from PostGIS, in the same CRS, summed per (patch, parcel id) like ours. */
    private static Map<String, Double> postgis(String url, String crs, List<Parcel> parcels, List<ChangePatch> patches)
            throws Exception {
        URI u = URI.create(url.replaceFirst("^postgres(ql)?://", "http://"));
        String user = u.getUserInfo() == null ? "postgres" : u.getUserInfo().split(":")[0];
        int srid = Integer.parseInt(crs.substring(crs.indexOf(':') + 1));
        WKBWriter wkb = new WKBWriter();
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://" + u.getHost() + ":" + u.getPort() + u.getPath(),
                user, System.getenv().getOrDefault("PGPASSWORD", ""))) {
            c.setAutoCommit(false);
            try (Statement st = c.createStatement()) {
                st.execute("CREATE TEMP TABLE parcels (parcel_id text, geom geometry) ON COMMIT DROP");
                st.execute("CREATE TEMP TABLE patches (patch_id text, geom geometry) ON COMMIT DROP");
            }
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO parcels VALUES (?, ST_GeomFromWKB(?, " + srid + "))")) {
                for (Parcel p : parcels) {
                    ps.setString(1, p.parcelId());
                    ps.setBytes(2, wkb.write(p.geometry()));
                    ps.addBatch();
                }
                ps.executeBatch();
            }
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO patches VALUES (?, ST_GeomFromWKB(?, " + srid + "))")) {
                for (ChangePatch p : patches) {
                    ps.setString(1, p.patchId());
                    ps.setBytes(2, wkb.write(p.geometry()));
                    ps.addBatch();
                }
                ps.executeBatch();
            }
            Map<String, Double> out = new HashMap<>();
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(
                    "SELECT t.patch_id || ' ' || p.parcel_id, sum(ST_Area(ST_Intersection(t.geom, p.geom))) "
                            + "FROM patches t JOIN parcels p ON ST_Intersects(t.geom, p.geom) GROUP BY 1")) {
                while (rs.next()) {
                    out.put(rs.getString(1), rs.getDouble(2));
                }
            }
            c.rollback();
            return out;
        }
    }
}
