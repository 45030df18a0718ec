package dev.zreplj.replication;

import dev.zreplj.protocol.ReceiveCommand;
import dev.zreplj.protocol.ReceiveResult;
import dev.zreplj.protocol.ReceiveSeries;
import dev.zreplj.protocol.RemoteException;
import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.SendFlag;
import dev.zreplj.zfs.SendRequest;
import dev.zreplj.zfs.SendStream;
import dev.zreplj.zfs.SourceZfs;
import dev.zreplj.zfs.ZfsException;
import java.io.IOException;
import java.io.InputStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Executes plans over a set of channels (one stdinserver each). Each channel works through a shared
 * queue, one filesystem at a time, all of that filesystem's steps in order; a filesystem whose parent is
 * still being replicated waits, so parents arrive before children and the box creates fewer placeholders.
 * A failing filesystem does not stop the others; a broken channel stops only itself.
 */
public final class Replicator {
    private static final Logger log = LoggerFactory.getLogger(Replicator.class);

    private final SourceZfs zfs;
    private final boolean raw;
    private final Set<SendFlag> sendFlags;
    private final BandwidthLimiter limiter;
    private final boolean resumable;
    private final ReplicationCursor cursor;
    private final Progress progress;
    private final Watchdog watchdog;
    private final SizeEstimator estimator;

    /**
     * @param sendFlags zfs send options every step passes (the job's send section, already checked)
     * @param limiter  the job's send.bandwidth_limit, shared by all its streams
     * @param cursor   moved to each step's snapshot as soon as the receiver confirms it; null for none
     * @param progress bytes/rate/ETA display (quiet unless stderr is an interactive terminal)
     * @param watchdog cancels a step without progress (its channel is aborted and not used again)
     */
    public Replicator(
            SourceZfs zfs,
            boolean raw,
            Set<SendFlag> sendFlags,
            BandwidthLimiter limiter,
            boolean resumable,
            ReplicationCursor cursor,
            Progress progress,
            Watchdog watchdog) {
        this.zfs = zfs;
        this.raw = raw;
        this.sendFlags = Set.copyOf(sendFlags);
        this.limiter = limiter;
        this.resumable = resumable;
        this.cursor = cursor;
        this.progress = progress;
        this.watchdog = watchdog;
        this.estimator = new SizeEstimator(zfs);
    }

    /** Opens one more channel, for a worker whose channel a failed step ended. */
    @FunctionalInterface
    public interface MoreChannels {
        BoxChannel another() throws IOException;
    }

    public List<FilesystemResult> run(List<FilesystemPlan> plans, List<BoxChannel> channels)
            throws InterruptedException {
        return run(plans, channels, null);
    }

    /**
     * @param more where a worker gets a new channel when a step that failed for another reason than the link or
     *             a stall ended its own (an unframed stream the box stopped reading, see {@link RawInput}); null
     *             to stop that worker instead
     */
    public List<FilesystemResult> run(List<FilesystemPlan> plans, List<BoxChannel> channels, MoreChannels more)
            throws InterruptedException {
        Map<DatasetName, FilesystemResult> results = new ConcurrentHashMap<>();
        List<FilesystemPlan.Replicate> work = new ArrayList<>();
        for (FilesystemPlan plan : plans) {
            Optional<String> unmarkable = cursor == null || !(plan instanceof FilesystemPlan.Replicate)
                    ? Optional.empty()
                    : cursor.unmarkable(plan.filesystem());
            if (unmarkable.isPresent()) {
                // Never sent while its name stays: not a first replication that failed, so its children are sent
                // under a placeholder, as under a filesystem the filter leaves out.
                log.warn("{}: not sent: {}", plan.filesystem(), unmarkable.get());
                results.put(
                        plan.filesystem(),
                        FilesystemResult.failed(
                                plan.filesystem(), 0, 0, "not sent: " + unmarkable.get(), -1, Failure.ZFS));
            } else if (plan instanceof FilesystemPlan.Replicate r) {
                work.add(r);
            } else {
                results.put(plan.filesystem(), resultWithoutSteps(plan));
            }
        }
        WorkQueue queue = new WorkQueue(work);
        List<Thread> workers = new ArrayList<>();
        for (int i = 0; i < channels.size(); i++) {
            BoxChannel channel = channels.get(i);
            Thread t = new Thread(() -> work(queue, channel, results, more), "replication-" + i);
            t.start();
            workers.add(t);
        }
        for (Thread t : workers) {
            t.join();
        }
        // Whatever no channel could take (every channel broke) is reported, not silently dropped.
        for (FilesystemPlan.Replicate left : queue.drain()) {
            results.put(
                    left.filesystem(),
                    FilesystemResult.failed(
                            left.filesystem(),
                            0,
                            0,
                            "not attempted: every channel to the backup box failed",
                            -1,
                            Failure.CONNECTION_LOST));
        }
        return results.values().stream()
                .sorted(Comparator.comparing(FilesystemResult::filesystem))
                .toList();
    }

