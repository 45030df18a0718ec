package dev.zreplj.config;

import dev.zreplj.protocol.StreamCompression;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * {@code connect} of a push job ({@code type: ssh+stdinserver}).
 *
 * @param options    zrepl's ssh {@code -o} options ("Key=Value"); the ones zreplj understands are applied
 * @param knownHosts zreplj: known_hosts file (default ~/.ssh/known_hosts of the running user)
 * @param channels   zreplj: exec channels on the one session, each one stdinserver on the box (default:
 *                   {@code replication.concurrency.steps}, 1)
 * @param streamCompression zreplj: zstd on the send streams (default auto: while it makes them faster)
 * @param sshClient  zreplj: which SSH client carries the session (default builtin)
 */
public record Connect(
        String host,
        String user,
        int port,
        Path identityFile,
        List<String> options,
        Duration dialTimeout,
        Path knownHosts,
        HostKeyPolicy hostKeyPolicy,
        int channels,
        StreamCompression streamCompression,
        SshClient sshClient) {
    public Connect {
        options = List.copyOf(options);
    }

    /** With the default stream compression. */
    public Connect(
            String host,
            String user,
            int port,
            Path identityFile,
            List<String> options,
            Duration dialTimeout,
            Path knownHosts,
            HostKeyPolicy hostKeyPolicy,
            int channels) {
        this(
                host,
                user,
                port,
                identityFile,
                options,
                dialTimeout,
                knownHosts,
                hostKeyPolicy,
                channels,
                StreamCompression.AUTO,
                SshClient.BUILTIN);
    }

    public Connect withChannels(int n) {
        return new Connect(
                host,
                user,
                port,
                identityFile,
                options,
                dialTimeout,
                knownHosts,
                hostKeyPolicy,
                n,
                streamCompression,
                sshClient);
    }

    public Connect withSshClient(SshClient client) {
        return new Connect(
                host,
                user,
                port,
                identityFile,
                options,
                dialTimeout,
                knownHosts,
                hostKeyPolicy,
                channels,
                streamCompression,
                client);
    }

    /**
     * {@code BUILTIN}: Apache MINA SSHD in the agent's JVM. {@code OPENSSH}: the system's {@code ssh} as a
     * ControlMaster, one {@code ssh -S} per channel; the bytes then cost what they cost OpenSSH.
     */
    public enum SshClient {
        BUILTIN,
        OPENSSH
    }

    public enum HostKeyPolicy {
        STRICT,
        ACCEPT_NEW
    }
}
