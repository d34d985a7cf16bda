package dev.glassbox.explore;

/**
 * A request the explorer refuses: an HTTP status (4xx for the caller's mistakes), a stable code
 * that programs can switch on, and a one-line message naming the problem. The server answers it as
 * {@code {"error": {"status", "code", "message"}}} and keeps serving.
 */
public final class ApiError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final int status;
    private final String code;

    public ApiError(int status, String code, String message) {
        super(message);
        this.status = status;
        this.code = code;
    }

    public int status() {
        return status;
    }

    public String code() {
        return code;
    }

    static ApiError badRequest(String code, String message) {
        return new ApiError(400, code, message);
    }
}
