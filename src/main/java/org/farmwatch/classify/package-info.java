/** Reads per-tile band windows and writes per-cell land-cover classes mapped to GB/T 21010 codes. */
package org.farmwatch.classify;
