package dev.zreplj.restore;

import dev.zreplj.agent.SinkChannel;
import dev.zreplj.protocol.SendCommand;
import dev.zreplj.protocol.SendResult;
import dev.zreplj.protocol.StreamHeader;
import dev.zreplj.replication.Progress;
import dev.zreplj.zfs.Capabilities;
import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.ReceiveRequest;
import dev.zreplj.zfs.VersionType;
import dev.zreplj.zfs.Zfs;
import dev.zreplj.zfs.ZfsException;
import dev.zreplj.zfs.ZfsProcess;
import dev.zreplj.zfs.ZfsVersion;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PipedInputStream;
import java.io.PipedOutputStream;
import java.io.PrintStream;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;

/**
 * Runs a restore's steps: each is the box's {@code zfs send} (SEND), its first record checked
 * ({@link RestoreStream}), piped into a local {@code zfs recv} that never mounts ({@code -u}, or below
 * {@code mountpoint=none} where zfs lacks it), takes no mount or share property from the stream ({@code -x}
 * where zfs has it) and keeps resumable state where zfs has {@code -s} and the box can resume sending.
 * Afterwards the received snapshot's guid is checked against the box's.
 * Touches nothing of the push job: no cursor, hold or bookmark on this machine is created or moved.
 */
public final class Restorer {
    private final Zfs zfs;
    private final Box box;
    private final boolean boxResumes;
    private final Progress progress;
    private final PrintStream out;

    /** The box's side of a restore: SEND's stream written into {@code sink}; {@link SinkChannel#send}. */
    @FunctionalInterface
    public interface Box {
        SendResult send(SendCommand command, OutputStream sink, LongSupplier progress) throws IOException;
    }

    /**
     * @param boxResumes whether the box can resume a send ({@code resumable-receive} in its HELLO): only then
     *                   does the receive keep partial state ({@code -s}), since a token no box will resume from
     *                   would only stand in the way of the next restore
     */
    public Restorer(Zfs zfs, Box box, boolean boxResumes, Progress progress, PrintStream out) {
        this.zfs = zfs;
        this.box = box;
        this.boxResumes = boxResumes;
        this.progress = progress;
        this.out = out;
    }

    /** The local dataset as a restore sees it. */
    public static LocalTarget local(Zfs zfs, DatasetName target) throws ZfsException {
        Optional<String> token = zfs.resumeToken(target);
        if (!zfs.exists(target)) {
            return new LocalTarget(false, List.of(), token.orElse(null));
        }
        return new LocalTarget(true, zfs.listOwnVersions(target), token.orElse(null));
    }

    /**
     * Why a new dataset at {@code target} would be mounted on receive: zfs has no {@code recv -u} and the
     * parent's mountpoint is not {@code none}; null when it would not.
     */
    public static String mountRefusal(Zfs zfs, DatasetName target) throws ZfsException {
        Capabilities caps = zfs.capabilities();
        if (caps.recvNoMount()) {
            return null;
        }
        Optional<DatasetName> parent = target.parent();
        if (parent.isEmpty()) {
            return "cannot restore into a pool's root dataset " + target + ": name a dataset below it";
        }
        String mountpoint = zfs.getProperties(parent.get(), false, List.of("mountpoint"))
                .getOrDefault(parent.get(), Map.of())
                .get("mountpoint");
        if ("none".equals(mountpoint)) {
            return null;
        }
        if (mountpoint == null && parent.get().parent().isEmpty()) {
            // zfs create cannot make a pool: a mistyped pool name gets no advice to create it
            return "there is no pool " + parent.get() + " here ('zpool list' shows the pools): restore below an"
                    + " existing one";
        }
        if (mountpoint == null) {
            return parent.get() + " does not exist, and this zfs (" + caps.version()
                    + ") cannot receive without mounting (no"
                    + " 'zfs recv -u'): create it with 'zfs create -o mountpoint=none " + parent.get() + "' (its"
                    + " parents must exist), then mount the restored filesystem where you want it";
        }
        return "this zfs (" + caps.version() + ") cannot receive without mounting (no 'zfs recv -u'), and " + target
                + " would be mounted at once below " + parent.get() + " (mountpoint " + mountpoint + "): run 'zfs set"
                + " mountpoint=none " + parent.get() + "' (or restore below a dataset that has it), then mount the"
                + " restored filesystem where you want it";
    }

