/**
 * Reads scenes (STAC items, Sentinel-2 and Landsat band folders, local or on a Hadoop file system) with GDAL
 * and writes per-tile band windows on the grid, with cloud-masked cells set to NaN.
 */
package org.farmwatch.ingest;
