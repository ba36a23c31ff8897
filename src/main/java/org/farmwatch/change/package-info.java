/**
 * Reads per-tile classes of the two periods and writes change patches: per-cell transitions, sieved, vectorized,
 * merged across tile edges, and their published outlines simplified as a coverage.
 */
package org.farmwatch.change;