    /** Runs every step; the first failure ends the restore (what was received stays, and resumes). */
    public void run(List<RestoreStep> steps) throws IOException, ZfsException, RestoreRefused {
        for (RestoreStep step : steps) {
            switch (step.kind()) {
                case UP_TO_DATE, KEPT -> out.println("up to date: " + step.describe());
                case ROLLBACK -> {
                    zfs.rollback(step.target(), step.snapshot(), true);
                    out.println(step.describe());
                }
                case CREATE -> {
                    zfs.create(step.target(), Map.of("canmount", "off"));
                    out.println(step.describe());
                }
                default -> {
                    SendResult result = receive(step);
                    verify(step);
                    out.println("restored " + step.describe() + ": " + result.bytes() + " bytes"
                            + (result.raw() ? ", raw (still encrypted: load its key with 'zfs load-key')" : ""));
                }
            }
        }
    }

    SendResult receive(RestoreStep step) throws IOException, ZfsException, RestoreRefused {
        Capabilities caps = zfs.capabilities();
        boolean exclude = caps.recvProperties();
        ReceiveRequest request = new ReceiveRequest(
                step.target(),
                step.rollback(),
                caps.resumableReceive() && boxResumes,
                Map.of(),
                exclude ? RestoreStream.EXCLUDED_PROPERTIES : List.of());
        SendCommand command = new SendCommand(step.path(), step.snapshot(), step.from(), step.resumeToken());
        AtomicReference<ZfsProcess> recv = new AtomicReference<>();
        AtomicReference<Exception> copyFailure = new AtomicReference<>();
        AtomicBoolean recvStopped = new AtomicBoolean();
        PipedInputStream pipeIn = new PipedInputStream(1 << 20);
        SendResult result;
        try (PipedOutputStream pipeOut = new PipedOutputStream(pipeIn);
                Progress.Transfer transfer = progress.begin(step.path() + "@" + step.snapshot(), pipeIn)) {
            // The pipe lets the shared progress line count the stream. zfs recv starts only after the stream's
            // first record passed RestoreStream's check: a refused SEND or stream never starts it, so it
            // leaves nothing behind to discard. A refusal closes the pipe, which ends the box's send.
            Thread copier = new Thread(
                    () -> {
                        try (InputStream in = transfer.stream()) {
                            byte[] buffer = new byte[64 << 10];
                            int n = in.readNBytes(buffer, 0, StreamHeader.LENGTH);
                            if (n == 0) {
                                return;
                            }
                            RestoreStream.check(step, buffer, n, exclude);
                            if (step.kind() == RestoreStep.Kind.INCREMENTAL && step.rollback()) {
                                rollBackToBase(step);
                            }
                            recv.set(zfs.receive(request));
                            try (OutputStream toRecv = new Watched(recv.get().stdin(), recvStopped)) {
                                for (; n >= 0; n = in.read(buffer)) {
                                    toRecv.write(buffer, 0, n);
                                }
                            }
                        } catch (IOException | ZfsException | RestoreRefused e) {
                            copyFailure.set(e);
                        }
                    },
                    "restore-recv");
            copier.start();
            try {
                result = box.send(command, pipeOut, transfer::bytes);
                pipeOut.close();
                copier.join();
            } catch (IOException e) {
                // A copier already waiting in read() does not see the reader side close (PipedInputStream
                // checks that only on entry; with no write ever made it would wait for ever, as it did when
                // the box refused SEND at once): the interrupt ends its wait.
                pipeIn.close();
                copier.interrupt();
                copier.join();
                if (copyFailure.get() instanceof RestoreRefused refused) {
                    // The box's send failed because the refusal closed the pipe: the refusal is the news.
                    refused.addSuppressed(e);
                    throw refused;
                }
                if (copyFailure.get() != null) {
                    e.addSuppressed(copyFailure.get());
                }
                if (recv.get() != null) {
                    // Killed, not ended: with -s zfs keeps what arrived, and the next restore resumes it.
                    recv.get().kill();
                    Optional<ZfsException> failed = finishQuietly(recv.get());
                    if (recvStopped.get() && failed.isPresent()) {
                        // zfs recv gave up first (a changed target, no space) and the box's send then failed
                        // on the closed pipe: zfs's reason is the news, not the broken pipe it caused.
                        ZfsException explained = explained(step, failed.get());
                        explained.addSuppressed(e);
                        throw explained;
                    }
                    failed.ifPresent(e::addSuppressed);
                }
                throw e;
            }
        } catch (InterruptedException e) {
            if (recv.get() != null) {
                recv.get().kill();
            }
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        if (copyFailure.get() instanceof RestoreRefused refused) {
            throw refused;
        }
        if (recv.get() == null) {
            if (copyFailure.get() instanceof ZfsException z) {
                throw z;
            }
            throw new IOException("the box sent an empty stream for " + step.path() + "@" + step.snapshot());
        }
        try {
            recv.get().finish();
        } catch (ZfsException e) {
            throw explained(step, e);
        } catch (InterruptedException e) {
            recv.get().kill();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
        if (copyFailure.get() instanceof IOException io) {
            throw io;
        }
        return result;
    }

    /**
     * zfs refuses an incremental receive into a dataset changed since its newest snapshot: an earlier restore
     * that was mounted and written to, or only read with atime on. Rolling it back would discard those changes,
     * so that takes --force; the user needs to hear which and why, not zfs's line alone.
     */
    static ZfsException explained(RestoreStep step, ZfsException e) {
        if (step.kind() != RestoreStep.Kind.INCREMENTAL
                || step.rollback()
                || !e.stderr().replaceAll("\\s+", " ").contains("has been modified since most recent snapshot")) {
            return e;
        }
        ZfsException explained = new ZfsException(step.target() + " was changed since its newest snapshot (written to,"
                + " or read while mounted with atime on), so zfs refuses the incremental restore; to keep those"
                + " changes restore into a new dataset (--to), or add --force to roll them back and restore");
        explained.initCause(e);
        return explained;
    }

    /**
     * --force over a target with snapshots of its own after the base: rolled back to the base before the
     * receive, as docs/restore.md says. zfs-fuse's {@code recv -F} does not roll an incremental target back past
     * its newest snapshot (the box rolls back itself for the same reason), so it refused; done only once the
     * box's stream was checked, so a refused stream destroys nothing here.
     */
    private void rollBackToBase(RestoreStep step) throws ZfsException {
        for (ZfsVersion v : zfs.listOwnVersions(step.target())) {
            if (v.type() == VersionType.SNAPSHOT && v.guid() == step.fromGuid()) {
                zfs.rollback(step.target(), v.name(), true);
                return;
            }
        }
    }

    /** zfs recv's stdin, noting when a write fails: zfs has stopped reading (exited, or is exiting). */
    private static final class Watched extends FilterOutputStream {
        private final AtomicBoolean failed;

        Watched(OutputStream out, AtomicBoolean failed) {
            super(out);
            this.failed = failed;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            try {
                out.write(b, off, len);
            } catch (IOException e) {
                failed.set(true);
                throw e;
            }
        }

        @Override
        public void close() throws IOException {
            try {
                out.close();
            } catch (IOException e) {
                failed.set(true);
                throw e;
            }
        }
    }

    private static Optional<ZfsException> finishQuietly(ZfsProcess recv) {
        try {
            recv.finish();
            return Optional.empty();
        } catch (ZfsException z) {
            return Optional.of(z);
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        }
    }

    /** The received snapshot must be the box's very snapshot: same name, same guid. */
    private void verify(RestoreStep step) throws ZfsException {
        List<ZfsVersion> versions = zfs.listOwnVersions(step.target());
        boolean there = versions.stream().anyMatch(v -> v.name().equals(step.snapshot()) && v.guid() == step.guid());
        if (!there) {
            throw new ZfsException("after the receive " + step.target() + "@" + step.snapshot()
                    + " is missing or has another guid than the box's; the restore is not complete");
        }
    }
}
