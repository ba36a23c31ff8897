package org.farmwatch.grid;

import java.io.Serializable;

/**
 * A tile's position on a {@link GridLayout}: column grows east, row grows south, both from the
 * layout's top-left origin. Immutable. The key holds no extent or CRS; ask the layout for those.
 */
public record TileKey(int col, int row) implements Serializable, Comparable<TileKey> {

    @Override
    public int compareTo(TileKey o) {
        return row != o.row ? Integer.compare(row, o.row) : Integer.compare(col, o.col);
    }

    @Override
    public String toString() {
        return col + "_" + row;
    }
}
