/**
 * Shared plumbing: GDAL start-up and the JVM's compiler directives, the exception that carries an exit
 * code, geometries as WKB for Java serialization, and Hadoop file-system URIs, whose files it reads into a
 * local fetch cache for GDAL; writes nothing else.
 */
package org.farmwatch.util;
