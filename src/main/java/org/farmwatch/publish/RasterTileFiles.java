package org.farmwatch.publish;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;
import org.farmwatch.change.BandMatch;
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
    /** The baseline's stretch, on which both periods are drawn. */
    private final double[] stretch;
    /** The current period onto the baseline's radiometry, one fit for the whole area ({@link PeriodMatch}). */
    private final BandMatch match;
    private final Consumer<Path> handOn;

    /**
     * Files under {@code changeTiles} (a local folder) for a run on {@code layout} with {@code options}
     * over the periods {@code before} and {@code after}: the baseline's statistics stretch the true colours of both,
     * the current composite first matched to the baseline (see {@link #writeTrueColour}).
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
        // From the baseline's statistics, not the tile's, so that tiles match; one stretch for both dates, so that
        // an analyst flicking between them sees change, not two exposures.
        this.stretch = TrueColourCog.stretch(before.statistics());
        this.match = withTrueColour ? PeriodMatch.of(before, after, layout.crs(), layout.cellSizeMetres(),
                options.cloudBufferMetres(), options.compositeMethod()) : null;
        this.handOn = handOn;
    }

    @Override
    public long writeChange(TileKey key, ChangeCells c) {
        return ChangeRaster.writeTile(changeTiles, layout, key, halo, c.code(), c.beforeClass(), c.afterClass(),
                c.beforeValid(), c.afterValid(), detector, rules);
    }

    /** The baseline as it is, the current composite through the period match, both on the baseline's stretch. */
    @Override
    public void writeTrueColour(Raster raster, TileKey key, TileBands composite) {
        BandMatch toBaseline = switch (raster) {
            case BEFORE_TRUE_COLOUR -> null;
            case AFTER_TRUE_COLOUR -> match;
            case CHANGE -> throw new IllegalArgumentException("not a true-colour raster: " + raster);
        };
        TrueColourCog.writeTile(file(raster, key).getParent(), layout, key, halo, composite, stretch, toBaseline);
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
