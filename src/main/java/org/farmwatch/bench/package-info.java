/**
 * The drivers of jobs/bench's ingest and overlay workloads: read a scene or ready-made patches and a farmland source
 * and write timings and counts as JSON (and the flagged parcels as CSV). Run from the local jar as the launcher's
 * other main class ({@code FARMWATCH_MAIN_CLASS}); left out of the cluster jar.
 */
package org.farmwatch.bench;
