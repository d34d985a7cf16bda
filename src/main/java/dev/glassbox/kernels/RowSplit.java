package dev.glassbox.kernels;

import java.util.concurrent.locks.LockSupport;

/**
 * Splits the output columns of a product (or any items: a prompt's attention heads) between the
 * calling thread and up to (PyTorch's intra-op thread count − 1) worker threads. A worker waits
 * for its next share yielding its core to any other runnable thread, and parks when none comes
 * within the last split's linger (2 ms for a product's columns).
 */
public final class RowSplit {

    /** Below this many multiply-adds one thread is faster than handing work to a second (measured for the int8 GEMV). */
    private static final long PARALLEL_MIN = 1L << 18;
    private static final Worker[] WORKERS = new Worker[Math.max(0, Math.min(15, Runtime.getRuntime().availableProcessors() - 1))];

    /** Computes output columns (or rows, heads: the items split) [c0, c1). */
    public interface Part {
        void columns(int c0, int c1);
    }

    private RowSplit() {}

    /**
     * Runs {@code part} over columns [0, columns), split between the calling thread and the
     * workers; {@code work} (multiply-adds) decides whether splitting pays.
     */
    public static void run(int columns, long work, Part part) {
        if (work < PARALLEL_MIN) {
            part.columns(0, columns);
            return;
        }
        split(columns, 16, Worker.LINGER_NS, part); // whole cache lines of y per share
    }

    /**
     * Runs {@code part} over [0, items) in one share per thread (PyTorch's intra-op count), each a
     * multiple of {@code granule} items; a thread that is free takes the next share, so a worker
     * that starts late finds its share done. The caller decides whether the work is worth it.
     *
     * @param lingerNs how long the workers then wait for the next split, yielding, before they park
     */
    public static void split(int items, int granule, long lingerNs, Part part) {
        int n = Math.max(1, Math.min(ForwardThreads.threads(), WORKERS.length + 1));
        // the workers serve one split at a time: a second one meanwhile (another Java thread's
        // forward, or a part that splits again) runs on its own thread
        if (n == 1 || items < granule * n || !BUSY.compareAndSet(false, true)) {
            part.columns(0, items);
            return;
        }
        Throwable failure = null;
        try {
            int chunk = ((items + n - 1) / n + granule - 1) / granule * granule;
            Shares shares = new Shares(part, items, chunk, lingerNs);
            for (int i = 1; i < n; i++) {
                worker(i - 1).give(shares);
            }
            try {
                shares.work();
            } catch (RuntimeException | Error e) { // the workers' shares are awaited before anything is thrown
                failure = e;
            }
            for (int i = 1; i < n; i++) {
                Throwable e = WORKERS[i - 1].await();
                failure = failure == null ? e : failure;
            }
        } finally {
            BUSY.set(false);
        }
        if (failure instanceof Error e) {
            throw e;
        }
        if (failure != null) {
            throw (RuntimeException) failure;
        }
    }

    private static final java.util.concurrent.atomic.AtomicBoolean BUSY = new java.util.concurrent.atomic.AtomicBoolean();

    /** One product's columns, handed out a chunk at a time to whichever thread asks next. */
    private static final class Shares {
        private final Part part;
        private final int columns;
        private final int chunk;
        private final long lingerNs;
        private final java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();

        Shares(Part part, int columns, int chunk, long lingerNs) {
            this.part = part;
            this.columns = columns;
            this.chunk = chunk;
            this.lingerNs = lingerNs;
        }

        void work() {
            int c0;
            while ((c0 = next.getAndAdd(chunk)) < columns) {
                part.columns(c0, Math.min(columns, c0 + chunk));
            }
        }
    }

    private static synchronized Worker worker(int i) {
        if (WORKERS[i] == null) {
            WORKERS[i] = new Worker();
        }
        return WORKERS[i];
    }

    /** One thread that runs the shares given to it, one at a time, handed over through volatiles. */
    private static final class Worker implements Runnable {
        /**
         * How long a worker waits for its next share after a product's columns ({@link #run}; a
         * {@link #split} may give another) before it parks: longer than the gap between
         * two products of a decode step (waking a parked thread costs tens of µs on a VM), and it
         * waits by yielding, so that a PyTorch thread that needs the core gets it at once.
         */
        static final long LINGER_NS = 2_000_000;
        private final Thread thread;
        private volatile Shares part;
        private volatile boolean done = true;
        private volatile Thread waiter;
        private Throwable failure;

        Worker() {
            thread = new Thread(this, "glassbox-blas");
            thread.setDaemon(true);
            thread.start();
        }

        void give(Shares p) {
            failure = null;
            done = false;
            part = p; // the volatile write publishes failure = null
            LockSupport.unpark(thread);
        }

        Throwable await() {
            long until = System.nanoTime() + LINGER_NS; // the caller, too, spins that long before it parks
            while (!done) {
                if (System.nanoTime() < until) {
                    Thread.onSpinWait();
                } else {
                    waiter = Thread.currentThread();
                    if (!done) {
                        LockSupport.park(this);
                    }
                }
            }
            waiter = null;
            return failure;
        }

        @Override
        public void run() {
            long linger = LINGER_NS;
            while (true) {
                long until = System.nanoTime() + linger;
                Shares p;
                while ((p = part) == null) {
                    if (System.nanoTime() < until) {
                        Thread.yield();
                    } else {
                        LockSupport.park(this);
                    }
                }
                part = null;
                linger = p.lingerNs;
                try {
                    p.work();
                } catch (RuntimeException | Error e) { // handed to the caller: a dead worker would leave it waiting
                    failure = e;
                }
                done = true;
                Thread w = waiter;
                if (w != null) {
                    LockSupport.unpark(w);
                }
            }
        }
    }
}
