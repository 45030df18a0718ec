package dev.zreplj.config;

import java.nio.file.Path;

/** Reads zrepl-schema YAML into {@link Config}; every error names FILE:LINE:COLUMN. SKELETON. */
public final class ConfigLoader {
    public Config load(Path file) throws ConfigException {
        throw new ConfigException(file + ": not implemented yet");
    }
}
