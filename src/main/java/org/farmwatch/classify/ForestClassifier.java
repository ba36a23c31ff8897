package org.farmwatch.classify;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import org.farmwatch.ingest.Scene;
import org.farmwatch.ingest.TileBands;

/**
 * A trained random forest applied in plain Java: the trees of a Spark MLlib
 * RandomForestClassificationModel flattened into arrays, so executors classify whole tile arrays
 * without calling Spark per cell. Like MLlib, each tree's leaf contributes its class distribution and
 * the class with the largest sum wins. Immutable.
 */
public final class ForestClassifier implements Classifier {

    private static final int MAGIC = 0x46575246; // "FWRF"
    private static final int FORMAT = 1;

    private final int numFeatures;
    private final int numClasses;
    /** Index of each tree's root node. */
    private final int[] roots;
    /** Per node: the split feature, or -1 for a leaf. */
    private final int[] feature;
    /** Per node: go left when the feature is {@code <=} this. */
    private final double[] threshold;
    private final int[] left;
    private final int[] right;
    /** Per node × class: the leaf's class distribution (sums to 1 per leaf; zero for split nodes). */
    private final double[] leafProb;

    public ForestClassifier(int numFeatures, int numClasses, int[] roots, int[] feature, double[] threshold, int[] left,
                            int[] right, double[] leafProb) {
        if (numFeatures != PixelFeatures.COUNT) {
            throw new IllegalArgumentException("the forest uses " + numFeatures + " features, this farmwatch computes "
                    + PixelFeatures.COUNT);
        }
        if (numClasses > 16) {
            throw new IllegalArgumentException("the forest predicts " + numClasses + " classes, at most 16 are known");
        }
        int n = feature.length;
        if (threshold.length != n || left.length != n || right.length != n || leafProb.length != n * numClasses) {
            throw new IllegalArgumentException("inconsistent forest arrays");
        }
        for (int i = 0; i < n; i++) {
            if (feature[i] >= numFeatures || (feature[i] >= 0 && (left[i] < 0 || left[i] >= n || right[i] < 0 || right[i] >= n))) {
                throw new IllegalArgumentException("node " + i + " points outside the forest");
            }
        }
        this.numFeatures = numFeatures;
        this.numClasses = numClasses;
        this.roots = roots;
        this.feature = feature;
        this.threshold = threshold;
        this.left = left;
        this.right = right;
        this.leafProb = leafProb;
    }

    public int trees() {
        return roots.length;
    }

    public int nodes() {
        return feature.length;
    }

    public int numClasses() {
        return numClasses;
    }

    @Override
    public void classify(TileBands tile, Scene scene, byte[] out) {
        double[] scale = PixelFeatures.scaleOf(scene);
        double[] x = new double[numFeatures];
        double[] votes = new double[numClasses];
        int n = out.length;
        for (int i = 0; i < n; i++) {
            out[i] = PixelFeatures.fill(tile, i, scale, x) ? (byte) predict(x, votes) : LandCover.NODATA.id;
        }
    }

    /** The class id the forest predicts for one feature vector; {@code votes} is scratch of length numClasses. */
    public int predict(double[] x, double[] votes) {
        java.util.Arrays.fill(votes, 0);
        for (int root : roots) {
            int node = root;
            while (feature[node] >= 0) {
                node = x[feature[node]] <= threshold[node] ? left[node] : right[node];
            }
            int off = node * numClasses;
            for (int c = 0; c < numClasses; c++) {
                votes[c] += leafProb[off + c];
            }
        }
        int best = 0;
        for (int c = 1; c < numClasses; c++) {
            if (votes[c] > votes[best]) {
                best = c;
            }
        }
        return best;
    }

    /** Writes the forest in farmwatch's own flat format (what executors read). */
    public void write(OutputStream os) throws IOException {
        DataOutputStream o = new DataOutputStream(new java.io.BufferedOutputStream(os));
        o.writeInt(MAGIC);
        o.writeInt(FORMAT);
        o.writeInt(PixelFeatures.VERSION);
        o.writeInt(numFeatures);
        o.writeInt(numClasses);
        o.writeInt(roots.length);
        for (int r : roots) {
            o.writeInt(r);
        }
        o.writeInt(feature.length);
        for (int i = 0; i < feature.length; i++) {
            o.writeInt(feature[i]);
            o.writeDouble(threshold[i]);
            o.writeInt(left[i]);
            o.writeInt(right[i]);
        }
        for (double p : leafProb) {
            o.writeDouble(p);
        }
        o.flush();
    }

    /** Reads what {@link #write} wrote; {@code what} names the source in errors. */
    public static ForestClassifier read(InputStream is, String what) throws IOException {
        DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(is));
        try {
            if (in.readInt() != MAGIC) {
                throw new IllegalArgumentException(what + " is not a farmwatch forest");
            }
            int format = in.readInt();
            int featureVersion = in.readInt();
            if (format != FORMAT || featureVersion != PixelFeatures.VERSION) {
                throw new IllegalArgumentException(what + " was trained with features v" + featureVersion
                        + " (format " + format + "); this farmwatch computes features v" + PixelFeatures.VERSION
                        + ": train the model again");
            }
            int nf = in.readInt();
            int nc = in.readInt();
            int[] roots = new int[in.readInt()];
            for (int i = 0; i < roots.length; i++) {
                roots[i] = in.readInt();
            }
            int n = in.readInt();
            if (n <= 0 || n > 50_000_000 || nc <= 0 || nc > 16) {
                throw new IllegalArgumentException(what + " is damaged: " + n + " nodes, " + nc + " classes");
            }
            int[] feature = new int[n];
            double[] threshold = new double[n];
            int[] left = new int[n];
            int[] right = new int[n];
            for (int i = 0; i < n; i++) {
                feature[i] = in.readInt();
                threshold[i] = in.readDouble();
                left[i] = in.readInt();
                right[i] = in.readInt();
            }
            double[] prob = new double[n * nc];
            for (int i = 0; i < prob.length; i++) {
                prob[i] = in.readDouble();
            }
            return new ForestClassifier(nf, nc, roots, feature, threshold, left, right, prob);
        } catch (java.io.EOFException e) {
            throw new IllegalArgumentException(what + " is truncated");
        }
    }
}
