/** Shared plumbing: GDAL start-up, the exception that carries an exit code, geometries as WKB for Java serialization; reads and writes no files itself. */
package org.farmwatch.util;
