package dev.glassbox;

/**
 * A problem with what the user passed in (a checkpoint, a prompt, an option). The message is one
 * line that names the problem: the file, the tensor, what was expected and what was found. The CLI
 * prints it and exits non-zero; it is never a crash.
 */
public class GlassboxException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public GlassboxException(String message) {
        super(message);
    }

    public GlassboxException(String message, Throwable cause) {
        super(message, cause);
    }
}
