package dev.zreplj.stdinserver;

import dev.zreplj.config.Config;
import dev.zreplj.config.Durations;
import dev.zreplj.config.ServeLimits;
import dev.zreplj.config.SinkJob;
import dev.zreplj.protocol.DestroyCommand;
import dev.zreplj.protocol.ErrorCodes;
import dev.zreplj.protocol.ErrorReply;
import dev.zreplj.protocol.FrameReader;
import dev.zreplj.protocol.FrameType;
import dev.zreplj.protocol.FrameWriter;
import dev.zreplj.protocol.Hello;
import dev.zreplj.protocol.ListRoots;
import dev.zreplj.protocol.Printable;
import dev.zreplj.protocol.ProtocolException;
import dev.zreplj.protocol.ReceiveCommand;
import dev.zreplj.protocol.ReceiveSeries;
import dev.zreplj.protocol.RemoteException;
import dev.zreplj.protocol.SendCommand;
import dev.zreplj.protocol.StreamInflater;
import dev.zreplj.protocol.Wire;
import dev.zreplj.zfs.Capabilities;
import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.InvalidNameException;
import dev.zreplj.zfs.Zfs;
import dev.zreplj.zfs.ZfsException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One stdinserver process: serves the one client named by the forced command, inside its jail, over
 * the protocol on {@code in}/{@code out}. {@link #run()} returns the exit status: 0 after BYE, 1 on a
 * runtime or protocol failure, 2 for a bad CLIENT_ID; failures are one line on {@code err}.
 */
public final class StdinServer {
    private static final Logger log = LoggerFactory.getLogger(StdinServer.class);
    /** How long a process that cannot serve the client (one no sink job serves) waits for its HELLO. */
    static final Duration REFUSAL_HANDSHAKE = Duration.ofSeconds(10);

    private final Config config;
    private final String clientId;
    private final Zfs zfs;
    private final IdleInput idle;
    private final IdleOutput output;
    private final FrameReader reader;
    private final Conversation conversation;
    private final PrintStream err;
    private final BoxLog boxLog;
    private final Runnable received;
    /** The forced command's {@code --restore-only}: HELLO, LIST, LIST_DETAILED and SEND only (a recovery key). */
    private final boolean restoreOnly;
    /** The local transport's listener_name this process serves; empty for an SSH forced command. */
    private final Optional<String> listener;
    /** When this process's SSH connection was opened (centiseconds since boot); read once, when first needed. */
    private OptionalLong connectionStart;

    public StdinServer(Config config, String clientId, Zfs zfs, InputStream in, OutputStream out) {
        this(config, clientId, zfs, in, out, System.err);
    }

    public StdinServer(Config config, String clientId, Zfs zfs, InputStream in, OutputStream out, PrintStream err) {
        this(config, clientId, zfs, in, out, err, () -> {});
    }

    /**
     * @param received called after the client's status changed (a receive recorded, or one the box had no space for);
     *     what it throws goes to the box's log
     */
    public StdinServer(
            Config config,
            String clientId,
            Zfs zfs,
            InputStream in,
            OutputStream out,
            PrintStream err,
            Runnable received) {
        this(config, clientId, zfs, in, out, err, received, false);
    }

    /** @param restoreOnly refuse RECV and DESTROY ({@code forbidden}): the key may only list and restore */
    public StdinServer(
            Config config,
            String clientId,
            Zfs zfs,
            InputStream in,
            OutputStream out,
            PrintStream err,
            Runnable received,
            boolean restoreOnly) {
        this(config, clientId, zfs, in, out, err, received, restoreOnly, Optional.empty());
    }

    /**
     * @param listener the local transport's listener_name: serve {@code clientId} for the local sink of that
     *     listener (the agent of this config started the process); empty: an SSH forced command, which serves only
     *     {@code stdinserver} sinks
     */
    public StdinServer(
            Config config,
            String clientId,
            Zfs zfs,
            InputStream in,
            OutputStream out,
            PrintStream err,
            Runnable received,
            boolean restoreOnly,
            Optional<String> listener) {
        this.listener = listener;
        this.received = received;
        this.restoreOnly = restoreOnly;
        this.config = config;
        this.clientId = clientId;
        this.zfs = zfs;
        // Until the client's sink job is known, its handshake is bounded by the default stream timeout.
        this.idle = new IdleInput(in, ServeLimits.defaults().streamTimeout());
        this.reader = new FrameReader(idle, "client", Wire.MAX_CONTROL_FROM_CLIENT);
        this.output = new IdleOutput(out, ServeLimits.defaults().streamTimeout());
        this.conversation = new Conversation(reader, idle, new FrameWriter(output, Wire.MAX_CONTROL_FROM_SERVER));
        this.err = err;
        this.boxLog = new BoxLog(config.global().stateDir(), clientId, err);
    }

    /** A failure that ends the process with {@code exitCode}. */
    private static final class Exit extends Exception {
        private static final long serialVersionUID = 1L;
        private final int exitCode;

        Exit(int exitCode, String message) {
            super(message);
            this.exitCode = exitCode;
        }
    }

    public int run() {
        try {
            serve();
            return 0;
        } catch (Exit e) {
            err.println("zreplj stdinserver: " + Printable.of(e.getMessage()));
            boxLog.record(e.getMessage());
            return e.exitCode;
        } catch (IOException e) {
            boxLog.failure(e.getMessage());
            return 1;
        } catch (RuntimeException e) {
            String message = "internal error: " + e;
            try {
                // Frames are written whole, so the client can still read why we stop.
                conversation.reply(new ErrorReply(ErrorCodes.INTERNAL, message, ""));
            } catch (IOException ignored) {
                // The client is gone too; stderr below is all that is left.
            }
            boxLog.failure(message);
            return 1;
        } finally {
            idle.stop();
            output.stop();
        }
    }

    private void serve() throws Exit, IOException {
        Exit setupFailure = null;
        SinkJob job = null;
        try {
            job = findJob();
        } catch (Exit e) {
            setupFailure = e;
        }
        ServeLimits limits = job == null ? ServeLimits.defaults() : job.limits();
        output.limit(limits.streamTimeout());
        // Taken before the handshake and held to the end: the OS releases it when the process dies.
        try (ReceiveSlot channel = job == null
                ? null
                : ReceiveSlot.tryAcquire(
                        ReceiveSlot.clientChannels(config.global().stateDir(), clientId), limits.maxChannels())) {
            if (job != null && channel == null) {
                String message = "client '" + clientId + "' already has its maximum of " + limits.maxChannels()
                        + " channels open on the box (serve.zreplj.max_channels of sink job '" + job.name()
                        + "'); close some or raise the cap";
                refuseChannel(new ErrorReply(ErrorCodes.BUSY, message, ""), limits);
                throw new Exit(1, message);
            }
            // A process that will only refuse (a client no sink job serves) waits briefly for the HELLO it answers:
            // channels opened and left silent must not each live (a JVM) for the whole stream timeout.
            idle.expect(
                    "the handshake",
                    channel == null && REFUSAL_HANDSHAKE.compareTo(limits.streamTimeout()) < 0
                            ? REFUSAL_HANDSHAKE
                            : limits.streamTimeout());
            // Every zfs call that is no stream is bounded by the job's stream_timeout: one that hangs (a suspended
            // pool) would keep this process, with its dataset lock and receive slot, for ever, refusing every later
            // pass busy; sshd does not end a forced command whose client went away.
            Zfs zfs = job == null ? this.zfs : bounded(this.zfs, job);
            Hello hello;
            try {
                hello = handshake(job, zfs);
            } catch (IOException e) {
                if (setupFailure != null) {
                    throw setupFailure;
                }
                throw e;
            }
            if (setupFailure != null) {
                conversation.reply(new ErrorReply(ErrorCodes.CLIENT, setupFailure.getMessage(), ""));
                throw setupFailure;
            }
            refuseIfRevoked("the channel");
            serve(job, limits, hello, zfs);
        }
    }

    /**
     * {@code zfs} with each call that is not a stream ({@code list}, {@code get}, {@code hold}, {@code destroy},
     * {@code rollback}, ...) stopped and failed at the sink job's {@code serve.zreplj.stream_timeout}, the message
     * naming that setting. {@code zfs send} and {@code zfs recv} are watched by their streams' bytes instead.
     */
    public static Zfs bounded(Zfs zfs, SinkJob job) {
        return zfs.withCallLimit(job.limits().streamTimeout(), boundText(job));
    }

    /** The sink job's bound on a zfs call as a failure names it: "5m (serve.zreplj.stream_timeout of sink job 'x')". */
    public static String boundText(SinkJob job) {
        return Durations.format(job.limits().streamTimeout()) + " (serve.zreplj.stream_timeout of sink job '"
                + job.name() + "')";
    }

    /**
     * ERROR {@code forbidden} and the end of the process when {@code zreplj box revoke} cut off this client's
     * connections opened before it (a stolen key's session stays authenticated after its line is gone). Checked at
     * the handshake and before every request, so that a channel kept open from before is cut off too.
     */
    private void refuseIfRevoked(String what) throws Exit, IOException {
        if (listener.isPresent()) {
            // The agent's own child (never under sshd: the command refuses SSH's variables): no key to revoke, and
            // with no sshd above it a record (left from when the name was an SSH client's) would refuse every pass.
            return;
        }
        Path proc = Path.of("/proc");
        String message;
        try {
            Optional<Revocation> revocation = Revocation.read(config.global().stateDir(), clientId);
            if (revocation.isEmpty()) {
                return;
            }
            if (connectionStart == null) {
                connectionStart =
                        SshConnection.startCentis(proc, ProcessHandle.current().pid());
            }
            Revocation r = revocation.get();
            if (!r.covers(Revocation.bootId(proc), connectionStart)) {
                return;
            }
            message = "client '" + clientId + "' was revoked on the box at " + r.at() + " (zreplj box revoke)"
                    + (connectionStart.isEmpty()
                            ? " and the box cannot tell when this SSH connection was opened (no sshd process found)"
                            : " and this SSH connection was opened before that")
                    + "; connect again with a key the box's authorized_keys still holds";
        } catch (IOException e) {
            message = "client '" + clientId + "': cannot check whether it was revoked: " + e.getMessage();
        }
        conversation.reply(new ErrorReply(ErrorCodes.FORBIDDEN, message, ""));
        throw new Exit(1, message + " (refused " + what + ")");
    }

    private void serve(SinkJob job, ServeLimits limits, Hello hello, Zfs zfs) throws Exit, IOException {
        Session session = new Session(
                clientId,
                job,
                new Jail(job.jail(clientId)),
                pushJob(hello),
                config.global().stateDir(),
                hello.capabilities().contains(Wire.DESTROY_FAILED));
        Placeholders placeholders = new Placeholders(zfs, job.recv().placeholderEncryption());
        setUpJail(placeholders, session.jail().root());
        ReceiverHolds holds = new ReceiverHolds(zfs);
        ListHandler list = new ListHandler(zfs, conversation, Clock.systemUTC(), boxLog);
        ReceiveHandler receive = new ReceiveHandler(zfs, conversation, placeholders, holds, boxLog, received);
        DestroyHandler destroy = new DestroyHandler(zfs, conversation, holds, boxLog);
        SendHandler send = new SendHandler(zfs, conversation, boxLog);
        while (true) {
            idle.expect("the next request", limits.idleTimeout(), "the rest of its request", limits.streamTimeout());
            FrameType t = nextRequest();
            if (t == null) {
                throw new ProtocolException("the client closed the connection without BYE");
            }
            if (t != FrameType.BYE) {
                refuseIfRevoked(t.toString());
            }
            idle.expect("the rest of its " + t + " request", limits.streamTimeout());
            switch (t) {
                case LIST -> list.handle(session);
                case LIST_ROOTS -> list.handleRoots(session, request(ListRoots.class));
                case LIST_DETAILED -> list.handleDetailed(session);
                case RECV -> {
                    ReceiveCommand cmd = request(ReceiveCommand.class);
                    if (restoreOnly) {
                        conversation.refuseStream(forbidden("RECV"), false);
                    } else {
                        receive.handle(session, cmd);
                    }
                }
                case RECV_SERIES -> {
                    ReceiveSeries series = request(ReceiveSeries.class);
                    if (restoreOnly) {
                        conversation.refuseStream(forbidden("RECV_SERIES"), false);
                    } else {
                        receive.handleSeries(session, series);
                    }
                }
                // A raw request's client waits for READY before it sends its stream: a refusal skips nothing.
                case RECV_RAW -> {
                    ReceiveCommand cmd = request(ReceiveCommand.class);
                    if (restoreOnly) {
                        conversation.reply(forbidden("RECV_RAW"));
                    } else {
                        receive.handleRaw(session, cmd);
                    }
                }
                case RECV_SERIES_RAW -> {
                    ReceiveSeries series = request(ReceiveSeries.class);
                    if (restoreOnly) {
                        conversation.reply(forbidden("RECV_SERIES_RAW"));
                    } else {
                        receive.handleSeriesRaw(session, series);
                    }
                }
                case DESTROY -> {
                    DestroyCommand cmd = request(DestroyCommand.class);
                    if (restoreOnly) {
                        conversation.reply(forbidden("DESTROY"));
                    } else {
                        destroy.handle(session, cmd);
                    }
                }
                case SEND -> send.handle(session, request(SendCommand.class));
                case BYE -> {
                    return;
                }
                default -> {
                    ProtocolException e = reader.unexpected(
                            "LIST, LIST_ROOTS, LIST_DETAILED, RECV, RECV_SERIES, RECV_RAW, RECV_SERIES_RAW, DESTROY,"
                                    + " SEND or BYE");
                    conversation.reply(new ErrorReply(ErrorCodes.PROTOCOL, e.getMessage(), ""));
                    throw e;
                }
            }
        }
    }

    private RemoteException forbidden(String request) {
        String message = "this key of client '" + clientId + "' is restore-only: " + request
                + " refused (use the client's backup key)";
        boxLog.refused("refused " + request + ": restore-only key");
        return new RemoteException(ErrorCodes.FORBIDDEN, message, "");
    }

    /**
     * The next request's frame type, or null at the end of input; a header that breaks the framing (an unknown
     * type, a length over the limit) is answered with ERROR {@code protocol} as bad JSON is, then ends the
     * process: the client learns why instead of only seeing the channel close.
     */
    private FrameType nextRequest() throws IOException {
        try {
            return reader.next();
        } catch (ProtocolException e) {
            replyProtocolError(e);
            throw e;
        }
    }

    /** The current frame's JSON; one that does not fit is answered with ERROR {@code protocol}, then ends the process. */
    private <T extends Record> T request(Class<T> type) throws IOException {
        try {
            return reader.json(type);
        } catch (ProtocolException e) {
            replyProtocolError(e);
            throw e;
        }
    }

    private void replyProtocolError(ProtocolException e) {
        try {
            conversation.reply(new ErrorReply(ErrorCodes.PROTOCOL, e.getMessage(), ""));
        } catch (IOException gone) {
            // The client closed the connection: the reason the caller throws is for the box's log.
        }
    }

    /**
     * The one line for a sink whose pool is not imported (a USB disk unplugged): the disk, not the network or the
     * box's setup, is what to fix.
     */
    public static String poolNotImported(DatasetName rootFs) {
        return "the sink's pool " + rootFs.pool() + " (root_fs " + rootFs + ") is not imported on the box (its disk"
                + " unplugged or exported?); connect the disk and run 'zpool import " + rootFs.pool()
                + "' as root, then the next pass replicates";
    }

    private SinkJob findJob() throws Exit {
        try {
            DatasetName.validateIdentifier(clientId, "CLIENT_ID");
        } catch (InvalidNameException e) {
            throw new Exit(2, "invalid CLIENT_ID: " + e.getMessage() + " (fix the forced command in authorized_keys)");
        }
        if (listener.isPresent()) {
            String listener = this.listener.get();
            for (SinkJob job : config.sinkJobs()) {
                if (listener.equals(job.listenerName())) {
                    if (job.clientIdentities().contains(clientId)) {
                        return job;
                    }
                    throw new Exit(
                            1,
                            "client '" + clientId + "' is not the client_identity of any push job that connects to"
                                    + " local listener '" + listener + "' in " + config.file());
                }
            }
            throw new Exit(1, "no sink job serves local listener '" + listener + "' in " + config.file());
        }
        // A local sink's clients are push jobs of this very config, reached only through the agent's local
        // transport: an SSH key whose forced command names one of them must not get at their backups.
        for (SinkJob job : config.sinkJobs()) {
            if (!job.isLocal() && job.clientIdentities().contains(clientId)) {
                return job;
            }
        }
        throw new Exit(
                1,
                "client '" + clientId + "' is not listed in any sink job's serve.client_identities in "
                        + config.file());
    }

    /**
     * A channel over the client's cap: in place of the greeting for an agent that lists {@link Wire#BUSY_GREETING},
     * so that its handshake fails and it goes on over the channels it has (after a HELLO it took the channel for a
     * step, which then failed; zrepl's concurrency.steps is a maximum). An older agent takes a failed handshake for an
     * unreachable box and failed its whole pass, every pass, once the box was upgraded: it gets a HELLO (nothing
     * offered: it is to be refused) and the ERROR as the reply to its first request, which fails that step, retried.
     * Read first, the client's HELLO is waited for briefly: channels opened and left silent must not each live (a
     * JVM) for the whole stream timeout.
     */
    private void refuseChannel(ErrorReply busy, ServeLimits limits) throws IOException {
        idle.expect(
                "the handshake",
                REFUSAL_HANDSHAKE.compareTo(limits.streamTimeout()) < 0 ? REFUSAL_HANDSHAKE : limits.streamTimeout());
        boolean older;
        try {
            reader.readMagic();
            older = reader.expectFrame("HELLO") == FrameType.HELLO
                    && !reader.hello().capabilities().contains(Wire.BUSY_GREETING);
        } catch (IOException e) {
            // Not a HELLO we can read (silent until the bound, malformed, another protocol): refused as for an agent
            // of this version, which reads the reason where its HELLO was due.
            older = false;
        }
        if (older) {
            conversation.greet(new Hello(Wire.PROTOCOL_VERSION, Wire.softwareVersion(), List.of()));
            conversation.reply(busy);
        } else {
            conversation.refuseGreeting(busy);
        }
    }

    private Hello handshake(SinkJob job, Zfs zfs) throws IOException {
        conversation.greet(new Hello(Wire.PROTOCOL_VERSION, Wire.softwareVersion(), advertised(job, zfs)));
        reader.readMagic();
        Hello hello;
        try {
            FrameType t = reader.expectFrame("HELLO");
            if (t != FrameType.HELLO) {
                throw reader.unexpected("HELLO");
            }
            hello = reader.hello();
        } catch (ProtocolException e) {
            // docs/box.md: a malformed request is answered ERROR protocol; the client reads why before we stop.
            try {
                conversation.reply(new ErrorReply(ErrorCodes.PROTOCOL, e.getMessage(), ""));
            } catch (IOException gone) {
                // The client closed the connection: the reason below is for the box's log.
            }
            throw e;
        }
        if (hello.protocol() != Wire.PROTOCOL_VERSION) {
            String message = "protocol mismatch: the backup box speaks zreplj protocol " + Wire.PROTOCOL_VERSION
                    + " (zreplj " + Wire.softwareVersion() + "), the agent speaks " + hello.protocol() + " (zreplj "
                    + hello.software() + "); "
                    // Protocol versions only grow, so the side with the lower one is the older: name it.
                    + (hello.protocol() < Wire.PROTOCOL_VERSION
                            ? "update zreplj on the agent to the backup box's version"
                            : "update zreplj on the backup box to the agent's version");
            conversation.reply(new ErrorReply(ErrorCodes.VERSION, message, ""));
            throw new ProtocolException(message);
        }
        return hello;
    }

    /** The job the client named, checked: it becomes part of hold tags and property names. */
    private String pushJob(Hello hello) throws IOException {
        if (hello.job() == null) {
            return null;
        }
        try {
            LastReceived.validateJob(hello.job());
        } catch (InvalidNameException e) {
            String message = "the agent's HELLO names an invalid job: " + e.getMessage();
            conversation.reply(new ErrorReply(ErrorCodes.PROTOCOL, message, ""));
            throw new ProtocolException(message);
        }
        return hello.job();
    }

    /** What the box's zfs offers the agent; empty when zfs cannot be probed (the first request will say why). */
    private List<String> advertised(SinkJob job, Zfs zfs) {
        // zstd-jni unpacks its native library into tmpdir and loads it, about 40 ms that the box's greeting
        // waited for before the zfs probes began; now it runs while they wait on zfs.
        Future<Optional<String>> zstd = ReceiveHandler.ahead("zreplj-zstd", StreamInflater::unavailable);
        Capabilities zfsCaps = null;
        try {
            zfsCaps = zfs.capabilities();
        } catch (ZfsException e) {
            log.warn("cannot probe zfs capabilities: {}", e.getMessage());
        }
        List<String> caps = new ArrayList<>();
        if (job != null && job.restore()) caps.add(Wire.RESTORE);
        if (restoreOnly) caps.add(Wire.RESTORE_ONLY);
        unavailable(zstd)
                .ifPresentOrElse(
                        why -> log.warn("zstd is unavailable, streams arrive uncompressed: {}", why),
                        () -> caps.add(Wire.ZSTD_DATA));
        caps.add(Wire.SEND_PROPERTIES);
        caps.add(Wire.SNAPSHOT_SERIES);
        caps.add(Wire.DESTROY_FAILED);
        caps.add(Wire.LIST_DETAILS);
        caps.add(Wire.LIST_ROOTS);
        // Its records are walked in the layout of the box's zfs, whichever that is (CompoundTail.Layout).
        caps.add(Wire.RAW_STREAM);
        if (zfsCaps != null) {
            if (zfsCaps.resumableReceive()) caps.add(Wire.RESUMABLE_RECEIVE);
            if (zfsCaps.bookmarks()) caps.add("bookmarks");
            // Without 'zfs recv -x' mount properties cannot be excluded: such a box refuses property streams.
            if (zfsCaps.recvProperties()) caps.add("property-streams");
        }
        return caps;
    }

    /** The loader's answer; an interrupt or an error it did not catch counts as unavailable. */
    private static Optional<String> unavailable(Future<Optional<String>> zstd) {
        try {
            return zstd.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.of("interrupted while loading it");
        } catch (ExecutionException e) {
            return Optional.of(String.valueOf(e.getCause()));
        }
    }

    private void setUpJail(Placeholders placeholders, DatasetName jail) throws Exit, IOException {
        try {
            if (placeholders.ensure(jail)) {
                boxLog.info("created jail " + jail);
            }
        } catch (ZfsException e) {
            conversation.reply(new ErrorReply(
                    ErrorCodes.ZFS, "cannot create the jail " + jail + ": " + e.getMessage(), e.stderr()));
            throw new Exit(1, "client '" + clientId + "': cannot create the jail " + jail + ": " + e.getMessage());
        } catch (Placeholders.MissingRootFs e) {
            conversation.reply(new ErrorReply(ErrorCodes.ZFS, e.getMessage(), ""));
            throw new Exit(1, "client '" + clientId + "': " + e.getMessage());
        }
    }
}
