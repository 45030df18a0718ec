package dev.zreplj.stdinserver;

import dev.zreplj.config.Config;
import dev.zreplj.config.SinkJob;
import dev.zreplj.protocol.ErrorCodes;
import dev.zreplj.protocol.ErrorReply;
import dev.zreplj.protocol.FrameReader;
import dev.zreplj.protocol.FrameType;
import dev.zreplj.protocol.FrameWriter;
import dev.zreplj.protocol.Hello;
import dev.zreplj.protocol.Listing;
import dev.zreplj.protocol.ProtocolException;
import dev.zreplj.protocol.ReceiveCommand;
import dev.zreplj.protocol.ReceiveResult;
import dev.zreplj.protocol.RemoteException;
import dev.zreplj.protocol.RemoteFilesystem;
import dev.zreplj.protocol.RemoteVersion;
import dev.zreplj.protocol.Wire;
import dev.zreplj.zfs.Capabilities;
import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.InvalidNameException;
import dev.zreplj.zfs.ReceiveRequest;
import dev.zreplj.zfs.VersionType;
import dev.zreplj.zfs.ZfsException;
import dev.zreplj.zfs.Zfs;
import dev.zreplj.zfs.ZfsProcess;
import dev.zreplj.zfs.ZfsVersion;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One stdinserver process: serves the one client named by the forced command, inside its jail, over
 * the protocol on {@code in}/{@code out}. {@link #run()} returns the exit status: 0 after BYE, 1 on a
 * runtime or protocol failure, 2 for a bad CLIENT_ID; failures are one line on {@code err}.
 */
public final class StdinServer {
    static final String PLACEHOLDER_PROPERTY = "zrepl:placeholder";
    static final String RESUME_TOKEN_PROPERTY = "receive_resume_token";
    /** Placeholders never mount: they exist only to hold received children. */
    static final Map<String, String> PLACEHOLDER_PROPERTIES = orderedMap(
            "mountpoint", "none", PLACEHOLDER_PROPERTY, "on");
    /** Excluded from a stream that carries properties, so a client cannot mount over the box's paths. */
    static final List<String> MOUNT_PROPERTIES = List.of("mountpoint", "canmount", "sharenfs", "sharesmb");

    private static final Logger log = LoggerFactory.getLogger(StdinServer.class);

    private final Config config;
    private final String clientId;
    private final Zfs zfs;
    private final FrameReader reader;
    private final FrameWriter writer;
    private final PrintStream err;
    private Capabilities capabilities;

    public StdinServer(Config config, String clientId, Zfs zfs, InputStream in, OutputStream out) {
        this(config, clientId, zfs, in, out, System.err);
    }

    public StdinServer(Config config, String clientId, Zfs zfs, InputStream in, OutputStream out,
                       PrintStream err) {
        this.config = config;
        this.clientId = clientId;
        this.zfs = zfs;
        this.reader = new FrameReader(in, "client", Wire.MAX_CONTROL_FROM_CLIENT);
        this.writer = new FrameWriter(out, Wire.MAX_CONTROL_FROM_SERVER);
        this.err = err;
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
            err.println("zreplj stdinserver: " + e.getMessage());
            return e.exitCode;
        } catch (IOException e) {
            err.println("zreplj stdinserver: client '" + printable(clientId) + "': " + e.getMessage());
            return 1;
        } catch (RuntimeException e) {
            String message = "internal error: " + e;
            try {
                // Frames are written whole, so the client can still read why we stop.
                reply(new ErrorReply(ErrorCodes.INTERNAL, message, ""));
            } catch (IOException ignored) {
                // The client is gone too; stderr below is all that is left.
            }
            err.println("zreplj stdinserver: client '" + printable(clientId) + "': " + message);
            return 1;
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
        try {
            handshake();
        } catch (IOException e) {
            if (setupFailure != null) {
                throw setupFailure;
            }
            throw e;
        }
        if (setupFailure != null) {
            reply(new ErrorReply(ErrorCodes.CLIENT, setupFailure.getMessage(), ""));
            throw setupFailure;
        }
        Jail jail = new Jail(job.jail(clientId));
        try {
            ensureJail(jail.root());
        } catch (ZfsException e) {
            reply(new ErrorReply(ErrorCodes.ZFS, "cannot create the jail " + jail.root() + ": " + e.getMessage(),
                    e.stderr()));
            throw new Exit(1, "client '" + clientId + "': cannot create the jail " + jail.root() + ": "
                    + e.getMessage());
        }
        while (true) {
            FrameType t = reader.next();
            if (t == null) {
                throw new ProtocolException("the client closed the connection without BYE");
            }
            switch (t) {
                case LIST -> list(jail);
                case RECV -> receive(jail, job, reader.json(ReceiveCommand.class));
                case BYE -> {
                    return;
                }
                default -> {
                    ProtocolException e = reader.unexpected("LIST, RECV or BYE");
                    reply(new ErrorReply(ErrorCodes.PROTOCOL, e.getMessage(), ""));
                    throw e;
                }
            }
        }
    }

    private SinkJob findJob() throws Exit {
        try {
            DatasetName.validateComponent(clientId, "CLIENT_ID");
        } catch (InvalidNameException e) {
            throw new Exit(2, "invalid CLIENT_ID: " + e.getMessage() + " (fix the forced command in authorized_keys)");
        }
        for (SinkJob job : config.sinkJobs()) {
            if (job.clientIdentities().contains(clientId)) {
                return job;
            }
        }
        throw new Exit(1, "client '" + clientId + "' is not listed in any sink job's serve.client_identities in "
                + config.file());
    }

    private void handshake() throws IOException {
        writer.writeMagic();
        writer.control(FrameType.HELLO, new Hello(Wire.PROTOCOL_VERSION, Wire.softwareVersion(), advertised()));
        writer.flush();
        reader.readMagic();
        FrameType t = reader.expectFrame("HELLO");
        if (t != FrameType.HELLO) {
            throw reader.unexpected("HELLO");
        }
        Hello hello = reader.json(Hello.class);
        if (hello.protocol() != Wire.PROTOCOL_VERSION) {
            String message = "protocol mismatch: the backup box speaks zreplj protocol " + Wire.PROTOCOL_VERSION
                    + " (zreplj " + Wire.softwareVersion() + "), the agent speaks " + hello.protocol() + " (zreplj "
                    + hello.software() + "); install matching zreplj versions";
            reply(new ErrorReply(ErrorCodes.VERSION, message, ""));
            throw new ProtocolException(message);
        }
    }

    /** What the box's zfs offers the agent; empty when zfs cannot be probed (the first request will say why). */
    private List<String> advertised() {
        List<String> caps = new ArrayList<>();
        try {
            Capabilities c = capabilities();
            if (c.resumableReceive()) caps.add("resumable-receive");
            if (c.bookmarks()) caps.add("bookmarks");
            if (supportsRecvExclude(c)) caps.add("property-streams");
        } catch (ZfsException e) {
            log.warn("cannot probe zfs capabilities: {}", e.getMessage());
        }
        return caps;
    }

    private Capabilities capabilities() throws ZfsException {
        if (capabilities == null) {
            capabilities = zfs.capabilities();
        }
        return capabilities;
    }

    /** Without {@code zfs recv -x}, ReceiveRequest's excludes would be dropped: such a box refuses property streams. */
    private static boolean supportsRecvExclude(Capabilities c) {
        return c.recvProperties();
    }

    private void ensureJail(DatasetName jail) throws ZfsException {
        if (zfs.exists(jail)) {
            return;
        }
        List<String> parts = jail.components();
        DatasetName current = DatasetName.of(parts.get(0));
        for (int i = 1; i < parts.size(); i++) {
            current = current.child(parts.get(i));
            if (!zfs.exists(current)) {
                createPlaceholder(current);
            }
        }
        log.info("client {}: created jail {}", clientId, jail);
    }

    private void createPlaceholder(DatasetName dataset) throws ZfsException {
        try {
            zfs.create(dataset, PLACEHOLDER_PROPERTIES);
        } catch (ZfsException e) {
            // Another channel of the same agent may have created it a moment ago.
            if (!zfs.exists(dataset)) {
                throw e;
            }
        }
    }

    private void list(Jail jail) throws IOException {
        List<RemoteFilesystem> out = new ArrayList<>();
        try {
            Map<DatasetName, List<ZfsVersion>> versions = zfs.listVersions(jail.root());
            boolean resumable = capabilities().resumableReceive();
            List<String> props = resumable ? List.of(PLACEHOLDER_PROPERTY, RESUME_TOKEN_PROPERTY)
                    : List.of(PLACEHOLDER_PROPERTY);
            Map<DatasetName, Map<String, String>> properties = zfs.getProperties(jail.root(), true, props);
            for (Map.Entry<DatasetName, List<ZfsVersion>> e : versions.entrySet()) {
                if (e.getKey().equals(jail.root())) {
                    continue;
                }
                Map<String, String> p = properties.getOrDefault(e.getKey(), Map.of());
                List<RemoteVersion> vs = e.getValue().stream()
                        .map(v -> new RemoteVersion(v.name(), v.type(), v.guid(), v.createtxg(),
                                v.creation().getEpochSecond()))
                        .toList();
                String token = p.get(RESUME_TOKEN_PROPERTY);
                boolean noToken = token == null || token.isEmpty() || token.equals("-");
                out.add(new RemoteFilesystem(jail.pathOf(e.getKey()), "on".equals(p.get(PLACEHOLDER_PROPERTY)), vs,
                        noToken ? null : token));
            }
        } catch (ZfsException e) {
            reply(new ErrorReply(ErrorCodes.ZFS, e.getMessage(), e.stderr()));
            return;
        }
        writer.control(FrameType.LISTING, new Listing(out));
        writer.flush();
    }

    private void receive(Jail jail, SinkJob job, ReceiveCommand cmd) throws IOException {
        DatasetName target;
        try {
            target = jail.resolve(cmd.path());
            Jail.validateSnapshotName(cmd.snapshot());
        } catch (RemoteException e) {
            log.warn("client {}: refused RECV: {}", clientId, e.getMessage());
            refuse(e);
            return;
        }
        try (DatasetLock lock = DatasetLock.tryAcquire(config.global().stateDir(), target)) {
            if (lock == null) {
                refuse(new RemoteException(ErrorCodes.BUSY, "another receive into " + target + " is running", ""));
                return;
            }
            receiveLocked(jail, job, cmd, target);
        }
    }

    private void receiveLocked(Jail jail, SinkJob job, ReceiveCommand cmd, DatasetName target) throws IOException {
        HeaderBytes first = readHeader();
        if (first == null) {
            reply(new ErrorReply(ErrorCodes.ABORTED, "the client aborted the stream into " + target, ""));
            return;
        }
        ReceiveRequest request;
        boolean overwritePlaceholder;
        try {
            StreamHeader header = StreamHeader.parse(first.bytes, first.length);
            checkHeader(cmd, header);
            Set<DatasetName> existing = new HashSet<>(zfs.listFilesystems(jail.root()));
            createMissingParents(jail.root(), target, existing);
            overwritePlaceholder = cmd.fromGuid() == null && isEmptyPlaceholder(target, existing);
            request = receiveRequest(job, cmd, header, target, overwritePlaceholder);
        } catch (RemoteException e) {
            log.warn("client {}: refused RECV into {}: {}", clientId, target, e.getMessage());
            refuse(e, first.ended);
            return;
        } catch (ZfsException e) {
            refuse(new RemoteException(ErrorCodes.ZFS, e.getMessage(), e.stderr()), first.ended);
            return;
        }
        ZfsProcess recv;
        try {
            recv = zfs.receive(request);
        } catch (ZfsException e) {
            refuse(new RemoteException(ErrorCodes.ZFS, e.getMessage(), e.stderr()), first.ended);
            return;
        }
        try {
            long bytes = pump(recv, first, target);
            if (bytes < 0) {
                return;
            }
            recv.finish();
            long guid = receivedGuid(target, cmd.snapshot());
            if (cmd.fromGuid() == null) {
                // The flag is a user property and so inherited from the jail: a real filesystem says "off".
                zfs.setProperty(target, PLACEHOLDER_PROPERTY, "off");
            }
            log.info("client {}: received {}@{} ({} bytes)", clientId, target, cmd.snapshot(), bytes);
            writer.control(FrameType.RESULT, new ReceiveResult(bytes, guid));
            writer.flush();
        } catch (ZfsException e) {
            reply(new ErrorReply(ErrorCodes.ZFS, e.getMessage(), e.stderr()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while receiving into " + target);
        } finally {
            recv.kill();
        }
    }

    /**
     * Copies the stream into zfs recv's stdin until END. Returns the byte count, or -1 when the receive
     * was ended here (aborted by the client, or zfs recv exited early) and the reply has been sent.
     */
    private long pump(ZfsProcess recv, HeaderBytes first, DatasetName target) throws IOException,
            InterruptedException {
        OutputStream stdin = recv.stdin();
        long bytes = first.length;
        boolean ended = first.ended;
        try {
            stdin.write(first.bytes, 0, first.length);
            while (!ended) {
                FrameType t = reader.next();
                if (t == null) {
                    // Killing zfs recv makes ZFS discard the partial receive (or keep resumable state with -s).
                    killAndWait(recv);
                    throw new ProtocolException("the client closed the connection in the middle of the stream into "
                            + target + "; zfs recv was stopped");
                }
                switch (t) {
                    case DATA -> {
                        stdin.write(reader.payload(), 0, reader.length());
                        bytes += reader.length();
                    }
                    case END -> ended = true;
                    case ABORT -> {
                        killAndWait(recv);
                        reply(new ErrorReply(ErrorCodes.ABORTED, "the client aborted the stream into " + target
                                + "; zfs recv was stopped", ""));
                        return -1;
                    }
                    default -> {
                        killAndWait(recv);
                        ProtocolException e = reader.unexpected("DATA, END or ABORT");
                        reply(new ErrorReply(ErrorCodes.PROTOCOL, e.getMessage(), ""));
                        throw e;
                    }
                }
            }
            stdin.close();
            return bytes;
        } catch (ProtocolException e) {
            throw e;
        } catch (IOException brokenPipe) {
            // zfs recv stopped reading, so it has exited or is about to: its stderr says why.
            try {
                recv.finish();
                reply(new ErrorReply(ErrorCodes.ZFS, "zfs recv into " + target + " stopped reading the stream",
                        ""));
            } catch (ZfsException e) {
                reply(new ErrorReply(ErrorCodes.ZFS, e.getMessage(), e.stderr()));
            }
            if (!ended) {
                drain();
            }
            return -1;
        }
    }

    /** The stream's first bytes, at least a whole DRR_BEGIN record unless the stream is shorter. */
    private record HeaderBytes(byte[] bytes, int length, boolean ended) {
    }

    /** Reads DATA frames until the DRR_BEGIN record is complete; null when the client aborted. */
    private HeaderBytes readHeader() throws IOException {
        byte[] bytes = new byte[0];
        int length = 0;
        while (length < StreamHeader.LENGTH) {
            FrameType t = reader.expectFrame("DATA");
            switch (t) {
                case DATA -> {
                    if (bytes.length < length + reader.length()) {
                        bytes = Arrays.copyOf(bytes, length + reader.length());
                    }
                    System.arraycopy(reader.payload(), 0, bytes, length, reader.length());
                    length += reader.length();
                }
                case END -> {
                    return new HeaderBytes(bytes, length, true);
                }
                case ABORT -> {
                    return null;
                }
                default -> {
                    ProtocolException e = reader.unexpected("DATA, END or ABORT");
                    reply(new ErrorReply(ErrorCodes.PROTOCOL, e.getMessage(), ""));
                    throw e;
                }
            }
        }
        return new HeaderBytes(bytes, length, false);
    }

    private static void checkHeader(ReceiveCommand cmd, StreamHeader header) throws RemoteException {
        if (header.toGuid() != cmd.toGuid()) {
            throw new RemoteException(ErrorCodes.STREAM, "the stream is of the snapshot with guid "
                    + Long.toUnsignedString(header.toGuid()) + ", the command names guid "
                    + Long.toUnsignedString(cmd.toGuid()), "");
        }
        long from = cmd.fromGuid() == null ? 0 : cmd.fromGuid();
        if (header.fromGuid() != from) {
            throw new RemoteException(ErrorCodes.STREAM, "the stream is "
                    + (header.fromGuid() == 0 ? "a full stream" : "incremental from guid "
                    + Long.toUnsignedString(header.fromGuid())) + ", the command asks for "
                    + (from == 0 ? "a full stream" : "an incremental from guid " + Long.toUnsignedString(from)), "");
        }
        String snapshot = header.snapshotName();
        if (snapshot != null && !snapshot.equals(cmd.snapshot())) {
            throw new RemoteException(ErrorCodes.STREAM, "the stream carries snapshot '" + snapshot
                    + "', the command names '" + cmd.snapshot() + "'", "");
        }
    }

    private void createMissingParents(DatasetName jail, DatasetName target, Set<DatasetName> existing)
            throws ZfsException {
        List<DatasetName> missing = new ArrayList<>();
        for (Optional<DatasetName> p = target.parent(); p.isPresent() && !p.get().equals(jail);
                p = p.get().parent()) {
            if (!existing.contains(p.get())) {
                missing.add(0, p.get());
            }
        }
        for (DatasetName m : missing) {
            createPlaceholder(m);
            existing.add(m);
        }
    }

    /**
     * A placeholder created for a child's sake, with no snapshots: a full stream for it may replace it
     * (receive -F), as zrepl does; anything else that exists is left to zfs to refuse.
     */
    private boolean isEmptyPlaceholder(DatasetName target, Set<DatasetName> existing) throws ZfsException {
        if (!existing.contains(target)) {
            return false;
        }
        String flag = zfs.getProperties(target, false, List.of(PLACEHOLDER_PROPERTY))
                .getOrDefault(target, Map.of()).get(PLACEHOLDER_PROPERTY);
        return "on".equals(flag) && zfs.listVersions(target).getOrDefault(target, List.of()).isEmpty();
    }

    private ReceiveRequest receiveRequest(SinkJob job, ReceiveCommand cmd, StreamHeader header, DatasetName target,
                                          boolean overwritePlaceholder) throws RemoteException, ZfsException {
        Capabilities c = capabilities();
        List<String> excludes = new ArrayList<>(job.recv().inheritProperties());
        if (header.payloadLength() > 0) {
            // The payload can set any property, a mountpoint over the box's own paths included.
            if (!supportsRecvExclude(c)) {
                throw new RemoteException(ErrorCodes.STREAM, "the stream carries properties (zfs send -R, -p or a"
                        + " resume); this box's zfs cannot exclude mount properties on receive (no 'zfs recv -x'),"
                        + " so it is refused: send without -R/-p", "");
            }
            for (String p : MOUNT_PROPERTIES) {
                if (!excludes.contains(p)) {
                    excludes.add(p);
                }
            }
        }
        return new ReceiveRequest(target, cmd.rollback() || overwritePlaceholder,
                cmd.resumable() && c.resumableReceive(), job.recv().overrideProperties(), excludes);
    }

    private long receivedGuid(DatasetName target, String snapshot) throws ZfsException {
        for (ZfsVersion v : zfs.listVersions(target).getOrDefault(target, List.of())) {
            if (v.type() == VersionType.SNAPSHOT && v.name().equals(snapshot)) {
                return v.guid();
            }
        }
        throw new ZfsException("zfs recv succeeded but " + target + "@" + snapshot + " does not exist");
    }

    private static void killAndWait(ZfsProcess recv) throws InterruptedException {
        recv.kill();
        try {
            recv.finish();
        } catch (ZfsException expected) {
            // Killed: its failure is the point.
        }
    }

    /** Replies with the error, then skips the rest of the stream so the channel stays usable. */
    private void refuse(RemoteException e) throws IOException {
        refuse(e, false);
    }

    private void refuse(RemoteException e, boolean streamEnded) throws IOException {
        reply(new ErrorReply(e.code(), e.getMessage(), e.detail()));
        if (!streamEnded) {
            drain();
        }
    }

    private void drain() throws IOException {
        while (true) {
            FrameType t = reader.expectFrame("END");
            switch (t) {
                case DATA -> {
                }
                case END, ABORT -> {
                    return;
                }
                default -> throw reader.unexpected("DATA, END or ABORT");
            }
        }
    }

    private void reply(ErrorReply error) throws IOException {
        writer.control(FrameType.ERROR, error);
        writer.flush();
    }

    private static Map<String, String> orderedMap(String... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return Collections.unmodifiableMap(m);
    }

    private static String printable(String s) {
        StringBuilder sb = new StringBuilder();
        for (char c : s.toCharArray()) {
            sb.append(c < 0x20 || c == 0x7f ? String.format("\\x%02x", (int) c) : String.valueOf(c));
        }
        return sb.toString();
    }
}
