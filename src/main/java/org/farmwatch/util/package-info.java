/** Shared plumbing: GDAL start-up and the exception that carries an exit code; reads and writes nothing itself. */
package org.farmwatch.util;
