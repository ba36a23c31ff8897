/**
 * Reads per-tile band windows (and, for training, labelled samples) and writes per-cell land-cover
 * classes, by index rules or a trained random forest, mapped to GB/T 21010 codes by the configuration.
 */
package org.farmwatch.classify;
