/** Writes the deterministic synthetic study area (scenes, farmland GeoPackage, truth.csv) that the demo, tests and benchmark read. */
package org.farmwatch.sample;
