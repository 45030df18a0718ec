package dev.zreplj.agent;

import dev.zreplj.config.PushJob;
import dev.zreplj.protocol.ErrorCodes;
import dev.zreplj.protocol.RemoteException;
import dev.zreplj.protocol.SinkClient;
import dev.zreplj.protocol.StreamCompression;
import dev.zreplj.protocol.StreamInflater;
import dev.zreplj.replication.Box;
import dev.zreplj.replication.BoxChannel;
import dev.zreplj.replication.Watchdog;
import dev.zreplj.ssh.SshChannel;
import dev.zreplj.ssh.SshTransport;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The agent's connection to the box for one pass: one SSH session and its protocol channels (one
 * stdinserver each). A retry reconnects: new channels on the same session while it stands, else a new
 * session. Every handshake is under the pass's watchdog, and every channel can be aborted by it.
 */
public final class BoxConnection implements Box {
    private static final Logger log = LoggerFactory.getLogger(BoxConnection.class);
    /** Sent as the exec command; the box's forced command ignores it and runs stdinserver anyway. */
    static final String REMOTE_COMMAND = "zreplj stdinserver";

    private final PushJob job;
    private final Watchdog watchdog;
    /** Compress streams for a box that offers it, unless zstd's native library cannot load here. */
    private final StreamCompression compression;

    private SshTransport ssh;
    /** Opened before the pass needed it (EarlyConnect); null once used or when none was. */
    private SshChannel opened;
    /** What the early handshake and LIST on {@link #opened} gave; null with it. */
    private EarlyConnect.Greeting greeting;

    private final List<SshChannel> channels = new ArrayList<>();
    private final List<SinkChannel> clients = new ArrayList<>();
    /** How many channels the box took before it refused one as busy; no bound until it has. */
    private int cap = Integer.MAX_VALUE;

    private BoxConnection(PushJob job, Watchdog watchdog, SshTransport ssh, StreamCompression compression) {
        this.job = job;
        this.watchdog = watchdog;
        this.ssh = ssh;
        this.compression = compression;
    }

    /** How this job's streams are to go: as asked for, and OFF when zstd's native library does not load here. */
    static StreamCompression compression(PushJob job) {
        StreamCompression asked = job.connect().streamCompression();
        if (asked == StreamCompression.OFF) {
            return asked;
        }
        Optional<String> why = StreamInflater.unavailable();
        why.ifPresent(w -> log.warn("zstd is unavailable, streams go uncompressed: {}", w));
        return why.isEmpty() ? asked : StreamCompression.OFF;
    }

    /** Connects and opens the first channel (handshake done). */
    public static BoxConnection open(PushJob job, Watchdog watchdog) throws IOException {
        return open(job, watchdog, SshTransport.connect(job.connect()));
    }

    /** Opens the first channel (handshake done) on a session already connected; closes it on failure. */
    static BoxConnection open(PushJob job, Watchdog watchdog, SshTransport ssh) throws IOException {
        return open(job, watchdog, new EarlyConnect.Connected(ssh, null, null), compression(job));
    }

    /**
     * The first channel handshaken on a session already connected, on the channel already opened there if
     * any (its stdinserver has been starting meanwhile) with what its early handshake and LIST gave; closes
     * both on failure.
     */
    static BoxConnection open(
            PushJob job, Watchdog watchdog, EarlyConnect.Connected connected, StreamCompression compression)
            throws IOException {
        BoxConnection box = new BoxConnection(job, watchdog, connected.ssh(), compression);
        box.opened = connected.channel();
        box.greeting = connected.greeting();
        try {
            box.channels(1);
            return box;
        } catch (IOException | RuntimeException e) {
            box.close();
            throw e;
        }
    }

    @Override
    public List<String> capabilities() {
        return first().client().serverHello().capabilities();
    }

    /** The box's zreplj version, from its HELLO: for messages about what an older box lacks. */
    public String software() {
        return first().client().serverHello().software();
    }

    @Override
    public SinkChannel first() {
        return clients.get(0);
    }

