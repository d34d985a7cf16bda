package dev.glassbox.train;

/**
 * The learning rate at each step: linear warm-up from peak/warmup to the peak over the first
 * {@code warmup} steps, then a cosine decay from the peak to {@code min} at the last step (as in
 * nanoGPT and most GPT-style recipes).
 *
 * @param peak the learning rate after warm-up
 * @param min the learning rate the cosine ends at
 * @param warmup warm-up steps (0 for none)
 * @param total steps of the whole run
 */
public record LrSchedule(double peak, double min, int warmup, int total) {

    /** The rate for step {@code step} (0-based: the first update is step 0). */
    public double at(int step) {
        if (step < warmup) {
            return peak * (step + 1) / warmup;
        }
        int decaySteps = total - warmup;
        if (decaySteps <= 1) {
            return peak;
        }
        double progress = Math.min(1.0, (double) (step - warmup) / (decaySteps - 1));
        return min + 0.5 * (1 + Math.cos(Math.PI * progress)) * (peak - min);
    }
}
