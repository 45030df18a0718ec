package dev.zreplj.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * {@code connect} of a push job ({@code type: ssh+stdinserver}).
 *
 * @param options    zrepl's ssh {@code -o} options ("Key=Value"); the ones zreplj understands are applied
 * @param knownHosts zreplj: known_hosts file (default ~/.ssh/known_hosts of the running user)
 * @param channels   zreplj: exec channels on the one session (default 2)
 */
public record Connect(String host, String user, int port, Path identityFile, List<String> options,
                      Duration dialTimeout, Path knownHosts, HostKeyPolicy hostKeyPolicy, int channels) {
    public Connect {
        options = List.copyOf(options);
    }

    public enum HostKeyPolicy { STRICT, ACCEPT_NEW }
}
