/**
 * Reads and validates the run configuration ({@code conf/*.conf} over built-in defaults) before any work starts and
 * maps it onto each stage's typed options; writes nothing.
 */
package org.farmwatch.config;