    private static FilesystemResult resultWithoutSteps(FilesystemPlan plan) {
        if (plan instanceof FilesystemPlan.UpToDate u) {
            return new FilesystemResult(u.filesystem(), FilesystemResult.Outcome.UP_TO_DATE, 0, 0, "@" + u.newest());
        }
        if (plan instanceof FilesystemPlan.Conflict c) {
            return new FilesystemResult(c.filesystem(), FilesystemResult.Outcome.CONFLICT, 0, 0, c.reason());
        }
        return new FilesystemResult(plan.filesystem(), FilesystemResult.Outcome.NO_SNAPSHOTS, 0, 0, "");
    }

    private void work(
            WorkQueue queue, BoxChannel first, Map<DatasetName, FilesystemResult> results, MoreChannels more) {
        BoxChannel channel = first;
        FilesystemPlan.Replicate plan;
        while ((plan = queue.take()) != null) {
            FilesystemResult result;
            Optional<FilesystemResult> parent = queue.parentWithoutFirstCopy(plan);
            if (parent.isPresent()) {
                // As zrepl ("parent(s) failed during initial replication"): sent now, the child would have the box
                // make a placeholder where the parent belongs, which the parent's full stream must then replace
                // (-F), and which OpenZFS refuses to replace by an encrypted raw stream. The child follows its
                // parent, retried when and as the parent's failure is.
                DatasetName p = parent.get().filesystem();
                result = FilesystemResult.failed(
                        plan.filesystem(),
                        0,
                        0,
                        "not sent: its parent " + p + " failed its first replication, and the box would put a"
                                + " placeholder in its place; it follows once " + p + " is on the box",
                        -1,
                        parent.get().failure());
                results.put(plan.filesystem(), result);
                queue.done(plan, result);
                continue;
            }
            try {
                result = replicate(plan, channel);
            } catch (Error e) {
                // A worker that died without a result dropped its filesystem from a pass that said "all ok", and
                // without done() left the workers waiting for its children forever (the job's lock held). This
                // channel's state is unknown after it: the worker ends, the others go on.
                log.error("{}: unexpected error: {}", plan.filesystem(), e.toString());
                result = FilesystemResult.failed(plan.filesystem(), 0, 0, "unexpected error: " + e, -1, Failure.ERROR);
                results.put(plan.filesystem(), result);
                queue.done(plan, result);
                return;
            }
            results.put(plan.filesystem(), result);
            queue.done(plan, result);
            if (result.failure() == Failure.CONNECTION_LOST) {
                return;
            }
            if (channel.aborted()) {
                // A stalled channel is the watchdog's to report and the next attempt's to retry. Any other failure
                // that ended the channel (the box stops reading an unframed stream that failed, as it cannot find
                // its end) was this filesystem's alone: the others go on over a new channel.
                if (more == null || result.failure() == Failure.STALLED) {
                    return;
                }
                try {
                    channel = more.another();
                } catch (IOException e) {
                    log.warn("a new channel to the backup box failed: {}", e.getMessage());
                    return;
                }
            }
        }
    }

