package dev.zreplj.config;

import dev.zreplj.protocol.StreamCompression;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * {@code connect} of a push job ({@code type: ssh+stdinserver}).
 *
 * @param options    zrepl's ssh {@code -o} options ("Key=Value"); the ones zreplj understands are applied
 * @param knownHosts zreplj: known_hosts file (default ~/.ssh/known_hosts of the running user)
 * @param channels   zreplj: exec channels on the one session, each one stdinserver on the box (default:
 *                   {@code replication.concurrency.steps}, 1)
 * @param streamCompression zreplj: zstd on the send streams (default auto: while it makes them faster)
 * @param sshClient  zreplj: which SSH client carries the session (default builtin)
 * @param local      {@code type: local}: the sink of the same config to push to; null for SSH (then host, user,
 *                   identity file and the SSH keys are set; with it they are empty)
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
        SshClient sshClient,
        @Nullable Local local) {
    public Connect {
        options = List.copyOf(options);
    }

    /** An SSH connect. */
    public Connect(
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
                streamCompression,
                sshClient,
                null);
    }

    /**
     * zrepl's {@code connect: {type: local}}: each channel is a stdinserver started on this machine for the sink
     * job of {@code configFile} that serves {@code listenerName}, as client {@code clientIdentity}. Streams go
     * uncompressed: a pipe between two local processes gains nothing from zstd.
     */
    public static Connect local(String listenerName, String clientIdentity, Path configFile, int channels) {
        // Empty SSH fields rather than nulls: no SSH code runs for a local connect (SshTransport.connect and check
        // dispatch on isLocal()), and the SSH side keeps its non-null fields.
        return new Connect(
                "",
                "",
                0,
                Path.of(""),
                List.of(),
                Duration.ZERO,
                Path.of(""),
                HostKeyPolicy.STRICT,
                channels,
                StreamCompression.OFF,
                SshClient.BUILTIN,
                new Local(listenerName, clientIdentity, configFile));
    }

    /**
     * The local transport's target.
     *
     * @param configFile the config the agent read (the main file, where the sink job is found), absolute
     */
    public record Local(String listenerName, String clientIdentity, Path configFile) {}

    /** Whether this is the local transport (no SSH). */
    public boolean isLocal() {
        return local != null;
    }

    /** What the agent connects to, for messages: user@host:port, or the local sink's listener and client. */
    public String target() {
        Local local = this.local;
        return local != null
                ? "local listener '" + local.listenerName() + "' as client '" + local.clientIdentity() + "'"
                : user + "@" + host + ":" + port;
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
                sshClient,
                local);
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
                client,
                local);
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