    /**
     * Up to {@code n} channels (opening more as needed), all handshaken; returns them all. Fewer where one more
     * cannot be had while the session stands: zrepl's {@code concurrency.steps} is a maximum, a box serves one
     * client at most its {@code max_channels} (default 8) at once and refuses more as busy, sshd refuses
     * channels past its {@code MaxSessions} (default 10), and a box short of memory cannot start another
     * stdinserver. The steps then share the channels it took.
     */
    @Override
    public synchronized List<BoxChannel> channels(int n) throws IOException {
        try {
            open(Math.min(n, cap));
        } catch (IOException e) {
            boolean refused = e instanceof RemoteException r && !r.code().equals(ErrorCodes.BUSY);
            if (clients.isEmpty() || refused || !ssh.isOpen()) {
                throw e;
            }
            // Not asked again for the rest of the pass: each attempt would open one more channel to be refused.
            cap = clients.size();
            log.warn(
                    "job {}: the backup box took {} of the {} channels the job's concurrency asks for"
                            + " (replication.concurrency.steps, connect.channels): {}; the steps share those",
                    job.name(),
                    clients.size(),
                    n,
                    e.getMessage());
        }
        return List.<BoxChannel>copyOf(clients);
    }

    /** Opens channels until there are {@code n}; the box's refusal of one is thrown. */
    private void open(int n) throws IOException {
        while (clients.size() < n) {
            SshChannel channel = opened != null ? opened : ssh.openChannel(REMOTE_COMMAND, watchdog.timeout());
            EarlyConnect.Greeting early = opened != null ? greeting : null;
            opened = null;
            greeting = null;
            channels.add(channel);
            SinkClient client;
            try {
                client = early != null ? early.client() : handshake(channel);
                if (early != null && early.handshakeFailure() != null) {
                    throw early.handshakeFailure();
                }
            } catch (RemoteException e) {
                throw e; // the box spoke and said why
            } catch (IOException e) {
                throw channel.startFailure(e);
            }
            SinkChannel.EarlyList list =
                    early == null ? null : new SinkChannel.EarlyList(early.listing(), early.listFailure());
            clients.add(new SinkChannel(
                    client,
                    watchdog,
                    channel::ended,
                    list,
                    SinkChannel.listRoots(job),
                    channel.fifo().orElse(null)));
        }
    }

    private SinkClient handshake(SshChannel channel) throws IOException {
        SinkClient client = new SinkClient(channel.stdout(), channel.stdin(), channel::abort, compression);
        return watchdog.guard(
                "HELLO",
                () -> {
                    client.handshake(job.name());
                    return client;
                },
                client::abort);
    }

    /**
     * A channel the watchdog has not cut; a fresh one when every open one was cut (a stalled step), on a
     * new session when the session itself died (the link was lost or the box restarted): no channel opens
     * on a session being closed.
     */
    @Override
    public synchronized BoxChannel another() throws IOException {
        open(clients.size() + 1);
        return clients.get(clients.size() - 1);
    }

    @Override
    public synchronized BoxChannel healthy() throws IOException {
        for (BoxChannel client : clients) {
            if (!client.aborted()) {
                return client;
            }
        }
        if (!ssh.isOpen()) {
            reconnect();
            return first();
        }
        open(clients.size() + 1);
        return clients.get(clients.size() - 1);
    }

    /** Drops every channel and opens a fresh first one; a session that died is replaced by a new one. */
    @Override
    public void reconnect() throws IOException {
        closeChannels();
        if (!ssh.isOpen()) {
            log.info("job {}: the SSH session to the backup box is gone; connecting again", job.name());
            ssh.close();
            ssh = SshTransport.connect(job.connect());
        }
        channels(1);
    }

    @Override
    public void close() {
        closeChannels();
        ssh.close();
    }

    private void closeChannels() {
        if (opened != null) {
            channels.add(opened);
            opened = null;
            greeting = null;
        }
        for (SinkChannel client : clients) {
            try {
                client.client().close();
            } catch (IOException | RuntimeException e) {
                log.debug("closing a channel: {}", e.getMessage());
            }
        }
        for (SshChannel channel : channels) {
            try {
                channel.close();
            } catch (IOException e) {
                // The work is done; a failing goodbye must not turn the pass into "unreachable".
                log.debug("closing an SSH channel: {}", e.getMessage());
            }
        }
        clients.clear();
        channels.clear();
    }
}