    private FilesystemResult replicate(FilesystemPlan.Replicate plan, BoxChannel channel) {
        int done = 0;
        long bytes = 0;
        SizeEstimator.Tally estimates = new SizeEstimator.Tally();
        String cursorFailure = null;
        Step first = null;
        Step last = null;
        for (Step step : plan.steps()) {
            try {
                bytes += runStep(plan.filesystem(), step, channel, estimates);
                // Counted per snapshot: a zfs send -I step is as many steps as snapshots for the summary.
                done += step.snapshots().size();
                first = first == null ? step : first;
                last = step;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return FilesystemResult.failed(
                        plan.filesystem(),
                        done,
                        bytes,
                        "interrupted during step " + step,
                        estimates.total(done + 1),
                        Failure.ERROR);
            } catch (IOException | ZfsException | RuntimeException e) {
                // Whatever breaks one filesystem is its result: the other workers and filesystems go on.
                Failure failure = Failure.of(e);
                String message = failure == Failure.CONNECTION_LOST
                        ? "connection to the backup box lost during step " + step + ": " + e.getMessage()
                        : "step " + step + ": " + describe(failure, e);
                log.warn("{}: {}", plan.filesystem(), message);
                return FilesystemResult.failed(
                        plan.filesystem(), done, bytes, message, estimates.total(done + 1), failure);
            }
            if (cursor != null) {
                try {
                    cursor.move(step.to());
                    cursorFailure = null;
                } catch (ZfsException | RuntimeException e) {
                    // A full pool refuses the cursor's property or bookmark; a name zreplj would not pass to zfs
                    // must not end this worker either (its filesystem would vanish from the pass's report). The old
                    // cursor still guards more than needed, so the next steps go on: the box gets what exists, the
                    // next pass that can sets the cursor (an up-to-date filesystem's cursor is synced).
                    log.warn(
                            "{}: moving the replication cursor to {}: {}",
                            plan.filesystem(),
                            step.to(),
                            e.getMessage());
                    cursorFailure = "step " + step + " was received, but moving the replication cursor failed: "
                            + e.getMessage();
                }
            }
        }
        if (cursorFailure != null) {
            return FilesystemResult.failed(
                    plan.filesystem(), done, bytes, cursorFailure, estimates.total(done), Failure.ZFS);
        }
        return new FilesystemResult(
                plan.filesystem(),
                FilesystemResult.Outcome.REPLICATED,
                done,
                bytes,
                sent(first, last),
                estimates.total(done),
                null,
                List.of());
    }

    /**
     * Whether the pass sent in full or incrementally, and up to what: after a move to a new box, a conflict or a
     * lost cursor the admin asks whether everything went again, and the summary is what cron mails them.
     */
    static String sent(Step first, Step last) {
        if (first == null) {
            return "";
        }
        String to = last.to().relativeName();
        if (first.isFull()) {
            String full = "full send of " + first.to().relativeName();
            return first.to().equals(last.to()) ? full : full + ", then up to " + to;
        }
        return "incremental from " + first.from().relativeName() + " to " + to;
    }

    /** A refusal with the first line of zfs's stderr on the box; an unexpected error with its type. */
    private static String describe(Failure failure, Exception e) {
        return switch (failure) {
            case REFUSED, BUSY -> withDetail((RemoteException) e);
            // One line that names the box's space as the cause and says what to do; the box's zfs words stay in it.
            case NO_SPACE -> Failure.noSpace(withDetail((RemoteException) e));
            case ERROR -> "unexpected error: " + e;
            default -> e.getMessage();
        };
    }

    /** The box's message, and the first line of zfs's stderr where the message does not already hold it. */
    private static String withDetail(RemoteException r) {
        String first = r.detail().strip().lines().findFirst().orElse("");
        return first.isEmpty() || r.getMessage().contains(first) ? r.getMessage() : r.getMessage() + " (" + first + ")";
    }

    private long runStep(DatasetName fs, Step step, BoxChannel channel, SizeEstimator.Tally estimates)
            throws IOException, ZfsException, InterruptedException {
        SendRequest request = step.resume() != null
                ? new SendRequest(null, step.to(), raw, step.resume().text())
                : step.isFull()
                        ? SendRequest.full(step.to(), raw)
                        : step.isSeries()
                                ? SendRequest.intermediates(step.from(), step.to(), raw)
                                : SendRequest.incremental(step.from(), step.to(), raw);
        request = request.withFlags(sendFlags);
        ReceiveCommand command = new ReceiveCommand(
                fs.value(),
                step.to().name(),
                step.to().guid(),
                step.isFull() ? null : step.from().guid(),
                step.rollback(),
                resumable,
                step.resume() == null ? null : step.resume().text(),
                step.discardPartial());
        CompletableFuture<OptionalLong> estimate = estimator.start(request);
        Record receive = step.isSeries() ? series(command, step) : command;
        try {
            Optional<RawInput> raw = limiter.unlimited() ? channel.rawInput() : Optional.empty();
            log.info("{}: sending {}{}", fs, step, raw.isPresent() ? " (zfs send straight into the channel)" : "");
            if (raw.isPresent()) {
                return transferRaw(fs, step, request, receive, channel, raw.get(), estimate);
            }
            return transfer(fs, step, request, receive, channel, estimate);
        } finally {
            // Counted for every step attempted, as when it was asked first; zfs answers it in tens of ms.
            estimates.add(estimate.join());
        }
    }

