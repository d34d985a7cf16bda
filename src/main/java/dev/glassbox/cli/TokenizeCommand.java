package dev.glassbox.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.glassbox.GlassboxException;
import dev.glassbox.ModelLocator;
import dev.glassbox.tokenizer.ChatTemplate;
import dev.glassbox.tokenizer.Conversation;
import dev.glassbox.tokenizer.TextTokenizer;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code glassbox tokenize}: a prompt, or a chat rendered with the checkpoint's chat template, as
 * the token ids the model sees. Needs only the tokenizer files (no config.json, no weights). A chat
 * is tokenized without adding special tokens, as transformers' apply_chat_template(tokenize=True)
 * does: the template writes them.
 */
@Command(name = "tokenize", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Show the tokens of a prompt, or of a chat rendered with the checkpoint's chat template "
                + "(a folder with only tokenizer files is enough).")
public final class TokenizeCommand implements Callable<Integer> {

    @Option(names = "--model", paramLabel = "DIR|ID", required = true,
            description = "Tokenizer folder (tokenizer.json, tokenizer_config.json, chat_template.jinja, ...), or a checkpoint.")
    String model;

    @Option(names = "--revision", paramLabel = "REV", description = "Branch, tag or commit of a model id (default: main).")
    String revision;

    static final class Input {
        @Option(names = "--prompt", paramLabel = "TEXT", description = "Text, tokenized as the tokenizer does by default (special tokens added).")
        String prompt;

        @Option(names = "--messages", paramLabel = "FILE.json",
                description = "A chat: {\"messages\": [...], \"tools\": [...], \"extra\": {...}} (tools and extra optional).")
        Path messages;
    }

    @ArgGroup(exclusive = true, multiplicity = "1", heading = "Input (one of):%n")
    Input input;

    @Option(names = "--no-generation-prompt", description = "Render the chat without the assistant header a reply would start with.")
    boolean noGenerationPrompt;

    @Option(names = "--chat-template", paramLabel = "NAME",
            description = "Which of several named chat templates to use (default: \"tool_use\" with tools if present, else \"default\").")
    String chatTemplate;

    @Option(names = "--json", description = "Print one JSON object: text, input_ids, tokens.")
    boolean json;

    @Override
    public Integer call() {
        Path dir = ModelLocator.resolve(model, revision, true);
        String text;
        long[] ids;
        try (TextTokenizer tok = TextTokenizer.load(dir)) {
            if (input.messages != null) {
                Conversation chat = Conversation.read(input.messages);
                text = ChatTemplate.load(dir).render(chat, !noGenerationPrompt, chatTemplate);
                ids = tok.encode(text, false);
            } else {
                if (noGenerationPrompt || chatTemplate != null) {
                    throw new GlassboxException("--no-generation-prompt and --chat-template apply to --messages only");
                }
                text = input.prompt;
                ids = tok.encode(text);
            }
            PrintStream out = System.out;
            if (json) {
                ObjectNode o = Json.object();
                o.put("text", text);
                Json.longs(o.putArray("input_ids"), ids);
                ArrayNode tokens = o.putArray("tokens");
                for (long id : ids) {
                    tokens.add(tok.tokenString(id));
                }
                Json.print(out, o, false);
            } else {
                out.println(text);
                out.println("--- " + ids.length + " token" + (ids.length == 1 ? "" : "s") + " (position, id, piece)");
                for (int i = 0; i < ids.length; i++) {
                    out.printf("%5d %8d  %s%n", i, ids[i], quoted(tok.tokenText(ids[i])));
                }
                out.flush();
            }
        }
        return 0;
    }

    /** The piece in quotes with newlines, tabs and other control characters escaped. */
    static String quoted(String s) {
        StringBuilder sb = new StringBuilder("'");
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                case '\\' -> sb.append("\\\\");
                case '\'' -> sb.append("\\'");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\x%02x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('\'').toString();
    }
}
