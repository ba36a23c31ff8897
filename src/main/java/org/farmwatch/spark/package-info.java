/**
 * Runs the stages as Spark jobs over grid tiles: reads scenes and parcels on the executors, writes change
 * patches (on cell edges, and with their simplified outlines) and flagged parcels as RDDs for publishing, and
 * each finished tile to the tile store on a Hadoop file system (beside its grid's {@code grid.json}), with each
 * scene's tile windows when {@code store.scenes = on}; {@code train} reads scenes and samples per tile and writes
 * a random-forest model folder; the ingest benchmark reads one scene's tiles and writes only their checksums.
 */
package org.farmwatch.spark;
