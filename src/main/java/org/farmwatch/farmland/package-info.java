/** Reads farmland parcels from GeoPackage, Shapefile, FlatGeobuf or PostGIS, repaired and reprojected to the working grid; writes nothing. */
package org.farmwatch.farmland;
