/** Reads change patches overlaid on parcels (and the inspectors' past verdicts) and writes flagged parcels, by configured non-agricultural and non-grain conversion rules. */
package org.farmwatch.flag;
