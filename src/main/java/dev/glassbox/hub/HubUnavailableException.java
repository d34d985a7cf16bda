package dev.glassbox.hub;

import dev.glassbox.GlassboxException;

/**
 * The hub could not be asked at all: network down, host unknown, timeout, or a 5xx answer. Kept
 * apart from other failures because only this one may fall back to a snapshot already cached.
 */
final class HubUnavailableException extends GlassboxException {
    private static final long serialVersionUID = 1L;

    HubUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
