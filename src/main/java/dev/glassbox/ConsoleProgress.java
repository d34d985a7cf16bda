package dev.glassbox;

import java.time.Duration;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.DelegatingProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/** {@link Progress} drawn by me.tongfei:progressbar; loaded only when that library is present. */
final class ConsoleProgress extends Progress {

    private final ProgressBar bar;

    private ConsoleProgress(ProgressBar bar) {
        this.bar = bar;
    }

    static Progress start(Progress.Spec s, boolean tty) {
        ProgressBarBuilder b = new ProgressBarBuilder()
                .setTaskName(s.task())
                .setInitialMax(s.max())
                .setStyle(ProgressBarStyle.ASCII) // plain characters: no colour codes, readable in any font
                .startsFrom(s.start(), Duration.ZERO)
                .setUpdateIntervalMillis(tty ? 1000 : 30_000)
                // a plain '\r' redraw on a terminal; whole lines to the log otherwise
                .setConsumer(tty ? new ConsoleProgressBarConsumer(System.err) : new DelegatingProgressBarConsumer(s.log(), 100));
        if (s.unit() != null) {
            b.setUnit(s.unit(), s.unitSize());
        }
        if (s.showSpeed()) {
            b.showSpeed();
        }
        return new ConsoleProgress(b.build());
    }

    @Override
    public void stepTo(long n) {
        bar.stepTo(n);
    }

    @Override
    public void extraMessage(String message) {
        bar.setExtraMessage(message);
    }

    @Override
    public void close() {
        bar.close();
    }
}
