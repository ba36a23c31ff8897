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
 *
 * <p>A <em>finding</em> is a change patch or a flagged parcel. Its <em>status</em> is 'open' until inspectors
 * return a verdict (confirmed, false_alarm, approved). The PostGIS <em>history</em> tables hold every run's findings;
 * the <em>current views</em> each finding once, as the newest run saw it. Both the GeoPackage layers and the current
 * views carry the fields of {@link org.farmwatch.publish.OneMapFields}, with its units and rounding. The
 * <em>true colour</em> of the current period is drawn on the baseline's stretch after a per-band linear match to the
 * baseline ({@link org.farmwatch.change.BandMatch}), so that what did not change looks the same on both dates.
 */
package org.farmwatch.publish;
