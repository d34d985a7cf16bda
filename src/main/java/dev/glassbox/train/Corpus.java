package dev.glassbox.train;

import dev.glassbox.GlassboxException;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reading a training corpus and splitting it into training and held-out text.
 *
 * <p>Formats: {@code plain} text is used as it is; {@code verses} is a Bible with one verse per
 * line after its reference, as Debian's {@code bible} program prints it ({@code bible -f
 * Gen1:1-Rev22:21}: "Ge1:1 In the beginning God created …") or as many KJV text files write it
 * ("Genesis 1:1 In the beginning …"); the references are dropped and the verse texts kept, one a
 * line. {@code auto} picks {@code verses} when nearly every line starts with a reference.
 */
public final class Corpus {

    /** How to read a corpus file. */
    public enum Format {
        AUTO, PLAIN, VERSES;

        public static Format parse(String s) {
            try {
                return valueOf(s.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new GlassboxException("--corpus-format must be auto, plain or verses, found '" + s + "'");
            }
        }
    }

    /** "Ge1:1 text", "Genesis 1:1 text", "1 John 3:16 text", "Song of Solomon 1:1 text". */
    static final Pattern VERSE = Pattern.compile(
            "^\\s*((?:[1-4] ?)?[A-Za-z][A-Za-z.]*(?: (?:of )?[A-Z][A-Za-z.]*)*) ?(\\d+):(\\d+)\\s+(\\S.*?)\\s*$");

    private Corpus() {}

    /** The training text of {@code file}: UTF-8, line ends normalised to \n. */
    public static String read(Path file, Format format) {
        String raw = readUtf8(file);
        if (raw.startsWith("\uFEFF")) {
            raw = raw.substring(1);
        }
        raw = raw.replace("\r\n", "\n").replace('\r', '\n');
        List<String> lines = raw.lines().toList();
        Format f = format == Format.AUTO ? (looksLikeVerses(lines) ? Format.VERSES : Format.PLAIN) : format;
        String text = f == Format.VERSES ? versesToText(lines, file) : raw;
        if (text.isBlank()) {
            throw new GlassboxException(file + ": the corpus has no text");
        }
        return text;
    }

    /** The format {@code auto} resolves to for {@code file}. */
    public static Format detect(Path file) {
        return looksLikeVerses(readUtf8(file).replace("\r", "").lines().toList()) ? Format.VERSES : Format.PLAIN;
    }

