/**
 * Writes the run's products for people: GeoPackage layers with QGIS styles, the change and true-colour COGs
 * (from per-tile rasters the executors write), inspector lists, PDF dossiers and the HTML report, from
 * flagged parcels and change patches, each as {@code publish.outputs} selects; and reads the inspectors' filled-in
 * lists back into the verdicts of the PostGIS one map or of a run's GeoPackage.
 */
package org.farmwatch.publish;
