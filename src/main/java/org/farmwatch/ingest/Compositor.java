package org.farmwatch.ingest;

import java.util.Arrays;
import java.util.List;

/**
 * Combines the cloud-masked tile windows of one period's scenes into one clear-sky window, and
 * counts the clear observations per cell. {@link Method#MEDIAN} takes each band's median over the
 * clear observations; {@link Method#BEST} takes the whole spectrum of the latest clear observation,
 * so bands never mix dates.
 */
public final class Compositor {

    /** How the observations of one cell are combined. */
    public enum Method { MEDIAN, BEST }

    private Compositor() {}

    /** Composites {@code windows} (all the same size, in date order) into a new window; fills {@code validCount}. */
    public static TileBands composite(List<TileBands> windows, Method method, short[] validCount) {
        TileBands first = windows.get(0);
        if (windows.size() == 1) {
            float[] red = first.band(Band.RED);
            for (int i = 0; i < red.length; i++) {
                validCount[i] = (short) (Float.isNaN(red[i]) ? 0 : 1);
            }
            return first;
        }
        int n = first.width * first.height;
        TileBands out = new TileBands(first.width, first.height);
        int scenes = windows.size();
        float[] buf = new float[scenes];
        for (int i = 0; i < n; i++) {
            int valid = 0;
            int latest = -1;
            for (int s = 0; s < scenes; s++) {
                if (!Float.isNaN(windows.get(s).band(Band.RED)[i])) {
                    valid++;
                    latest = s;
                }
            }
            validCount[i] = (short) valid;
            for (Band b : Band.values()) {
                float[] dst = out.band(b);
                if (valid == 0) {
                    dst[i] = Float.NaN;
                } else if (method == Method.BEST || valid == 1) {
                    dst[i] = windows.get(latest).band(b)[i];
                } else {
                    int k = 0;
                    for (int s = 0; s < scenes; s++) {
                        float v = windows.get(s).band(b)[i];
                        if (!Float.isNaN(v)) {
                            buf[k++] = v;
                        }
                    }
                    Arrays.sort(buf, 0, k);
                    dst[i] = k % 2 == 1 ? buf[k / 2] : 0.5f * (buf[k / 2 - 1] + buf[k / 2]);
                }
            }
        }
        return out;
    }
}
