package org.farmwatch.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.spark.ml.classification.RandomForestClassificationModel;
import org.apache.spark.ml.classification.RandomForestClassifier;
import org.apache.spark.ml.linalg.VectorUDT;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.farmwatch.classify.ForestClassifier;
import org.farmwatch.classify.PixelFeatures;
import org.junit.jupiter.api.Test;

/** The flattened forest the executors run must answer exactly as the MLlib model it came from. */
class ForestTrainingTest {

    @Test
    void flattenedForestPredictsAsMllib() throws Exception {
        SparkSession spark = SparkSessions.create("forest-test", "local[1]");
        try {
            Random rnd = new Random(7);
            List<Row> rows = new ArrayList<>();
            for (int i = 0; i < 3000; i++) {
                double[] x = new double[PixelFeatures.COUNT];
                for (int j = 0; j < x.length; j++) {
                    x[j] = rnd.nextGaussian();
                }
                // Three overlapping classes with ids 1, 3 and 6, as land-cover ids are.
                double s = x[0] + 0.5 * x[6] - 0.3 * x[9] + 0.4 * rnd.nextGaussian();
                double label = s < -0.5 ? 1 : s < 0.6 ? 3 : 6;
                rows.add(RowFactory.create(label, Vectors.dense(x)));
            }
            StructType schema = new StructType().add("label", DataTypes.DoubleType).add("features", new VectorUDT());
            RandomForestClassificationModel model = new RandomForestClassifier().setNumTrees(15).setMaxDepth(8).setSeed(3)
                    .fit(spark.createDataFrame(rows, schema));
            ForestClassifier forest = ForestTraining.flatten(model);
            assertEquals(15, forest.trees());
            assertEquals(7, forest.numClasses());
            ByteArrayOutputStream buf = new ByteArrayOutputStream();
            forest.write(buf);
            ForestClassifier reread = ForestClassifier.read(new ByteArrayInputStream(buf.toByteArray()), "test model");
            double[] votes = new double[forest.numClasses()];
            int[] seen = new int[7];
            for (int i = 0; i < 5000; i++) {
                double[] x = new double[PixelFeatures.COUNT];
                for (int j = 0; j < x.length; j++) {
                    x[j] = 1.5 * rnd.nextGaussian();
                }
                int expected = (int) model.predict(Vectors.dense(x));
                assertEquals(expected, forest.predict(x, votes), "vector " + i);
                assertEquals(expected, reread.predict(x, votes), "vector " + i + " after write and read");
                seen[expected]++;
            }
            assertTrue(seen[1] > 0 && seen[3] > 0 && seen[6] > 0, "all three classes predicted");
            byte[] bad = buf.toByteArray().clone();
            bad[0] ^= 1;
            assertThrows(IllegalArgumentException.class, () -> ForestClassifier.read(new ByteArrayInputStream(bad), "x"));
            byte[] cut = java.util.Arrays.copyOf(buf.toByteArray(), 100);
            assertThrows(IllegalArgumentException.class, () -> ForestClassifier.read(new ByteArrayInputStream(cut), "x"));
        } finally {
            spark.stop();
        }
    }
}