    private static ReceiveSeries series(ReceiveCommand command, Step step) {
        return new ReceiveSeries(
                command,
                step.snapshots().stream()
                        .map(v -> new ReceiveSeries.Snapshot(v.name(), v.guid()))
                        .toList());
    }

    /**
     * A step whose stream zfs send writes into the channel itself (RECV_RAW): the agent sees only the box's
     * PROGRESS counts, which its progress line and watchdog follow. A send that fails aborts the channel, so that
     * the box stops waiting for the rest of its stream, and its own stderr is the step's failure.
     */
    private long transferRaw(
            DatasetName fs,
            Step step,
            SendRequest request,
            Record receive,
            BoxChannel channel,
            RawInput input,
            CompletableFuture<OptionalLong> estimate)
            throws IOException, ZfsException, InterruptedException {
        AtomicReference<SendStream> sending = new AtomicReference<>();
        SendFailure sendFailure = new SendFailure(channel);
        try (Progress.Transfer shown = progress.begin(fs + " " + step);
                Watchdog.Watch watch = watchdog.watch(shown::bytes, () -> {
                    channel.abort();
                    SendStream s = sending.get();
                    if (s != null) s.kill();
                })) {
            var unused = estimate.thenAccept(shown::estimated);
            ReceiveResult result;
            try {
                result = channel.receiveRaw(
                        receive,
                        () -> {
                            SendStream s;
                            try {
                                s = input.send(zfs, request);
                            } catch (ZfsException e) {
                                throw new SendFailed(e);
                            }
                            sending.set(s);
                            var unusedWatch = s.exited().thenAccept(sendFailure::exited);
                        },
                        bytes -> {
                            // The box's counts are its word: once zfs send has written the whole stream, more of
                            // them is no progress, and the watchdog waits replication.timeout for the RESULT.
                            SendStream s = sending.get();
                            if (s == null || !s.exited().isDone()) {
                                shown.report(bytes);
                            }
                        });
                SendStream s = sending.get();
                if (s != null) s.finish();
            } catch (SendFailed e) {
                throw e.zfs;
            } catch (IOException | ZfsException e) {
                SendStream s = sending.get();
                if (s != null) {
                    s.kill();
                    if (sendFailure.zfsFirst() && !(e instanceof RemoteException)) {
                        try {
                            s.finish();
                        } catch (ZfsException own) {
                            own.addSuppressed(e);
                            throw own;
                        }
                    }
                }
                if (watch.cancelled()) {
                    throw new StalledException(
                            watch.stalledMessage(shown.bytes(), estimate.getNow(OptionalLong.empty())), e);
                }
                throw e;
            } finally {
                sendFailure.stepOver();
                SendStream s = sending.get();
                if (s != null) s.close();
            }
            return checked(step, result);
        }
    }

    /**
     * Whose failure a zfs send writing into the channel itself was, when it exited non-zero. One whose channel died
     * (the link lost, the box gone) ends on EPIPE, and the channel shows its own end a moment later: that is the
     * channel's failure, retried as a lost connection, whichever of the two the agent saw first. One that failed
     * while its channel still stands is zfs's own: the channel is aborted, so that the box stops waiting for the
     * rest of the stream, and zfs's stderr is the step's failure.
     */
    private static final class SendFailure {
        /** How long a channel that died may take to show it after its zfs send saw EPIPE. */
        static final Duration CHANNEL_END_GRACE = Duration.ofSeconds(2);

        private final BoxChannel channel;
        private boolean stepOver;
        private boolean zfsFirst;

        SendFailure(BoxChannel channel) {
            this.channel = channel;
        }

        /** zfs send's exit; judged on a thread of its own, as the waiting must not hold up the process reaper. */
        void exited(int status) {
            if (status == 0 || channel.aborted()) {
                return;
            }
            Thread judge = new Thread(this::judge, "zfs-send-exit");
            judge.setDaemon(true);
            judge.start();
        }

        private void judge() {
            long deadline = System.nanoTime() + CHANNEL_END_GRACE.toNanos();
            try {
                while (!channel.aborted() && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                }
            } catch (InterruptedException e) {
                return;
            }
            synchronized (this) {
                // Not once the step is over: the channel may carry the next one by now.
                if (!stepOver && !channel.aborted()) {
                    zfsFirst = true;
                    channel.abort();
                }
            }
        }

        synchronized boolean zfsFirst() {
            return zfsFirst;
        }

        synchronized void stepOver() {
            stepOver = true;
        }
    }

