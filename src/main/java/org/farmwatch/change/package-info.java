/** Reads per-tile classes of the two periods and writes change patches: per-cell transitions, sieved, vectorized and merged across tile edges. */
package org.farmwatch.change;
