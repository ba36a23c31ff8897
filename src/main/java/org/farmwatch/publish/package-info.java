/**
 * Writes the run's products for people: GeoPackage layers with QGIS styles, the change and true-colour COGs
 * (from per-tile rasters the executors write), inspector lists, PDF dossiers and the HTML report, from
 * flagged parcels and change patches, each as {@code publish.outputs} selects; and reads the inspectors' filled-in
 * lists back into the verdicts of the PostGIS one map or of a run's GeoPackage.
 *
 * <p>Terms: a <em>parcel list</em> has one row per flagged parcel ({@link org.farmwatch.publish.InspectorLists}); the
 * <em>patch list</em> one row per change patch that flagged a parcel, in the 卫片执法 form, with its readable
 * <em>patch number</em> 图斑编号 (county code + year + sequence) beside the <em>patch id</em>, the hash the one map
 * keys on ({@link org.farmwatch.publish.PatchList}). Areas the lists show are in mu (亩, 10000/15 m²) to 2 decimals.
 */
package org.farmwatch.publish;
