package org.farmwatch.ingest;

import java.io.Serializable;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The scenes of one period (the baseline or the current one), in date order, composited per tile
 * into one clear-sky view. Immutable.
 */
public record Period(String name, List<Scene> scenes) implements Serializable {

    public Period {
        if (scenes == null || scenes.isEmpty()) {
            throw new IllegalArgumentException("period " + name + " has no scene");
        }
        scenes = scenes.stream().sorted(Comparator.comparing(Scene::date)).toList();
    }

    /** The period's date as patches report it: its latest acquisition. */
    public LocalDate date() {
        return scenes.get(scenes.size() - 1).date();
    }

    public Scene latest() {
        return scenes.get(scenes.size() - 1);
    }

    public List<String> sceneIds() {
        List<String> ids = new ArrayList<>();
        scenes.forEach(s -> ids.add(s.id()));
        return ids;
    }

    /**
     * A scene standing for the composite when thresholds ask for statistics: per band the median,
     * over the period's scenes, of each scene's statistics after dark-object subtraction, which
     * {@link SceneReader} has already applied to the composited cells.
     */
    public Scene statistics() {
        Map<Band, double[]> stats = new EnumMap<>(Band.class);
        for (Band b : Band.values()) {
            double[] p2 = new double[scenes.size()];
            double[] p50 = new double[scenes.size()];
            double[] p90 = new double[scenes.size()];
            for (int i = 0; i < scenes.size(); i++) {
                Scene s = scenes.get(i);
                p2[i] = s.p2(b) - s.dark(b);
                p50[i] = s.clearP50(b);
                p90[i] = s.clearP90(b);
            }
            stats.put(b, new double[] {median(p2), median(p50), median(p90), 0});
        }
        Scene last = latest();
        return new Scene(name, last.date(), new EnumMap<>(last.bands()), null, stats);
    }

    private static double median(double[] v) {
        double[] c = v.clone();
        Arrays.sort(c);
        int n = c.length;
        return n % 2 == 1 ? c[n / 2] : 0.5 * (c[n / 2 - 1] + c[n / 2]);
    }
}
