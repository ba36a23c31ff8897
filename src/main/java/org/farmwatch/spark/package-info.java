/**
 * Runs the stages as Spark jobs over grid tiles: reads scenes (through {@link org.farmwatch.pipeline.TileDetect})
 * and parcels on the executors, and writes change patches (on cell edges, and with their simplified outlines) and
 * flagged parcels as RDDs for publishing, the tiles' rasters to the output's change-tile folder;
 * {@code train} reads scenes and samples per tile and writes
 * a random-forest model folder; the ingest benchmark reads one scene's tiles and writes only their checksums.
 */
package org.farmwatch.spark;
