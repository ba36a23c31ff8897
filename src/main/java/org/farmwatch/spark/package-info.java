/** Runs the stages as Spark jobs over grid tiles: reads scenes and parcels on the executors, writes change patches and flagged parcels as RDDs for publishing, and each finished tile to the tile store on a Hadoop file system. */
package org.farmwatch.spark;
