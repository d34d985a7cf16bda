package dev.glassbox.hub;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A second process for {@link HubIntegrityTest}: waits for the go file, resolves the model, then
 * checks for a while that the snapshot holds every file (as a load would), resolving again now and then.
 */
public final class HubChild {
    public static void main(String[] args) throws Exception {
        String endpoint = args[0];
        Path cache = Path.of(args[1]);
        String repo = args[2];
        Path go = Path.of(args[3]);
        Files.writeString(Path.of(args[4]), "ready");
        while (!Files.exists(go)) {
            Thread.sleep(5);
        }
        Thread.sleep(Long.parseLong(args[5])); // staggered starts: one finishes while another still links
        HubResolver resolver = HubResolver.builder().cacheDir(cache).endpoint(endpoint).quiet(true)
                .connectTimeout(Duration.ofSeconds(5)).readTimeout(Duration.ofSeconds(20)).build();
        // Resolve, then keep checking the snapshot for a while as the other processes finish:
        // a step of theirs that removed an entry, even for a moment, would show here.
        Path snapshot = resolver.resolve(repo, null);
        long until = System.nanoTime() + 1_500_000_000L;
        for (int round = 0; System.nanoTime() < until; round++) {
            List<String> missing = CheckpointFiles.missingIn(snapshot);
            if (!missing.isEmpty()) {
                System.out.println("check " + round + ": snapshot lacks " + missing);
                System.exit(3);
            }
            if (round % 50 == 0) {
                snapshot = resolver.resolve(repo, null);
            }
        }
        System.out.println("complete");
    }
}
