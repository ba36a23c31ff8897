/** Reads and validates the run configuration ({@code conf/*.conf} over built-in defaults) before any work starts; writes nothing. */
package org.farmwatch.config;