    /** zfs send could not be started on a channel the box was ready on; carried through the channel's sender. */
    private static final class SendFailed extends IOException {
        private static final long serialVersionUID = 1L;
        private final transient ZfsException zfs;

        SendFailed(ZfsException zfs) {
            super(zfs.getMessage(), zfs);
            this.zfs = zfs;
        }
    }

    private static long checked(Step step, ReceiveResult result) throws RemoteException {
        if (result.receivedGuid() != step.to().guid()) {
            throw new RemoteException(
                    "guid",
                    "the backup box received guid " + result.receivedGuid() + " for "
                            + step.to().fullName() + " but the sender's guid is "
                            + step.to().guid(),
                    "");
        }
        return result.bytes();
    }

    private long transfer(
            DatasetName fs,
            Step step,
            SendRequest request,
            Record receive,
            BoxChannel channel,
            CompletableFuture<OptionalLong> estimate)
            throws IOException, ZfsException, InterruptedException {
        try (SendStream send = zfs.send(request);
                InputStream limited = limiter.wrap(send.stdout());
                Progress.Transfer shown = progress.begin(fs + " " + step, limited);
                Watchdog.Watch watch = watchdog.watch(shown::bytes, () -> {
                    channel.abort();
                    send.kill();
                })) {
            var unused = estimate.thenAccept(shown::estimated);
            ReceiveResult result;
            try {
                result = receive instanceof ReceiveSeries series
                        ? channel.receiveSeries(series, shown.stream())
                        : channel.receive((ReceiveCommand) receive, shown.stream());
                // A send that died mid-stream shows up as a short stream the receiver rejected; zfs send's
                // own stderr is the better explanation, so it wins when both failed.
                send.finish();
            } catch (IOException | ZfsException e) {
                send.kill();
                if (watch.cancelled()) {
                    throw new StalledException(
                            watch.stalledMessage(shown.bytes(), estimate.getNow(OptionalLong.empty())), e);
                }
                throw e;
            }
            return checked(step, result);
        }
    }

    /**
     * Hands out filesystems so that none starts while one of its ancestors is still in progress or queued, and
     * knows which of them failed their first replication (the full stream that makes their copy on the box).
     */
    private static final class WorkQueue {
        private final List<FilesystemPlan.Replicate> pending;
        private final List<DatasetName> unfinished = new ArrayList<>();
        private final Map<DatasetName, FilesystemResult> withoutFirstCopy = new TreeMap<>();

        WorkQueue(List<FilesystemPlan.Replicate> work) {
            pending = new ArrayList<>(work.stream()
                    .sorted(Comparator.comparing(FilesystemPlan::filesystem))
                    .toList());
            pending.forEach(p -> unfinished.add(p.filesystem()));
        }

        synchronized FilesystemPlan.Replicate take() {
            while (!pending.isEmpty()) {
                for (int i = 0; i < pending.size(); i++) {
                    DatasetName fs = pending.get(i).filesystem();
                    boolean ancestorBusy =
                            unfinished.stream().anyMatch(u -> !u.equals(fs) && fs.isSelfOrDescendantOf(u));
                    if (!ancestorBusy) {
                        return pending.remove(i);
                    }
                }
                try {
                    wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return null;
                }
            }
            return null;
        }

        synchronized void done(FilesystemPlan.Replicate plan, FilesystemResult result) {
            if (result.failed() && result.stepsDone() == 0 && first(plan)) {
                withoutFirstCopy.put(plan.filesystem(), result);
            }
            unfinished.remove(plan.filesystem());
            notifyAll();
        }

        /**
         * For a filesystem not on the box yet, the result of an ancestor that failed its first replication in this
         * run (its copy is not on the box either). A filesystem already on the box has its parents there.
         */
        synchronized Optional<FilesystemResult> parentWithoutFirstCopy(FilesystemPlan.Replicate plan) {
            if (!first(plan)) {
                return Optional.empty();
            }
            return withoutFirstCopy.values().stream()
                    .filter(r -> !r.filesystem().equals(plan.filesystem())
                            && plan.filesystem().isSelfOrDescendantOf(r.filesystem()))
                    .findFirst();
        }

        /** Its steps begin with a full stream (a new one or a resumed one): its first copy on the box. */
        private static boolean first(FilesystemPlan.Replicate plan) {
            return !plan.steps().isEmpty() && plan.steps().get(0).from() == null;
        }

        synchronized List<FilesystemPlan.Replicate> drain() {
            List<FilesystemPlan.Replicate> left = List.copyOf(pending);
            pending.clear();
            return left;
        }
    }
}
