/** Writes the run's products for people: GeoPackage layers with QGIS styles, the change COG, inspector lists and the HTML report, from flagged parcels and change patches. */
package org.farmwatch.publish;
