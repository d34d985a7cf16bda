package dev.glassbox;

import dev.glassbox.hub.HubResolver;
import java.nio.file.Path;

/** Model ids through the HuggingFace cache, honouring HF_HOME, HF_HUB_OFFLINE, HF_TOKEN, HF_ENDPOINT. */
final class HubAccess {
    private HubAccess() {}

    static boolean looksLikeModelId(String s) {
        return HubResolver.looksLikeModelId(s);
    }

    static Path resolve(String id, String revision, boolean quiet) {
        HubResolver.Builder b = HubResolver.builderFromEnvironment(System.getenv());
        if (quiet) {
            b.quiet(true);
        }
        return b.build().resolve(id, revision);
    }
}
