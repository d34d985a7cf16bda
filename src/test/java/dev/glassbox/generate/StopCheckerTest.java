package dev.glassbox.generate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.glassbox.GlassboxException;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class StopCheckerTest {

    @Test
    void cutsBeforeTheStopString() {
        StopChecker sc = new StopChecker(List.of("###"));
        // "Hello world" is 11 characters, so "###" starts at 11.
        Optional<StopChecker.Stop> stop = sc.find("Hello world###more");
        assertTrue(stop.isPresent());
        assertEquals(11, stop.get().index());
        assertEquals("###", stop.get().stopString());
        assertEquals("Hello world", sc.truncate("Hello world###more"));
    }

    @Test
    void earliestOfSeveralStopStringsWins() {
        StopChecker sc = new StopChecker(List.of("\n\n", "User:"));
        // "Answer: 42\n" is 11 characters; "User:" starts at 11, "\n\n" later at 19.
        String text = "Answer: 42\nUser: hi\n\nmore";
        assertEquals(11, sc.find(text).get().index());
        assertEquals("User:", sc.find(text).get().stopString());
        assertEquals("Answer: 42\n", sc.truncate(text));
    }

    @Test
    void noStopLeavesTextAlone() {
        StopChecker sc = new StopChecker(List.of("###"));
        assertFalse(sc.find("Hello ## world #").isPresent());
        assertEquals("Hello ## world #", sc.truncate("Hello ## world #"));
        StopChecker none = new StopChecker(List.of());
        assertTrue(none.isEmpty());
        assertEquals("anything###", none.truncate("anything###"));
    }

    @Test
    void stopAtTheVeryStartGivesEmptyText() {
        assertEquals("", new StopChecker(List.of("<end>")).truncate("<end> trailing"));
    }

    @Test
    void incrementalSearchFindsAStopStraddlingTheOldText() {
        StopChecker sc = new StopChecker(List.of("###"));
        // Checked "abc#" (4 chars) earlier; now "abc###x": the stop starts at 3, inside the old text.
        assertFalse(sc.find("abc#", 0).isPresent());
        assertFalse(sc.find("abc##", 4).isPresent());
        assertEquals(3, sc.find("abc###x", 5).get().index());
    }

    @Test
    void safeLengthHoldsBackAPossibleStopPrefix() {
        StopChecker sc = new StopChecker(List.of("###", "END"));
        assertEquals(6, sc.safeLength("Hello ##")); // "##" may become "###"
        assertEquals(6, sc.safeLength("Hello EN")); // "EN" may become "END"
        assertEquals(5, sc.safeLength("Hello"));
        assertEquals(6, sc.safeLength("Hello ###x")); // a full stop: everything before it
        assertEquals(0, sc.safeLength("#"));
    }

    @Test
    void emptyStopStringIsRejected() {
        assertThrows(GlassboxException.class, () -> new StopChecker(List.of("")));
    }
}
