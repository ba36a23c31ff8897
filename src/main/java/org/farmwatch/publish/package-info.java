/** Writes the run's products for people: GeoPackage layers with QGIS styles, the change and true-colour COGs (from per-tile rasters the executors write), inspector lists and the HTML report, from flagged parcels and change patches. */
package org.farmwatch.publish;
