package org.farmwatch.spark;

import java.io.IOException;
import java.io.InputStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.farmwatch.change.ChangeModel;
import org.farmwatch.util.FarmwatchException;

/** Reads the change model a run's {@code change.model} names, from a local path or any Hadoop file system. */
public final class ChangeModels {
    private ChangeModels() {}

    /** Whether folder {@code modelPath} holds a change model file (which may still be damaged or stale). */
    public static boolean exists(String modelPath, Configuration hadoop) {
        Path file = new Path(new Path(modelPath), ChangeModel.FILE);
        try {
            return file.getFileSystem(hadoop).exists(file);
        } catch (IOException e) {
            throw FarmwatchException.usage("change.model " + modelPath + " cannot be read: " + e.getMessage());
        }
    }

    /**
     * The model in folder {@code modelPath}, or null when it is null.
     *
     * @throws FarmwatchException a usage error (exit 2) naming {@code change.model} when the model is missing,
     *                            damaged or stale
     */
    public static ChangeModel load(String modelPath, Configuration hadoop) {
        if (modelPath == null) {
            return null;
        }
        String what = "change.model " + modelPath;
        Path file = new Path(new Path(modelPath), ChangeModel.FILE);
        try {
            FileSystem fs = file.getFileSystem(hadoop);
            if (!fs.exists(file)) {
                throw FarmwatchException.usage(what + " is not a model saved by 'farmwatch train-change' (no "
                        + ChangeModel.FILE + ")");
            }
            try (InputStream in = fs.open(file)) {
                return ChangeModel.read(in, what);
            }
        } catch (IllegalArgumentException e) {
            throw FarmwatchException.usage(e.getMessage());
        } catch (IOException e) {
            throw FarmwatchException.usage(what + " cannot be read: " + e.getMessage());
        }
    }
}
