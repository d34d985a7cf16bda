package dev.glassbox.cli;

import dev.glassbox.GlassboxException;
import dev.glassbox.LanguageModel;
import dev.glassbox.generate.SamplingConfig;
import dev.glassbox.tokenizer.ChatTemplate;
import dev.glassbox.tokenizer.Conversation;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Option;

/** The input of a command: text through the model's tokenizer, a chat through its chat template, or token ids. */
public final class InputOptions {

    static final class Either {
        @Option(names = "--prompt", paramLabel = "TEXT", description = "Text to tokenize.")
        String prompt;

        @Option(names = "--ids", paramLabel = "1,2,3", split = ",", description = "Token ids (for checkpoints without a tokenizer).")
        List<Long> ids;

        @Option(names = "--messages", paramLabel = "FILE.json",
                description = "A chat, rendered with the checkpoint's chat template: {\"messages\": [...], \"tools\": [...], \"extra\": {...}}.")
        Path messages;

        @Option(names = "--input", paramLabel = "FILE.jsonl",
                description = "Many inputs, one JSON object a line: {\"prompt\": \"...\"} or {\"ids\": [...]}, other fields copied to the output (score and generate).")
        Path file;
    }

    @Option(names = "--chat-template", paramLabel = "NAME",
            description = "With --messages: which of several named chat templates to use (default: as transformers picks).")
    String chatTemplate;

    /** The rendered chat, once rendered (null without --messages). */
    private String rendered;

    @ArgGroup(exclusive = true, multiplicity = "1", heading = "Input (one of):%n")
    Either input;

    /** The --input file, or null for a single input. */
    public Path inputFile() {
        return input.file;
    }

    /** The ids to run; a clear error for an empty prompt or ids outside the vocabulary. */
    public long[] ids(LanguageModel model) {
        long[] ids;
        if (input.file != null) {
            throw new GlassboxException("--input " + input.file + " is for score and generate");
        } else if (input.messages != null) {
            rendered = ChatTemplate.load(model.dir()).render(Conversation.read(input.messages), true, chatTemplate);
            // the template wrote the special tokens (BOS included): none are added, as apply_chat_template does
            ids = model.requireTokenizer().encode(rendered, false);
            if (ids.length == 0) {
                throw new GlassboxException("the chat template rendered " + input.messages + " to no tokens");
            }
        } else if (input.ids != null) {
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

    /** The prompt text: --prompt, or the rendered chat of --messages (after {@link #ids}); null for --ids. */
    public String promptText() {
        return input.messages != null ? rendered : input.prompt;
    }

    /**
     * With --messages, {@code cfg} also stops at the tokenizer's eos_token (the template's end of
     * turn, e.g. &lt;|im_end|&gt;), besides generation_config's eos ids; otherwise {@code cfg} as it is.
     */
    public SamplingConfig withChatStops(SamplingConfig cfg, LanguageModel model) {
        if (input.messages == null) {
            return cfg;
        }
        Set<Long> eos = new LinkedHashSet<>(cfg.eosTokenIds());
        ChatTemplate.load(model.dir()).eosToken()
                .flatMap(t -> model.requireTokenizer().tokenId(t).stream().boxed().findFirst())
                .ifPresent(eos::add);
        return cfg.toBuilder().eosTokenIds(eos).build();
    }
}
