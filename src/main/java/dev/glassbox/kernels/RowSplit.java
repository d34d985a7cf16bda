package dev.glassbox.kernels;

import java.util.concurrent.locks.LockSupport;

/**
 * Splits the output columns of a product between the calling thread and up to (PyTorch's
 * intra-op thread count − 1) worker threads. A worker waits for its next share yielding its core
 * to any other runnable thread, and parks after 2 ms without one.
 */
public final class RowSplit {

    /** Below this many multiply-adds one thread is faster than handing work to a second (measured for the int8 GEMV). */
    private static final long PARALLEL_MIN = 1L << 18;
    private static final Worker[] WORKERS = new Worker[Math.max(0, Math.min(15, Runtime.getRuntime().availableProcessors() - 1))];

    /** Computes output columns [c0, c1). */
    public interface Part {
        void columns(int c0, int c1);
    }

    private RowSplit() {}

    /**
     * Runs {@code part} over columns [0, columns), split between the calling thread and the
     * workers; {@code work} (multiply-adds) decides whether splitting pays.
     */
    public static void run(int columns, long work, Part part) {
        int n = Math.max(1, Math.min(ForwardThreads.threads(), WORKERS.length + 1));
        if (n == 1 || work < PARALLEL_MIN || columns < 16 * n) {
            part.columns(0, columns);
            return;
        }
        // one share a thread, taken in turn: a worker that starts late finds its share taken
        int chunk = ((columns + n - 1) / n + 15) / 16 * 16; // whole cache lines of y per share
        Shares shares = new Shares(part, columns, chunk);
        for (int i = 1; i < n; i++) {
            worker(i - 1).give(shares);
        }
        RuntimeException failure = null;
        try {
            shares.work();
        } catch (RuntimeException e) {
            failure = e;
        }
        for (int i = 1; i < n; i++) {
            RuntimeException e = WORKERS[i - 1].await();
            failure = failure == null ? e : failure;
        }
        if (failure != null) {
            throw failure;
        }
    }

    /** One product's columns, handed out a chunk at a time to whichever thread asks next. */
    private static final class Shares {
        private final Part part;
        private final int columns;
        private final int chunk;
        private final java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();

        Shares(Part part, int columns, int chunk) {
            this.part = part;
            this.columns = columns;
            this.chunk = chunk;
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
         * How long a worker waits for its next share before it parks: longer than the gap between
         * two products of a decode step (waking a parked thread costs tens of µs on a VM), and it
         * waits by yielding, so that a PyTorch thread that needs the core gets it at once.
         */
        private static final long SPIN_NS = 2_000_000;
        private final Thread thread;
        private volatile Shares part;
        private volatile boolean done = true;
        private volatile Thread waiter;
        private RuntimeException failure;

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

        RuntimeException await() {
            long until = System.nanoTime() + SPIN_NS;
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
            while (true) {
                long until = System.nanoTime() + SPIN_NS;
                Shares p;
                while ((p = part) == null) {
                    if (System.nanoTime() < until) {
                        Thread.yield();
                    } else {
                        LockSupport.park(this);
                    }
                }
                part = null;
                try {
                    p.work();
                } catch (RuntimeException e) {
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
