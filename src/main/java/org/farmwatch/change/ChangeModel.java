package org.farmwatch.change;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;

/**
 * A model that tells real conversions from false alarms, applied in plain Java: the trees of a Spark MLlib
 * random forest flattened into arrays, read from the {@code change-model.json} that {@code farmwatch train-change}
 * writes. As MLlib computes it, a patch's probability of being a real conversion is the weighted mean of its
 * leaves' shares of real conversions, one leaf per tree. Immutable.
 */
public final class ChangeModel implements Serializable {

    /** The file in a model folder that executors read. */
    public static final String FILE = "change-model.json";
    private static final String FORMAT = "farmwatch-change-model-1";
    // (a forest: see the class comment)

    /** The probability below which a patch goes to the low-confidence category, chosen by cross-validation. */
    private final double threshold0;
    private final double[] treeWeights;
    private final int[] roots;
    /** Per node: the split feature, or -1 for a leaf. */
    private final int[] feature;
    /** Per node: go left when the feature is {@code <=} this; a leaf's share of real conversions otherwise. */
    private final double[] threshold;
    private final int[] left;
    private final int[] right;

    public ChangeModel(double suggestedThreshold, double[] treeWeights, int[] roots, int[] feature, double[] threshold,
                       int[] left, int[] right) {
        int n = feature.length;
        if (!(suggestedThreshold >= 0 && suggestedThreshold <= 1)) {
            throw new IllegalArgumentException("a change model's threshold must be within 0..1, got: " + suggestedThreshold);
        }
        if (treeWeights.length != roots.length || roots.length == 0) {
            throw new IllegalArgumentException("a change model needs one weight per tree and one tree at least, got: "
                    + treeWeights.length + " weights, " + roots.length + " trees");
        }
        if (threshold.length != n || left.length != n || right.length != n) {
            throw new IllegalArgumentException("inconsistent change model arrays");
        }
        for (int r : roots) {
            if (r < 0 || r >= n) {
                throw new IllegalArgumentException("a tree root points outside the model: " + r);
            }
        }
        for (int i = 0; i < n; i++) {
            if (feature[i] >= ChangeFeatures.NAMES.size()
                    || (feature[i] >= 0 && (left[i] <= i || left[i] >= n || right[i] <= i || right[i] >= n))) {
                throw new IllegalArgumentException("node " + i + " points outside the model");
            }
        }
        this.threshold0 = suggestedThreshold;
        this.treeWeights = treeWeights.clone();
        this.roots = roots.clone();
        this.feature = feature.clone();
        this.threshold = threshold.clone();
        this.left = left.clone();
        this.right = right.clone();
    }

    /** The probability that a patch with features {@code x} ({@link ChangeFeatures}) is a real conversion. */
    public double probability(double[] x) {
        double sum = 0;
        double weights = 0;
        for (int t = 0; t < roots.length; t++) {
            int n = roots[t];
            while (feature[n] >= 0) {
                n = x[feature[n]] <= threshold[n] ? left[n] : right[n];
            }
            sum += treeWeights[t] * threshold[n];
            weights += treeWeights[t];
        }
        return weights > 0 ? sum / weights : 0;
    }

    /** The threshold {@code change.modelThreshold = auto} stands for. */
    public double suggestedThreshold() {
        return threshold0;
    }

    public int trees() {
        return roots.length;
    }

    public int nodes() {
        return feature.length;
    }

    /** Writes the model as JSON, with the feature names and version it reads. */
    public void write(OutputStream out) throws IOException {
        ObjectMapper json = new ObjectMapper();
        ObjectNode root = json.createObjectNode();
        root.put("format", FORMAT);
        root.put("feature_version", ChangeFeatures.VERSION);
        root.put("threshold", threshold0);
        ArrayNode names = root.putArray("features");
        ChangeFeatures.NAMES.forEach(names::add);
        ArrayNode trees = root.putArray("trees");
        for (int t = 0; t < roots.length; t++) {
            ObjectNode tree = trees.addObject();
            tree.put("weight", treeWeights[t]);
            tree.put("root", roots[t]);
        }
        ArrayNode nodes = root.putArray("nodes");
        for (int i = 0; i < feature.length; i++) {
            // [feature, threshold or leaf value, left, right]
            nodes.addArray().add(feature[i]).add(threshold[i]).add(left[i]).add(right[i]);
        }
        json.writerWithDefaultPrettyPrinter().writeValue(out, root);
    }

    /**
     * Reads a model written by {@link #write}.
     *
     * @param what names the source in messages, e.g. "change.model /models/2026-11"
     * @throws IllegalArgumentException when the file is not such a model, is damaged, or was trained on other
     *                                  features (stale: retrain it with this farmwatch)
     */
    public static ChangeModel read(InputStream in, String what) throws IOException {
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(in);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException(what + " is damaged: " + e.getOriginalMessage());
        }
        if (root == null || !FORMAT.equals(root.path("format").asText())) {
            throw new IllegalArgumentException(what + " is not a change model written by 'farmwatch train-change'");
        }
        List<String> names = new ArrayList<>();
        root.path("features").forEach(n -> names.add(n.asText()));
        if (root.path("feature_version").asInt() != ChangeFeatures.VERSION || !names.equals(ChangeFeatures.NAMES)) {
            throw new IllegalArgumentException(what + " is stale: it was trained on features of version "
                    + root.path("feature_version").asInt() + " (" + names.size() + " features), this farmwatch computes "
                    + "version " + ChangeFeatures.VERSION + " (" + ChangeFeatures.NAMES.size()
                    + "); retrain it with 'farmwatch train-change'");
        }
        JsonNode trees = root.path("trees");
        JsonNode nodes = root.path("nodes");
        double[] weights = new double[trees.size()];
        int[] roots = new int[trees.size()];
        for (int t = 0; t < trees.size(); t++) {
            weights[t] = number(trees.get(t).path("weight"), what);
            roots[t] = (int) number(trees.get(t).path("root"), what);
        }
        int n = nodes.size();
        int[] feature = new int[n];
        double[] threshold = new double[n];
        int[] left = new int[n];
        int[] right = new int[n];
        for (int i = 0; i < n; i++) {
            JsonNode a = nodes.get(i);
            if (a.size() != 4) {
                throw new IllegalArgumentException(what + " is damaged: node " + i + " has " + a.size() + " values, not 4");
            }
            feature[i] = (int) number(a.get(0), what);
            threshold[i] = number(a.get(1), what);
            left[i] = (int) number(a.get(2), what);
            right[i] = (int) number(a.get(3), what);
        }
        try {
            return new ChangeModel(number(root.get("threshold"), what), weights, roots, feature, threshold, left, right);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(what + " is damaged: " + e.getMessage());
        }
    }

    private static double number(JsonNode n, String what) {
        if (n == null || !n.isNumber()) {
            throw new IllegalArgumentException(what + " is damaged: a number is missing or is not a number");
        }
        return n.asDouble();
    }
}
