package dev.glassbox.fuzz;

import dev.glassbox.GlassboxException;
import dev.glassbox.tokenizer.TextTokenizer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Child process of {@link FuzzTest}: loads each case folder's tokenizer and uses it (encode,
 * decode, token strings). Prints "CASE name" before each case, so a case that kills the process is
 * named, then "OK", "GE" (a one-line GlassboxException) or "BAD" (anything else).
 */
public final class TokenizerFuzzChild {
    public static void main(String[] args) throws Exception {
        List<Path> cases;
        try (Stream<Path> s = Files.list(Path.of(args[0]))) {
            cases = s.sorted().toList();
        }
        for (Path dir : cases) {
            String name = dir.getFileName().toString();
            System.out.println("CASE " + name);
            System.out.flush();
            try {
                Optional<TextTokenizer> found = TextTokenizer.find(dir);
                if (found.isPresent()) {
                    try (TextTokenizer t = found.get()) {
                        for (String text : List.of("Hello world, 123", "é 日本 \n\t", "a")) {
                            long[] ids = t.encode(text);
                            t.decode(ids);
                            for (int i = 0; i < Math.min(ids.length, 4); i++) {
                                t.tokenString(ids[i]);
                                t.tokenText(ids[i]);
                            }
                        }
                    }
                }
                System.out.println("OK " + name);
            } catch (GlassboxException e) {
                String msg = String.valueOf(e.getMessage());
                System.out.println((msg.contains("\n") || msg.isBlank() ? "BAD " + name + " message not one line: " : "GE " + name + " ")
                        + msg.replace("\n", "\\n"));
            } catch (Throwable e) {
                System.out.println("BAD " + name + " " + String.valueOf(e).replace("\n", "\\n"));
            }
            System.out.flush();
        }
    }
}
