package org.farmwatch.classify;

import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.farmwatch.util.FarmwatchException;

/**
 * Builds the classifier of a {@link ClassifierKind}: the index rules, or the random forest trained by
 * {@code farmwatch train}, read from its model folder ({@code classify.model}). A model is read once per
 * JVM, so every task of an executor shares it.
 */
public final class Classifiers {
    private Classifiers() {}

    /** File inside a model folder holding the flattened trees; the rest of the folder is the MLlib model. */
    public static final String FOREST_FILE = "farmwatch-forest.bin";

    /** A model read once, with the file's stamp: a model trained again at the same path is read again. */
    private record Loaded(long modified, long length, ForestClassifier forest) {}

    private static final Map<String, Loaded> LOADED = new ConcurrentHashMap<>();

    /**
     * The classifier {@code options} name: the rules, or the forest read from its model folder. Also how a run
     * checks, on the driver before any work, that its model is there and readable.
     *
     * @throws FarmwatchException a usage error naming {@code classify.model} when the model is missing or unreadable
     */
    public static Classifier of(ClassifyOptions options) {
        return of(options.classifier(), options.thresholds(), options.model());
    }

    /** The classifier of {@code kind}: the rules with {@code thresholds}, or the forest saved at {@code modelPath}. */
    public static Classifier of(ClassifierKind kind, RuleClassifier.Thresholds thresholds, String modelPath) {
        return switch (kind) {
            case FOREST -> forest(modelPath);
            case RULES -> new RuleClassifier(thresholds);
        };
    }

    /**
     * What identifies the classifier's output for caching (the tile store): the rules' thresholds are
     * cached beside it; a forest is its model file's path, length and modification time.
     */
    public static String identity(ClassifierKind kind, String modelPath) {
        if (kind != ClassifierKind.FOREST) {
            return kind.text;
        }
        Path file = new Path(new Path(modelPath), FOREST_FILE);
        try {
            FileStatus st = file.getFileSystem(new Configuration()).getFileStatus(file);
            return "forest " + st.getPath() + " " + st.getLen() + " " + st.getModificationTime();
        } catch (IOException e) {
            throw FarmwatchException.usage("classify.model " + modelPath + " cannot be read: " + e.getMessage());
        }
    }

    /**
     * The forest saved at {@code modelPath} (a local path or any Hadoop file-system URI).
     *
     * @throws FarmwatchException a usage error naming {@code classify.model} when it is missing or unreadable
     */
    public static ForestClassifier forest(String modelPath) {
        Path file = new Path(new Path(modelPath), FOREST_FILE);
        try {
            FileSystem fs = file.getFileSystem(new Configuration());
            if (!fs.exists(file)) {
                throw FarmwatchException.usage("classify.model " + modelPath + " is not a model saved by 'farmwatch train' (no "
                        + FOREST_FILE + ")");
            }
            FileStatus st = fs.getFileStatus(file);
            Loaded l = LOADED.get(modelPath);
            if (l == null || l.modified() != st.getModificationTime() || l.length() != st.getLen()) {
                try (InputStream in = fs.open(file)) {
                    l = new Loaded(st.getModificationTime(), st.getLen(), ForestClassifier.read(in, "classify.model " + modelPath));
                }
                LOADED.put(modelPath, l);
            }
            return l.forest();
        } catch (IllegalArgumentException e) {
            throw FarmwatchException.usage(e.getMessage());
        } catch (IOException e) {
            throw FarmwatchException.usage("classify.model " + modelPath + " cannot be read: " + e.getMessage());
        }
    }

}
