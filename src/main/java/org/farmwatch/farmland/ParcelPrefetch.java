package org.farmwatch.farmland;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Reads the file on a thread of its own, a batch ahead, so that GDAL's decoding overlaps the repair, the
 * transform and the COPY. Only that thread touches the reader until {@link #close()} has joined it.
 */
final class ParcelPrefetch implements AutoCloseable {
    private static final int BATCH = 512;
    private static final List<ParcelFileReader.SourceFeature> END = List.of();

    private final BlockingQueue<List<ParcelFileReader.SourceFeature>> queue = new ArrayBlockingQueue<>(16);
    private final AtomicReference<RuntimeException> failure = new AtomicReference<>();
    private final Thread thread;
    private List<ParcelFileReader.SourceFeature> batch = new ArrayList<>();
    private int next;
    private boolean ended;

    ParcelPrefetch(ParcelFileReader reader) {
        thread = new Thread(() -> {
            try {
                List<ParcelFileReader.SourceFeature> b = new ArrayList<>(BATCH);
                ParcelFileReader.SourceFeature f;
                while ((f = reader.next()) != null) {
                    b.add(f);
                    if (b.size() == BATCH) {
                        queue.put(b);
                        b = new ArrayList<>(BATCH);
                    }
                }
                if (!b.isEmpty()) {
                    queue.put(b);
                }
                queue.put(END);
            } catch (InterruptedException e) {
                // the consumer has stopped
            } catch (RuntimeException e) {
                failure.set(e);
                try {
                    queue.put(END);
                } catch (InterruptedException ignored) {
                    // the consumer has stopped
                }
            }
        }, "farmwatch-import-reader");
        thread.setDaemon(true);
        thread.start();
    }

    /** The next batch in file order (what is left of the current one first), or null at the end. */
    List<ParcelFileReader.SourceFeature> nextBatch() {
        if (next < batch.size()) {
            List<ParcelFileReader.SourceFeature> rest = batch.subList(next, batch.size());
            next = batch.size();
            return rest;
        }
        if (next() == null) {
            return null;
        }
        next--; // next() took the first feature of a fresh batch: hand over the whole batch
        return nextBatch();
    }

    /** The next feature in file order, or null at the end; rethrows the reader's failure. */
    ParcelFileReader.SourceFeature next() {
        while (next == batch.size()) {
            if (ended) {
                return null;
            }
            try {
                batch = queue.take();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while reading the farmland file", e);
            }
            next = 0;
            if (batch == END) {
                ended = true;
                if (failure.get() != null) {
                    throw failure.get();
                }
            }
        }
        return batch.get(next++);
    }

    /** Stops and joins the reading thread; the reader may be closed after this. */
    @Override
    public void close() {
        thread.interrupt();
        boolean interrupted = false;
        while (thread.isAlive()) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }
}
