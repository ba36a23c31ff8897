package org.farmwatch.farmland;

/**
 * Why an import left a source feature out. {@link #text()} is what the rejects table's {@code reason} column
 * holds; the details (the validation error, the geometry type) go to its {@code detail} column.
 */
public enum RejectReason {
    /** The feature has no geometry at all. */
    NO_GEOMETRY("no geometry"),
    /** The geometry is present but empty. */
    EMPTY_GEOMETRY("empty geometry"),
    /** GDAL's geometry could not be read as WKB. */
    UNREADABLE_GEOMETRY("unreadable geometry"),
    /** A point, a line, or a collection without a polygon. */
    NOT_POLYGONAL("not polygonal"),
    /** Invalid, and no polygon with area survives the repair. */
    UNREPAIRABLE("invalid geometry, not repairable"),
    /** Some coordinate has no image in the storage CRS. */
    TRANSFORM_FAILED("transform to the storage CRS failed"),
    /** The parcel id field is null or blank. */
    NO_PARCEL_ID("no parcel_id"),
    /** An earlier feature of the same file has the same parcel id; the first one is kept. */
    DUPLICATE_PARCEL_ID("duplicate parcel_id");

    private final String text;

    RejectReason(String text) {
        this.text = text;
    }

    /** The reason as stored, such as {@code duplicate parcel_id}. */
    public String text() {
        return text;
    }
}
