package org.farmwatch.pipeline;

/**
 * A tile window's cells (the tile core and its halo, row-major, {@code window × window}) as the detect step
 * leaves them: the class of each period, the transition code and its confidence, and the clear observations
 * each period's composite had. Mutable arrays reused from tile to tile by one task; a value only in shape.
 *
 * @param beforeClass land-cover class of the baseline composite (0 where not clear)
 * @param afterClass  land-cover class of the current composite (0 where not clear)
 * @param code        transition code, from × 16 + to, or {@link org.farmwatch.change.ChangeDetector#NONE}
 * @param confidence  0..1 per changed cell
 * @param beforeValid clear observations per cell in the baseline period
 * @param afterValid  clear observations per cell in the current period
 */
public record ChangeCells(int window, byte[] beforeClass, byte[] afterClass, byte[] code, float[] confidence,
                          short[] beforeValid, short[] afterValid) {

    public ChangeCells {
        int n = window * window;
        if (window <= 0 || beforeClass.length != n || afterClass.length != n || code.length != n
                || confidence.length != n || beforeValid.length != n || afterValid.length != n) {
            throw new IllegalArgumentException("every array must hold window x window = " + n + " cells, window: "
                    + window);
        }
    }

    /** Fresh arrays for a window of {@code window × window} cells. */
    public static ChangeCells ofWindow(int window) {
        int n = window * window;
        return new ChangeCells(window, new byte[n], new byte[n], new byte[n], new float[n], new short[n], new short[n]);
    }
}
