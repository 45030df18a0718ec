package dev.zreplj.ssh;

import dev.zreplj.config.Connect;
import dev.zreplj.config.SshOptions;
import java.time.Duration;

/**
 * The agent's one SSH session to the backup box, with any number of concurrent exec channels on it. Two
 * implementations: the built-in Apache MINA SSHD client ({@code connect.ssh_client: builtin}, the default)
 * and OpenSSH's {@code ssh} as a ControlMaster ({@code openssh}), which moves the bytes at OpenSSH's cost.
 * Either checks host keys against the job's known_hosts and authenticates only with its identity file. A third,
 * {@link LocalTransport}, serves zrepl's {@code connect: {type: local}}: no SSH at all, each channel a stdinserver
 * child of the agent, for a sink job of the same config.
 */
public interface SshTransport extends AutoCloseable {
    /** zrepl's dial_timeout default. */
    Duration DEFAULT_DIAL_TIMEOUT = Duration.ofSeconds(10);

    Duration KEEPALIVE_INTERVAL = Duration.ofSeconds(30);
    int KEEPALIVE_COUNT_MAX = 3;

    /** How long the box may take to open a channel when the caller gives no bound. */
    Duration CHANNEL_OPEN_TIMEOUT = Duration.ofSeconds(30);

    /** Connects and authenticates within the dial timeout with the job's SSH client, or fails with one clear line. */
    static SshTransport connect(Connect connect) throws TransportException {
        if (connect.isLocal()) {
            return LocalTransport.connect(connect);
        }
        return connect.sshClient() == Connect.SshClient.OPENSSH
                ? OpenSshTransport.connect(connect)
                : MinaTransport.connect(connect);
    }

    /** The connect timeout: dial_timeout, else (dial_timeout 0) the options' ConnectTimeout, else the default. */
    static Duration dialTimeout(Connect connect, SshOptions options) {
        return connect.dialTimeout() != null && !connect.dialTimeout().isZero()
                ? connect.dialTimeout()
                : options.connectTimeout().orElse(DEFAULT_DIAL_TIMEOUT);
    }

    /**
     * For {@code configcheck}: what would fail at every connect with the job's SSH client, found without
     * connecting: the OpenSSH client runs {@code ssh -G}; the built-in one judges the {@code Ciphers} and
     * {@code KexAlgorithms} lists against what it has (the config loader judges the rest of its options).
     */
    static void check(Connect connect) throws TransportException {
        if (connect.isLocal()) {
            LocalTransport.check(connect);
        } else if (connect.sshClient() == Connect.SshClient.OPENSSH) {
            OpenSshTransport.check(connect);
        } else {
            MinaTransport.check(connect);
        }
    }

    /** Starts {@code command} on the server (the forced command sees it as SSH_ORIGINAL_COMMAND). */
    default SshChannel openChannel(String command) throws TransportException {
        return openChannel(command, CHANNEL_OPEN_TIMEOUT);
    }

    /**
     * {@link #openChannel(String)}, waiting at most {@code timeout} for the server to open the channel: a pass
     * gives it its replication timeout, so that a box that still holds the TCP connection but answers nothing
     * (frozen) ends the pass within that bound, as an unanswered request does.
     */
    SshChannel openChannel(String command, Duration timeout) throws TransportException;

    /** Whether the session still stands (a broken link or a server that hung up closes it). */
    boolean isOpen();

    /** user@host:port, for messages. */
    String connectTarget();

    @Override
    void close();
}
