package dev.glassbox;

import dev.glassbox.generate.Generator;
import dev.glassbox.generate.SamplingConfig;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Child process of {@link MemoryTest}: loads a checkpoint, warms up, then generates N tokens in
 * one call and prints "rss STEP MB" (resident set from /proc/self/status) every 500 tokens.
 */
public final class MemoryChild {
    public static void main(String[] args) throws Exception {
        int n = Integer.parseInt(args[1]);
        try (LanguageModel model = LanguageModel.load(Path.of(args[0]))) {
            Generator g = new Generator(model);
            g.generate(new long[] {1}, SamplingConfig.builder().greedy(true).stopAtEos(false).maxNewTokens(64).build());
            SamplingConfig cfg = SamplingConfig.builder().temperature(1.0).seed(3L).stopAtEos(false).maxNewTokens(n).build();
            var r = g.generate(new long[] {1}, cfg, t -> {
                if (t.step() % 500 == 0 || t.step() == n - 1) {
                    System.out.println("rss " + t.step() + " " + rssMb());
                }
            });
            System.out.println("generated " + r.ids().length);
        }
    }

    static double rssMb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("\\D", "")) / 1024.0;
                }
            }
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
        throw new IllegalStateException("no VmRSS in /proc/self/status");
    }
}
