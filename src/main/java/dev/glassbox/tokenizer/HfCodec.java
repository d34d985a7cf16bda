package dev.glassbox.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import dev.glassbox.GlassboxException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/** A tokenizer.json run by the native HF tokenizers library through DJL. */
final class HfCodec implements Codec {

    /**
     * DJL defaults to truncation LONGEST_FIRST at 512 tokens and padding LONGEST when these are not
     * given, which would silently cut long prompts; a causal LM wants neither.
     */
    private static final Map<String, String> OPTIONS = Map.of(
            "truncation", "false",
            "padding", "false",
            "addSpecialTokens", "true");

    private final HuggingFaceTokenizer tokenizer;

    private HfCodec(HuggingFaceTokenizer tokenizer) {
        this.tokenizer = tokenizer;
    }

    /** @param what names the file(s) for error messages */
    static HfCodec fromJson(String json, String what) {
        try {
            return new HfCodec(HuggingFaceTokenizer.newInstance(
                    new ByteArrayInputStream(json.getBytes(StandardCharsets.UTF_8)), OPTIONS));
        } catch (IOException | RuntimeException e) {
            throw new GlassboxException("cannot load tokenizer from " + what + ": "
                    + Gpt2BpeJson.oneLine(e.getMessage()), e);
        } catch (UnsatisfiedLinkError e) {
            throw new GlassboxException("cannot load the native HuggingFace tokenizers library: "
                    + Gpt2BpeJson.oneLine(e.getMessage()), e);
        }
    }

    @Override
    public long[] encode(String text, boolean addSpecialTokens) {
        // Always pass the flag: DJL's one-argument encode uses the option chosen at construction.
        return tokenizer.encode(text, addSpecialTokens, false).getIds();
    }

    @Override
    public String decode(long[] ids, boolean skipSpecialTokens) {
        // Always pass the flag: DJL's decode(ids) skips special tokens whenever addSpecialTokens is on.
        return tokenizer.decode(ids, skipSpecialTokens);
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
