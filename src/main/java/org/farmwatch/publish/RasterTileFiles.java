package org.farmwatch.publish;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import org.farmwatch.change.ChangeDetector;
import org.farmwatch.grid.GridLayout;
import org.farmwatch.grid.TileKey;
import org.farmwatch.ingest.Period;
import org.farmwatch.ingest.TileBands;
import org.farmwatch.pipeline.ChangeCells;
import org.farmwatch.pipeline.DetectOptions;
import org.farmwatch.pipeline.TileSink;

/**
 * The detect step's rasters as small GeoTIFF files, one per tile, that the publish step stitches into COGs:
 * change tiles ({@link ChangeRaster}) in the change-tile folder, true-colour tiles ({@link TrueColourCog}) in
 * {@code before/} and {@code after/} of the folder beside it. A finished tile's files go to {@code handOn}
 * (which uploads them for an output on a Hadoop file system; does nothing for a local one).
 */
public final class RasterTileFiles implements TileSink {
    private final Path changeTiles;
    private final Path trueColour;
    private final GridLayout layout;
    private final int halo;
    private final boolean withTrueColour;
    private final ChangeDetector detector;
    private final List<org.farmwatch.flag.ConversionRule> rules;
    private final double[] beforeStretch;
    private final double[] afterStretch;
    private final Consumer<Path> handOn;

    /**
     * Files under {@code changeTiles} (a local folder) for a run on {@code layout} with {@code options}
     * over the periods {@code before} and {@code after} (whose statistics stretch the true colours).
     */
    public RasterTileFiles(Path changeTiles, GridLayout layout, DetectOptions options, Period before, Period after,
                           Consumer<Path> handOn) {
        this.changeTiles = changeTiles;
        this.trueColour = TrueColourCog.tilesBeside(changeTiles);
        this.layout = layout;
        this.halo = options.haloCells();
        this.withTrueColour = options.trueColour();
        // The raster types a cell by the rule its transition matches, as detection did.
        this.detector = options.detector();
        this.rules = options.rules();
        // From the periods' statistics, not the tile's, so that tiles match.
        this.beforeStretch = TrueColourCog.stretch(before.statistics());
        this.afterStretch = TrueColourCog.stretch(after.statistics());
        this.handOn = handOn;
    }

    @Override
    public long writeChange(TileKey key, ChangeCells c) {
        return ChangeRaster.writeTile(changeTiles, layout, key, halo, c.code(), c.beforeClass(), c.afterClass(),
                c.beforeValid(), c.afterValid(), detector, rules);
    }

    @Override
    public void writeTrueColour(Raster raster, TileKey key, TileBands composite) {
        double[] stretch = switch (raster) {
            case BEFORE_TRUE_COLOUR -> beforeStretch;
            case AFTER_TRUE_COLOUR -> afterStretch;
            case CHANGE -> throw new IllegalArgumentException("not a true-colour raster: " + raster);
        };
        TrueColourCog.writeTile(file(raster, key).getParent(), layout, key, halo, composite, stretch);
    }

    @Override
    public byte[] read(Raster raster, TileKey key) {
        Path file = file(raster, key);
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    @Override
    public void write(Raster raster, TileKey key, byte[] bytes) {
        Path file = file(raster, key);
        try {
            Files.createDirectories(file.getParent());
            Files.write(file, bytes);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    @Override
    public void finished(TileKey key) {
        handOn.accept(file(Raster.CHANGE, key));
        if (withTrueColour) {
            handOn.accept(file(Raster.BEFORE_TRUE_COLOUR, key));
            handOn.accept(file(Raster.AFTER_TRUE_COLOUR, key));
        }
    }

    /** Where a raster of {@code key} is written. */
    private Path file(Raster raster, TileKey key) {
        String name = key.col() + "_" + key.row() + ".tif";
        return switch (raster) {
            case CHANGE -> changeTiles.resolve(name);
            case BEFORE_TRUE_COLOUR -> trueColour.resolve("before").resolve(name);
            case AFTER_TRUE_COLOUR -> trueColour.resolve("after").resolve(name);
        };
    }
}
