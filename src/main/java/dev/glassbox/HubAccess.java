package dev.glassbox;

import java.nio.file.Path;

/** Model ids through the HuggingFace cache; replaced by the hub resolver when it lands. */
final class HubAccess {
    private HubAccess() {}

    static boolean looksLikeModelId(String s) {
        return s.matches("[A-Za-z0-9][A-Za-z0-9._-]*/[A-Za-z0-9][A-Za-z0-9._-]*");
    }

    static Path resolve(String id, String revision, boolean quiet) {
        throw new GlassboxException(id + ": loading by model id is not available yet");
    }
}
