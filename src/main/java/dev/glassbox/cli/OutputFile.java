package dev.glassbox.cli;

import dev.glassbox.GlassboxException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;

/** A file an option such as {@code --out} names: checked before any work, then written or refused in one line. */
final class OutputFile {

    private OutputFile() {}

    /** Refuses, before anything runs, a target that is a folder or lies under a file. */
    static void check(Path file, String option) {
        Path abs = file.toAbsolutePath();
        if (Files.isDirectory(abs)) {
            throw new GlassboxException(option + " " + file + ": is a folder; give a file name");
        }
        if (Files.exists(abs) && !Files.isRegularFile(abs)) {
            throw new GlassboxException(option + " " + file + ": exists and is not a regular file");
        }
        for (Path p = abs.getParent(); p != null; p = p.getParent()) {
            if (Files.exists(p)) {
                if (!Files.isDirectory(p)) {
                    throw new GlassboxException(option + " " + file + ": " + p + " is a file, not a folder");
                }
                break;
            }
        }
    }

    /** Writes {@code text} (creating missing folders); any failure is one line naming the file. */
    static void write(Path file, String text, String option) {
        check(file, option);
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            Files.writeString(file, text, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new GlassboxException(option + " " + file + ": cannot write: " + describe(e), e);
        }
    }

    /** What went wrong with a file, in words (Java's own messages are often only the path). */
    static String describe(IOException e) {
        if (e instanceof FileSystemException fs) {
            String what = fs.getFile() == null ? "" : fs.getFile() + ": ";
            if (e instanceof FileAlreadyExistsException) {
                return what + "exists and is not a folder";
            }
            if (e instanceof NoSuchFileException) {
                return what + "no such file or folder";
            }
            if (e instanceof AccessDeniedException) {
                return what + "permission denied";
            }
            if (e instanceof NotDirectoryException) {
                return what + "not a folder";
            }
            return what + (fs.getReason() == null ? e.getClass().getSimpleName() : fs.getReason());
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }
}
