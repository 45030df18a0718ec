package dev.zreplj.stdinserver;

import dev.zreplj.config.Config;
import dev.zreplj.config.SinkJob;
import dev.zreplj.protocol.DestroyCommand;
import dev.zreplj.protocol.ErrorCodes;
import dev.zreplj.protocol.ErrorReply;
import dev.zreplj.protocol.FrameReader;
import dev.zreplj.protocol.FrameType;
import dev.zreplj.protocol.FrameWriter;
import dev.zreplj.protocol.Hello;
import dev.zreplj.protocol.ProtocolException;
import dev.zreplj.protocol.ReceiveCommand;
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
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One stdinserver process: serves the one client named by the forced command, inside its jail, over
 * the protocol on {@code in}/{@code out}. {@link #run()} returns the exit status: 0 after BYE, 1 on a
 * runtime or protocol failure, 2 for a bad CLIENT_ID; failures are one line on {@code err}.
 */
public final class StdinServer {
    private static final Logger log = LoggerFactory.getLogger(StdinServer.class);

    private final Config config;
    private final String clientId;
    private final Zfs zfs;
    private final FrameReader reader;
    private final Conversation conversation;
    private final PrintStream err;

    public StdinServer(Config config, String clientId, Zfs zfs, InputStream in, OutputStream out) {
        this(config, clientId, zfs, in, out, System.err);
    }

    public StdinServer(Config config, String clientId, Zfs zfs, InputStream in, OutputStream out,
                       PrintStream err) {
        this.config = config;
        this.clientId = clientId;
        this.zfs = zfs;
        this.reader = new FrameReader(in, "client", Wire.MAX_CONTROL_FROM_CLIENT);
        this.conversation = new Conversation(reader, new FrameWriter(out, Wire.MAX_CONTROL_FROM_SERVER));
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
                conversation.reply(new ErrorReply(ErrorCodes.INTERNAL, message, ""));
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
        Hello hello;
        try {
            hello = handshake();
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
        Session session = new Session(clientId, job, new Jail(job.jail(clientId)), pushJob(hello),
                config.global().stateDir());
        Placeholders placeholders = new Placeholders(zfs, job.recv().placeholderEncryption());
        setUpJail(placeholders, session.jail().root());
        ReceiverHolds holds = new ReceiverHolds(zfs);
        ListHandler list = new ListHandler(zfs, conversation);
        ReceiveHandler receive = new ReceiveHandler(zfs, conversation, placeholders, holds);
        DestroyHandler destroy = new DestroyHandler(zfs, conversation, holds, err);
        while (true) {
            FrameType t = reader.next();
            if (t == null) {
                throw new ProtocolException("the client closed the connection without BYE");
            }
            switch (t) {
                case LIST -> list.handle(session);
                case RECV -> receive.handle(session, reader.json(ReceiveCommand.class));
                case DESTROY -> destroy.handle(session, reader.json(DestroyCommand.class));
                case BYE -> {
                    return;
                }
                default -> {
                    ProtocolException e = reader.unexpected("LIST, RECV, DESTROY or BYE");
                    conversation.reply(new ErrorReply(ErrorCodes.PROTOCOL, e.getMessage(), ""));
                    throw e;
                }
            }
        }
    }

    private SinkJob findJob() throws Exit {
        try {
            DatasetName.validateIdentifier(clientId, "CLIENT_ID");
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

    private Hello handshake() throws IOException {
        conversation.greet(new Hello(Wire.PROTOCOL_VERSION, Wire.softwareVersion(), advertised()));
        reader.readMagic();
        FrameType t = reader.expectFrame("HELLO");
        if (t != FrameType.HELLO) {
            throw reader.unexpected("HELLO");
        }
        Hello hello = reader.hello();
        if (hello.protocol() != Wire.PROTOCOL_VERSION) {
            String message = "protocol mismatch: the backup box speaks zreplj protocol " + Wire.PROTOCOL_VERSION
                    + " (zreplj " + Wire.softwareVersion() + "), the agent speaks " + hello.protocol() + " (zreplj "
                    + hello.software() + "); install matching zreplj versions";
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
    private List<String> advertised() {
        List<String> caps = new ArrayList<>();
        try {
            Capabilities c = zfs.capabilities();
            if (c.resumableReceive()) caps.add("resumable-receive");
            if (c.bookmarks()) caps.add("bookmarks");
            // Without 'zfs recv -x' mount properties cannot be excluded: such a box refuses property streams.
            if (c.recvProperties()) caps.add("property-streams");
        } catch (ZfsException e) {
            log.warn("cannot probe zfs capabilities: {}", e.getMessage());
        }
        return caps;
    }

    private void setUpJail(Placeholders placeholders, DatasetName jail) throws Exit, IOException {
        try {
            if (placeholders.ensure(jail)) {
                log.info("client {}: created jail {}", clientId, jail);
            }
        } catch (ZfsException e) {
            conversation.reply(new ErrorReply(ErrorCodes.ZFS, "cannot create the jail " + jail + ": "
                    + e.getMessage(), e.stderr()));
            throw new Exit(1, "client '" + clientId + "': cannot create the jail " + jail + ": " + e.getMessage());
        }
    }

    private static String printable(String s) {
        StringBuilder sb = new StringBuilder();
        for (char c : s.toCharArray()) {
            sb.append(c < 0x20 || c == 0x7f ? String.format("\\x%02x", (int) c) : String.valueOf(c));
        }
        return sb.toString();
    }
}
