/**
 * Reads farmland parcels from GeoPackage (through SQLite where it has an R*Tree, else GDAL OGR), Shapefile,
 * FlatGeobuf, GeoJSON or PostGIS, repaired and reprojected to the working grid; on import writes them into a
 * PostGIS table by COPY and upsert, with a rejects table.
 */
package org.farmwatch.farmland;
