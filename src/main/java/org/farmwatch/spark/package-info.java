/**
 * Runs the stages as Spark jobs over grid tiles: reads scenes and parcels on the executors, writes change
 * patches and flagged parcels as RDDs for publishing and each finished tile to the tile store on a Hadoop
 * file system; {@code train} reads scenes and samples per tile and writes a random-forest model folder.
 */
package org.farmwatch.spark;
