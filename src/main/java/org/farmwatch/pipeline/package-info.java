/**
 * The stages as plain Java, one tile at a time: reads both periods' scenes over a tile window (or their stored
 * windows) and writes the tile's change fragments and counts ({@link org.farmwatch.pipeline.TileResult}), its
 * rasters to a {@link org.farmwatch.pipeline.TileSink}, and each finished tile to the tile store on a Hadoop file
 * system ({@link org.farmwatch.pipeline.TileStore}).
 */
package org.farmwatch.pipeline;
