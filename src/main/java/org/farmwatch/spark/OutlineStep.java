package org.farmwatch.spark;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.HashPartitioner;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.storage.StorageLevel;
import org.apache.spark.util.LongAccumulator;
import org.farmwatch.change.ChangePatch;
import org.farmwatch.change.PatchMerger;
import org.farmwatch.change.PatchOutlines;
import org.farmwatch.grid.GridLayout;
import scala.Tuple2;

/**
 * The step that gives merged patches their published outlines ({@link PatchOutlines}), distributed as the merge is:
 * patches go to the tiles their reach touches, each tile reports the pairs of near patches (ids only reach the
 * driver), the pairs are closed into groups, and each group is simplified as one coverage in one task.
 */
final class OutlineStep {

    private OutlineStep() {}

    /**
     * The patches with simplified outlines, persisted and counted; adds the {@code outline_*} counts. Ids, areas and
     * every other field are those of {@code patches}: only the geometry differs.
     */
    static JavaRDD<ChangePatch> run(JavaSparkContext jsc, JavaRDD<ChangePatch> patches, GridLayout layout,
                                    double tolerance, Map<String, Long> counts) {
        int parts = Math.max(patches.getNumPartitions(), jsc.defaultParallelism() * 2);
        List<String[]> pairs = patches
                .flatMapToPair(p -> layout.keysCovering(PatchOutlines.reach(p, tolerance)).stream()
                        .map(k -> new Tuple2<>(k, p)).iterator())
                .partitionBy(new HashPartitioner(parts))
                .mapPartitions(it -> {
                    List<String[]> out = new ArrayList<>();
                    FarmwatchJob.byKey(it).forEach((tile, here) -> out.addAll(PatchOutlines.nearPairs(tile, here, layout, tolerance)));
                    return out.iterator();
                })
                .collect();
        Broadcast<Map<String, String>> group = jsc.broadcast(new HashMap<>(PatchMerger.groups(pairs)));
        LongAccumulator before = jsc.sc().longAccumulator("outline_vertices_cell_edges");
        LongAccumulator after = jsc.sc().longAccumulator("outline_vertices_published");
        LongAccumulator kept = jsc.sc().longAccumulator("outline_groups_kept_cell_edges");
        JavaRDD<ChangePatch> outlines = patches
                .mapToPair(p -> new Tuple2<>(group.value().getOrDefault(p.patchId(), p.patchId()), p))
                .partitionBy(new HashPartitioner(parts))
                .mapPartitions(it -> {
                    List<ChangePatch> out = new ArrayList<>();
                    for (List<ChangePatch> g : FarmwatchJob.byKey(it).values()) {
                        // In id order: the simplifier's result may depend on the order, and a re-run must draw the same.
                        g.sort(Comparator.comparing(ChangePatch::patchId));
                        PatchOutlines.Result r = PatchOutlines.simplify(g, layout, tolerance);
                        before.add(r.verticesBefore());
                        after.add(r.verticesAfter());
                        kept.add(r.keptCellEdges() ? 1 : 0);
                        out.addAll(r.patches());
                    }
                    return out.iterator();
                })
                .persist(StorageLevel.MEMORY_AND_DISK_SER());
        outlines.count();
        counts.put("outline_groups_joined", (long) new java.util.HashSet<>(group.value().values()).size());
        counts.put("outline_vertices_cell_edges", before.value());
        counts.put("outline_vertices_published", after.value());
        counts.put("outline_groups_kept_cell_edges", kept.value());
        return outlines;
    }
}
