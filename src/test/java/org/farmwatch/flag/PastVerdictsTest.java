package org.farmwatch.flag;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.farmwatch.change.ChangePatch;
import org.farmwatch.classify.LandCover;
import org.locationtech.jts.geom.Envelope;
import org.locationtech.jts.geom.Geometry;
import org.locationtech.jts.geom.GeometryFactory;
import org.junit.jupiter.api.Test;

/** Which later patches a judged patch keeps from being flagged: same parcel, overlapping, not grown past the factor. */
class PastVerdictsTest {

    private static final GeometryFactory GF = new GeometryFactory();

    private static Geometry box(double x0, double y0, double x1, double y1) {
        return GF.toGeometry(new Envelope(x0, x1, y0, y1));
    }

    private static ChangePatch patch(String id, Geometry g) {
        return new ChangePatch(id, ChangeType.NON_AGRICULTURAL, "non_agricultural", LandCover.CROPLAND, LandCover.BUILT_UP,
                g.getArea(), 0.9, "2025-05-01", "2026-05-01", g);
    }

    private final PastVerdicts past;

    PastVerdictsTest() {
        Map<String, List<PastVerdicts.Judged>> m = new HashMap<>();
        Geometry judged = box(0, 0, 20, 20); // 400 m²
        PastVerdicts.add(m, "P1", new PastVerdicts.Judged("CPold", "false_alarm", judged.getArea(), judged));
        past = PastVerdicts.of("EPSG:4527", 1.5, m);
    }

    @Test
    void theSamePatchAgainOrSlightlyLargerIsSuppressed() {
        assertEquals("CPold", past.suppressing("P1", patch("CPnew", box(0, 0, 20, 20))).patchId());
        assertEquals("CPold", past.suppressing("P1", patch("CPnew", box(5, 5, 29, 29))).patchId(), "576 m² <= 600 m²");
    }

    @Test
    void aPatchThatGrewBeyondTheFactorIsFlaggedAgain() {
        assertNull(past.suppressing("P1", patch("CPnew", box(0, 0, 25, 25))), "625 m² > 1.5 x 400 m²");
    }

    @Test
    void anotherPlaceOrAnotherParcelIsNotSuppressed() {
        assertNull(past.suppressing("P1", patch("CPnew", box(30, 30, 40, 40))), "no overlap");
        assertNull(past.suppressing("P2", patch("CPnew", box(0, 0, 20, 20))), "another parcel");
        assertNull(PastVerdicts.none().suppressing("P1", patch("CPnew", box(0, 0, 20, 20))));
    }
}
