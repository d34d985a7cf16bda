package dev.glassbox.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.glassbox.GlassboxException;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * JSONL output, one object a line, to stdout or to an {@code --out} file. The file is written under
 * a temporary name beside it and renamed at {@link #commit}, so an interrupted run leaves no half
 * file under the final name.
 */
final class JsonlOutput implements AutoCloseable {

    private final Path target;
    private final Path temp;
    private final Writer writer;
    private boolean committed;

    private JsonlOutput(Path target, Path temp, Writer writer) {
        this.target = target;
        this.temp = temp;
        this.writer = writer;
    }

    /** To {@code out} (null: stdout). */
    static JsonlOutput open(Path out, PrintStream stdout) {
        if (out == null) {
            return new JsonlOutput(null, null, new OutputStreamWriter(stdout, StandardCharsets.UTF_8));
        }
        OutputFile.check(out, "--out");
        try {
            Path abs = out.toAbsolutePath();
            Files.createDirectories(abs.getParent());
            Path temp = abs.resolveSibling("." + abs.getFileName() + ".part-" + ProcessHandle.current().pid());
            return new JsonlOutput(abs, temp, Files.newBufferedWriter(temp, StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new GlassboxException("--out " + out + ": cannot write: " + OutputFile.describe(e), e);
        }
    }

    void write(ObjectNode line) {
        try {
            writer.write(Json.MAPPER.writeValueAsString(line));
            writer.write('\n');
            if (target == null) {
                writer.flush();
            }
        } catch (IOException e) {
            throw new GlassboxException((target == null ? "stdout" : "--out " + target) + ": cannot write: " + OutputFile.describe(e), e);
        }
    }

    /** Finishes the output: the file gets its final name. */
    void commit() {
        try {
            writer.flush();
            if (target != null) {
                writer.close();
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            }
            committed = true;
        } catch (IOException e) {
            throw new GlassboxException("--out " + target + ": cannot write: " + OutputFile.describe(e), e);
        }
    }

    /** Without {@link #commit} (a failure), the temporary file is removed. */
    @Override
    public void close() {
        if (target != null && !committed) {
            try {
                writer.close();
                Files.deleteIfExists(temp);
            } catch (IOException ignored) {
                // the failure that brought us here is what the user needs to see
            }
        }
    }
}
