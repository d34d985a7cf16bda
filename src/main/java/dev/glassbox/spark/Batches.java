package dev.glassbox.spark;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.function.Function;

/**
 * A partition's rows in batches of {@code size}, each batch turned into output rows by {@code run}
 * only when the consumer reaches it: a partition of any size holds one batch at a time.
 */
final class Batches<I, O> implements Iterator<O> {

    private final Iterator<I> in;
    private final int size;
    private final Function<List<I>, List<O>> run;
    private Iterator<O> current = Collections.emptyIterator();

    Batches(Iterator<I> in, int size, Function<List<I>, List<O>> run) {
        this.in = in;
        this.size = size;
        this.run = run;
    }

    @Override
    public boolean hasNext() {
        while (!current.hasNext() && in.hasNext()) {
            List<I> batch = new ArrayList<>(size);
            while (batch.size() < size && in.hasNext()) {
                batch.add(in.next());
            }
            current = run.apply(batch).iterator();
        }
        return current.hasNext();
    }

    @Override
    public O next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        return current.next();
    }
}
