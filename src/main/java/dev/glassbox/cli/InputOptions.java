package dev.glassbox.cli;

import dev.glassbox.GlassboxException;
import dev.glassbox.LanguageModel;
import java.util.List;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Option;

/** The input of a command: text through the model's tokenizer, or token ids directly. */
public final class InputOptions {

    static final class Either {
        @Option(names = "--prompt", paramLabel = "TEXT", description = "Text to tokenize.")
        String prompt;

        @Option(names = "--ids", paramLabel = "1,2,3", split = ",", description = "Token ids (for checkpoints without a tokenizer).")
        List<Long> ids;
    }

    @ArgGroup(exclusive = true, multiplicity = "1", heading = "Input (one of):%n")
    Either input;

    /** The ids to run; a clear error for an empty prompt or ids outside the vocabulary. */
    public long[] ids(LanguageModel model) {
        long[] ids;
        if (input.ids != null) {
            ids = input.ids.stream().mapToLong(Long::longValue).toArray();
            if (ids.length == 0) {
                throw new GlassboxException("--ids is empty: give at least one token id");
            }
        } else {
            if (input.prompt.isEmpty()) {
                throw new GlassboxException("the prompt is empty: give some text (or --ids)");
            }
            ids = model.requireTokenizer().encode(input.prompt);
            if (ids.length == 0) {
                throw new GlassboxException("the prompt tokenizes to no tokens");
            }
        }
        int vocab = model.config().vocabSize();
        for (long id : ids) {
            if (id < 0 || id >= vocab) {
                throw new GlassboxException("token id " + id + " is outside the vocabulary [0, " + vocab + ")");
            }
        }
        int context = model.config().maxPositions();
        if (ids.length > context) {
            throw new GlassboxException("the input has " + ids.length + " tokens but the model's context is " + context);
        }
        return ids;
    }

    public String promptText() {
        return input.prompt;
    }
}
