package dev.zreplj.config;

/** A config error, already formatted as {@code FILE:LINE:COLUMN: message} (or {@code FILE: message}). */
public final class ConfigException extends Exception {
    private static final long serialVersionUID = 1L;

    public ConfigException(String message) {
        super(message);
    }
}