    private static String readUtf8(Path file) {
        try {
            byte[] bytes = Files.readAllBytes(file);
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .decode(java.nio.ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            throw new GlassboxException(file + ": the corpus is not UTF-8 text");
        } catch (IOException e) {
            throw new GlassboxException(file + ": cannot read the corpus: " + e.getMessage(), e);
        }
    }

    /** True when at least 95% of the (first 2000) non-blank lines start with a verse reference. */
    static boolean looksLikeVerses(List<String> lines) {
        int seen = 0;
        int verses = 0;
        for (String line : lines) {
            if (line.isBlank()) {
                continue;
            }
            seen++;
            if (VERSE.matcher(line).matches()) {
                verses++;
            }
            if (seen == 2000) {
                break;
            }
        }
        return seen >= 10 && verses >= 0.95 * seen;
    }

    /** The verse texts, one a line; lines without a reference are refused. */
    static String versesToText(List<String> lines, Path file) {
        StringBuilder out = new StringBuilder();
        int n = 0;
        for (String line : lines) {
            n++;
            if (line.isBlank()) {
                continue;
            }
            Matcher m = VERSE.matcher(line);
            if (!m.matches()) {
                throw new GlassboxException(file + ":" + n + ": not a verse line (\"book chapter:verse text\"): "
                        + (line.length() > 60 ? line.substring(0, 60) + "…" : line));
            }
            out.append(m.group(4)).append('\n');
        }
        return out.toString();
    }

    /** SHA-256 of the file's bytes, to tell on resumption whether the corpus changed. */
    public static String sha256(Path file) {
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            return HexFormat.of().formatHex(md.digest(Files.readAllBytes(file)));
        } catch (IOException e) {
            throw new GlassboxException(file + ": cannot read the corpus: " + e.getMessage(), e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The text cut into contiguous chunks, with every {@code period}-th chunk held out.
     *
     * @param train the training text: maximal runs of consecutive training chunks, each run one
     *     string (training windows never cross into held-out text)
     * @param heldOut the held-out chunks, in order
     * @param chunks how many chunks the text was cut into
     * @param period every period-th chunk (1-based: chunks period−1, 2·period−1, … 0-based) is held
     *     out; 0 when nothing is
     */
    public record Split(List<String> train, List<String> heldOut, int chunks, int period) {

        public long trainChars() {
            return train.stream().mapToLong(String::length).sum();
        }

        public long heldOutChars() {
            return heldOut.stream().mapToLong(String::length).sum();
        }
    }

    /**
     * Splits {@code text} by contiguous chunks: the text is cut at line ends (or, inside a very
     * long line, at a space) into about 100 chunks of at least {@code minChunkChars} characters;
     * then every round(1/evalFraction)-th chunk is held out, starting with the last chunk of the
     * first group (so the beginning of the text is training data). The held-out chunks are spread
     * over the whole corpus, so their loss measures the same distribution the model trains on,
     * while no held-out text is ever inside a training window.
     */
    public static Split split(String text, double evalFraction, int minChunkChars) {
        if (evalFraction < 0 || evalFraction >= 0.5) {
            throw new GlassboxException("--eval-fraction must be in [0, 0.5), found " + evalFraction);
        }
        List<String> chunks = chunk(text, Math.max(minChunkChars, text.length() / 100));
        if (evalFraction == 0) {
            return new Split(List.of(text), List.of(), chunks.size(), 0);
        }
        int period = Math.max(2, (int) Math.round(1.0 / evalFraction));
        boolean[] held = new boolean[chunks.size()];
        boolean any = false;
        for (int i = 0; i < chunks.size(); i++) {
            held[i] = i % period == period - 1;
            any |= held[i];
        }
        if (!any) {
            if (chunks.size() < 2) {
                throw new GlassboxException("the corpus (" + text.length() + " characters) is too small to hold out "
                        + "any text; give more text or --eval-fraction 0");
            }
            held[chunks.size() - 1] = true;
        }
        List<String> train = new ArrayList<>();
        List<String> heldOut = new ArrayList<>();
        StringBuilder run = new StringBuilder();
        for (int i = 0; i < chunks.size(); i++) {
            if (held[i]) {
                if (run.length() > 0) {
                    train.add(run.toString());
                    run.setLength(0);
                }
                heldOut.add(chunks.get(i));
            } else {
                run.append(chunks.get(i));
            }
        }
        if (run.length() > 0) {
            train.add(run.toString());
        }
        return new Split(train, heldOut, chunks.size(), period);
    }

    /** Cuts {@code text} into consecutive pieces of about {@code target} characters. */
    static List<String> chunk(String text, int target) {
        List<String> out = new ArrayList<>();
        int start = 0;
        while (start < text.length()) {
            int end = Math.min(text.length(), start + target);
            if (end < text.length()) {
                int nl = text.indexOf('\n', end - 1);
                if (nl >= 0 && nl - start < 2 * target) {
                    end = nl + 1;
                } else {
                    int sp = text.lastIndexOf(' ', end);
                    end = sp > start ? sp : end; // the space starts the next chunk, as GPT-2 pieces do
                    if (end < text.length() && Character.isLowSurrogate(text.charAt(end))) {
                        end++;
                    }
                }
            }
            if (text.length() - end < target / 4) {
                end = text.length(); // no tiny last chunk
            }
            out.add(text.substring(start, end));
            start = end;
        }
        return out;
    }
}
