package org.farmwatch.cli;

import java.nio.file.Path;
import java.util.List;
import org.farmwatch.util.HadoopFs;

/**
 * Where a run's output folder goes: a local folder ({@link OutputDir}) or a folder on a Hadoop file
 * system ({@link HadoopOutputDir}). Either way the run publishes into a local staging folder and the
 * output appears whole on {@link #commit} or not at all.
 */
interface RunOutput {

    /** The output for {@code --out}: a Hadoop URI ({@code hdfs://}, {@code s3a://}...) or a local path. */
    static RunOutput of(String out, String runId) {
        if (HadoopFs.isUri(out)) {
            return new HadoopOutputDir(out, runId);
        }
        return new OutputDir(Path.of(out.startsWith("file:") ? java.net.URI.create(out).getPath() : out), runId);
    }

    /** Refuses a target that is not a farmwatch output or that holds or lies inside an input. */
    void refuseUnsafe(List<String> inputs);

    /** Prepares the target's parent and returns the local staging folder the run publishes into. */
    Path open();

    /** Where executors put their per-tile rasters: a local path or a Hadoop URI ending in {@code /.change-tiles}. */
    String changeTiles();

    /** Brings the executors' tiles into the staging folder's {@code .change-tiles} (and siblings) if they are elsewhere. */
    void gatherTiles();

    /** The {@code .farmwatch} folder beside the output (event log, tile store), as a URI. */
    String sideFolder();

    /** The output folder as a URI, for the tile store's {@code auto} location. */
    String uri();

    /** Moves the finished staging folder into place, replacing an earlier output. */
    void commit();

    /** Removes what a failed run left: the staging folder and parents this run created. */
    void abandon();

    /** The failure of a run that wrote here, restated when it is a full disk. */
    RuntimeException explain(Throwable failure);
}
