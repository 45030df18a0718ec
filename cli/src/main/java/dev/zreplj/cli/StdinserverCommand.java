package dev.zreplj.cli;

import dev.zreplj.config.Config;
import dev.zreplj.metrics.BoxMetrics;
import dev.zreplj.metrics.Textfile;
import dev.zreplj.ssh.LocalTransport;
import dev.zreplj.stdinserver.SheddingOutput;
import dev.zreplj.stdinserver.StdinServer;
import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.InvalidNameException;
import dev.zreplj.zfs.Zfs;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;

/** The forced command on the backup box: the protocol on stdin/stdout for the one client the key names. */
@Command(name = "stdinserver", description = "Forced command on the backup box: serves one client over stdin/stdout.")
final class StdinserverCommand implements Callable<Integer> {
    private static final int BUFFER = 1 << 20;
    /** A pipe's worth of log lines; more, unread by the client, are dropped (the box's log keeps them). */
    private static final int STDERR_QUEUE = 64 << 10;
    /** How long the last lines (why the process failed) may wait for the client at the end. */
    private static final Duration STDERR_DRAIN = Duration.ofSeconds(2);

    @ParentCommand
    Main parent;

    @Parameters(index = "0", paramLabel = "CLIENT_ID", description = "the client this SSH key belongs to")
    String clientId;

    @Option(
            names = "--restore-only",
            description = "serve only HELLO, LIST and SEND: a recovery key that cannot"
                    + " write or destroy (authorized-keys --restore-only prints it)")
    boolean restoreOnly;

    @Option(
            names = LocalTransport.LOCAL_LISTENER_OPTION,
            hidden = true,
            paramLabel = "LISTENER",
            description = "serve the local sink of this listener_name (the agent's local transport starts this)")
    String localListener;

    @Override
    public Integer call() throws Exception {
        // stdout carries only protocol: anything printed by mistake goes to stderr instead. stderr is the client's
        // channel too, which a client can stop reading: no log line may wait on it (SheddingOutput).
        PrintStream previousOut = System.out;
        PrintStream previousErr = System.err;
        SheddingOutput stderr = new SheddingOutput(new FileOutputStream(FileDescriptor.err), STDERR_QUEUE);
        PrintStream err = new PrintStream(stderr, true, StandardCharsets.UTF_8);
        System.setErr(err);
        System.setOut(err);
        try {
            try {
                DatasetName.validateIdentifier(clientId, "CLIENT_ID");
            } catch (InvalidNameException e) {
                throw CliException.usage("stdinserver: invalid CLIENT_ID: " + e.getMessage()
                        + " (fix the forced command in authorized_keys)");
            }
            if (localListener != null) {
                // The agent starts it with these variables removed. A forced command always has them: an
                // authorized_keys line naming the local listener would hand a remote key the local client's backups.
                for (String v : LocalTransport.SSH_SESSION_VARIABLES) {
                    if (System.getenv(v) != null) {
                        throw CliException.usage(
                                "stdinserver " + LocalTransport.LOCAL_LISTENER_OPTION + " is the agent's local"
                                        + " transport and serves no SSH session (" + v + " is set); remove it from the"
                                        + " forced command in authorized_keys");
                    }
                }
            }
            Config config = parent.loadConfig();
            Zfs zfs = LocalZfs.of(config);
            InputStream in = new BufferedInputStream(new InterruptibleStdin(), BUFFER);
            // Through a FileChannel, so that a write blocked on a client that reads nothing wakes when the
            // stdinserver's write watchdog interrupts the thread, as stdin's read does.
            OutputStream out = new BufferedOutputStream(
                    Channels.newOutputStream(new FileOutputStream(FileDescriptor.out).getChannel()), 64 << 10);
            return new StdinServer(
                            config,
                            clientId,
                            zfs,
                            in,
                            out,
                            System.err,
                            () -> writeTextfile(config),
                            restoreOnly,
                            Optional.ofNullable(localListener))
                    .run();
        } finally {
            err.flush();
            stderr.drain(STDERR_DRAIN);
            System.setOut(previousOut);
            System.setErr(previousErr);
        }
    }

    /**
     * The box's metrics file: the configured textfile, or beside it {@code NAME-box.prom} when the config
     * also has push or snap jobs (the agent's). Each side replaces its whole file, so on a machine that is both
     * agent and box one file would lose the box's series at every pass (and its client alerts could never fire).
     */
    static Path boxTextfile(Config config) {
        Path textfile = config.global().metricsTextfile();
        if (textfile == null
                || (config.pushJobs().isEmpty() && config.snapJobs().isEmpty())) {
            return textfile;
        }
        String name = textfile.getFileName().toString();
        return textfile.resolveSibling(name.substring(0, name.length() - ".prom".length()) + "-box.prom");
    }

    /** After each receive: the box's metrics for every client, when a textfile is configured. */
    private static void writeTextfile(Config config) {
        try {
            writeBoxTextfile(config);
        } catch (IOException e) {
            throw new UncheckedIOException(e.getMessage(), e);
        }
    }

    /** The box's metrics for every client, when a textfile is configured; also after {@code box forget}. */
    static void writeBoxTextfile(Config config) throws IOException {
        Path textfile = boxTextfile(config);
        if (textfile == null) {
            return;
        }
        try {
            Textfile.write(textfile, new BoxMetrics(config.global().stateDir(), config.sinkJobs()));
        } catch (IOException e) {
            throw new IOException(Textfile.failure(textfile, e), e);
        }
    }
}
