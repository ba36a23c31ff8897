/** The fixed tile grid: maps map coordinates in a projected CRS to {@link org.farmwatch.grid.TileKey}s and back; reads and writes nothing. */
package org.farmwatch.grid;
