package dev.glassbox.generate;

import dev.glassbox.GlassboxException;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * Finds stop strings in the text generated so far. Generation ends at the earliest occurrence of any
 * stop string, and the returned text is cut just before it (the stop string itself is not part of
 * the output), as typical CLIs do. Matching is on decoded text, so a stop string spanning several
 * tokens, or ending inside one, is found too.
 *
 * <p>Immutable and thread-safe.
 */
public final class StopChecker {

    /**
     * A stop string found in the text.
     *
     * @param stopString which stop string matched
     * @param index where it starts: the length of the text to keep
     */
    public record Stop(String stopString, int index) {

        /** The text before the stop string. */
        public String cut(String text) {
            return text.substring(0, index);
        }
    }

    private final List<String> stopStrings;
    private final int maxLength;

    public StopChecker(Collection<String> stopStrings) {
        this.stopStrings = List.copyOf(stopStrings);
        int longest = 0;
        for (String s : this.stopStrings) {
            if (s.isEmpty()) {
                throw new GlassboxException("stop strings must not be empty");
            }
            longest = Math.max(longest, s.length());
        }
        this.maxLength = longest;
    }

    /** True when there are no stop strings, so nothing ever stops. */
    public boolean isEmpty() {
        return stopStrings.isEmpty();
    }

    /** The earliest stop string in {@code text}, if any (the first listed one if several start there). */
    public Optional<Stop> find(String text) {
        return find(text, 0);
    }

    /**
     * Like {@link #find(String)} for a text that grows step by step: the first {@code checkedLength}
     * characters were already searched without a match, so only occurrences ending after them are
     * looked for, which keeps each step's cost proportional to the new text.
     */
    public Optional<Stop> find(String text, int checkedLength) {
        Stop best = null;
        for (String s : stopStrings) {
            int from = Math.max(0, checkedLength - s.length() + 1);
            int at = text.indexOf(s, from);
            if (at >= 0 && (best == null || at < best.index())) {
                best = new Stop(s, at);
            }
        }
        return Optional.ofNullable(best);
    }

    /** {@code text} cut before its earliest stop string, or unchanged if it contains none. */
    public String truncate(String text) {
        return find(text).map(stop -> stop.cut(text)).orElse(text);
    }

    /**
     * How much of {@code text} can be shown while streaming: everything before a stop string if one
     * appeared, otherwise everything except a tail that could still grow into a stop string (for stop
     * "###", text ending in "##" holds those two characters back).
     */
    public int safeLength(String text) {
        Optional<Stop> stop = find(text);
        if (stop.isPresent()) {
            return stop.get().index();
        }
        int holdBack = 0;
        for (String s : stopStrings) {
            for (int k = Math.min(s.length() - 1, text.length()); k > holdBack; k--) {
                if (text.regionMatches(text.length() - k, s, 0, k)) {
                    holdBack = k;
                    break;
                }
            }
        }
        return text.length() - holdBack;
    }

    public List<String> stopStrings() {
        return stopStrings;
    }

    /** Length of the longest stop string (0 when there are none). */
    public int maxLength() {
        return maxLength;
    }
}
