package dev.zreplj.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.protocol.SendResult;
import dev.zreplj.replication.Progress;
import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.Zfs;
import dev.zreplj.zfs.ZfsException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RestorerTest {
    private static final DatasetName TO = DatasetName.of("new/home");
    // zfs-fuse's and OpenZFS's wording, as the box's rollback also matches it (ReceiveHandler)
    private static final ZfsException MODIFIED = new ZfsException(
            List.of("zfs", "recv", "-u", "new/home"),
            1,
            "cannot receive incremental stream: destination new/home has been modified\nsince most recent snapshot\n");

    @Test
    void anIncrementalIntoAChangedRestoreSaysWhyAndWhatToDo() {
        RestoreStep step =
                new RestoreStep("tank/home", TO, RestoreStep.Kind.INCREMENTAL, "c", 13, "@b", 12, null, false);
        ZfsException e = Restorer.explained(step, MODIFIED);
        assertEquals(
                "new/home was changed since its newest snapshot (written to, or read while mounted with atime on),"
                        + " so zfs refuses the incremental restore; to keep those changes restore into a new dataset"
                        + " (--to), or add --force to roll them back and restore",
                e.getMessage());
        assertSame(MODIFIED, e.getCause());
    }

    @Test
    void otherFailuresAndForcedStepsKeepZfsOwnMessage() {
        RestoreStep forced =
                new RestoreStep("tank/home", TO, RestoreStep.Kind.INCREMENTAL, "c", 13, "@b", 12, null, true);
        assertSame(MODIFIED, Restorer.explained(forced, MODIFIED));
        RestoreStep full = new RestoreStep("tank/home", TO, RestoreStep.Kind.FULL, "c", 13, null, 0, null, false);
        assertSame(MODIFIED, Restorer.explained(full, MODIFIED));
        ZfsException other = new ZfsException(List.of("zfs", "recv"), 1, "cannot receive: out of space\n");
        RestoreStep step =
                new RestoreStep("tank/home", TO, RestoreStep.Kind.INCREMENTAL, "c", 13, "@b", 12, null, false);
        assertSame(other, Restorer.explained(step, other));
    }

    /** More than the restore's 1 MiB pipe holds, so that the box is still sending when the receive side stops. */
    private static final int LARGE = 4 << 20;

    @TempDir
    Path dir;

    /**
     * An OpenZFS 2.3 zfs (by its usage text) that records every call's arguments in {@code args} and runs
     * {@code recv} (a shell command) for {@code zfs recv}.
     */
    private Zfs fakeZfs(String recv) throws Exception {
        return fakeZfs(recv, "");
    }

    /** @param list what {@code zfs list} prints (tab-separated name, guid, createtxg, creation lines) */
    private Zfs fakeZfs(String recv, String list) throws Exception {
        Path usage = dir.resolve("usage.txt");
        try (var in = RestorerTest.class.getResourceAsStream("/dev/zreplj/zfs/usage-openzfs-2.3.txt")) {
            Files.write(usage, in.readAllBytes());
        }
        Path fake = dir.resolve("zfs");
        Path args = dir.resolve("args");
        Files.writeString(
                fake,
                "#!/bin/sh\nif [ $# -eq 0 ]; then cat " + usage + " >&2; exit 2; fi\n"
                        + "case \"$1\" in holds|version) exit 1;; esac\n"
                        + "printf '%s|' \"$@\" >> " + args + "\necho >> " + args + "\n"
                        + "case \"$1\" in recv) " + recv + ";; list) printf '" + list + "';; esac\n");
        Files.setPosixFilePermissions(fake, PosixFilePermissions.fromString("rwxr-xr-x"));
        return new Zfs(fake);
    }

    private List<String> receives() throws IOException {
        Path args = dir.resolve("args");
        return Files.exists(args)
                ? Files.readAllLines(args).stream()
                        .filter(l -> l.startsWith("recv|"))
                        .toList()
                : List.of();
    }

    /** A box that answers SEND with {@code header} and then zeros up to {@code length} bytes, in 64 KiB writes. */
    private static Restorer.Box box(byte[] header, int length) {
        return (command, sink, progress) -> {
            sink.write(header);
            byte[] chunk = new byte[64 << 10];
            for (int sent = header.length; sent < length; sent += chunk.length) {
                sink.write(chunk, 0, Math.min(chunk.length, length - sent));
            }
            return new SendResult(length, false);
        };
    }

    private static Restorer restorer(Zfs zfs, Restorer.Box box) {
        return restorer(zfs, box, true);
    }

    private static Restorer restorer(Zfs zfs, Restorer.Box box, boolean boxResumes) {
        return new Restorer(zfs, box, boxResumes, Progress.quiet(), new PrintStream(new ByteArrayOutputStream()));
    }

    @Test
    void aStreamThatIsNotTheStepsNeverReachesZfsRecvAndTheRefusalIsTheMessage() throws Exception {
        Zfs zfs = fakeZfs("cat >/dev/null");
        RestoreStep full = new RestoreStep("tank/home", TO, RestoreStep.Kind.FULL, "c", 13, null, 0, null, false);
        byte[] compound = RestoreStreamTest.begin(2, 0, 0, 4096, 0, 0, "box/sink/laptop/tank/home@c");
        RestoreRefused e = assertThrows(
                RestoreRefused.class, () -> restorer(zfs, box(compound, LARGE)).receive(full));
        assertTrue(e.getMessage().contains("compound stream"), e.getMessage());
        byte[] other = RestoreStreamTest.plain(99, 0);
        e = assertThrows(
                RestoreRefused.class, () -> restorer(zfs, box(other, 1000)).receive(full));
        assertTrue(e.getMessage().contains("the box listed 13"), e.getMessage());
        assertEquals(List.of(), receives());
    }

    @Test
    void aRestoreTakesNoMountOrShareProperty() throws Exception {
        Zfs zfs = fakeZfs("cat >/dev/null");
        RestoreStep full = new RestoreStep("tank/home", TO, RestoreStep.Kind.FULL, "c", 13, null, 0, null, false);
        restorer(zfs, box(RestoreStreamTest.plain(13, 0), 1000)).receive(full);
        assertEquals(List.of("recv|-u|-s|-x|mountpoint|-x|canmount|-x|sharenfs|-x|sharesmb|new/home|"), receives());
    }

    @Test
    void fromABoxThatCannotResumeTheReceiveKeepsNoPartialState() throws Exception {
        Zfs zfs = fakeZfs("cat >/dev/null");
        RestoreStep full = new RestoreStep("tank/home", TO, RestoreStep.Kind.FULL, "c", 13, null, 0, null, false);
        restorer(zfs, box(RestoreStreamTest.plain(13, 0), 1000), false).receive(full);
        assertEquals(List.of("recv|-u|-x|mountpoint|-x|canmount|-x|sharenfs|-x|sharesmb|new/home|"), receives());
    }

    @Test
    void aLargeIncrementalIntoAChangedRestoreSaysWhyNotThatThePipeBroke() throws Exception {
        // zfs recv reads the start of the stream, refuses it and exits while the box is still sending: the box's
        // send then fails on the closed pipe, and that must not be what the user reads.
        Zfs zfs = fakeZfs("head -c 65536 >/dev/null; echo 'cannot receive incremental stream: destination new/home"
                + " has been modified' >&2; echo 'since most recent snapshot' >&2; exit 1");
        RestoreStep step =
                new RestoreStep("tank/home", TO, RestoreStep.Kind.INCREMENTAL, "c", 13, "@b", 12, null, false);
        ZfsException e = assertThrows(
                ZfsException.class,
                () -> restorer(zfs, box(RestoreStreamTest.plain(13, 12), LARGE)).receive(step));
        assertTrue(e.getMessage().startsWith("new/home was changed since its newest snapshot"), e.getMessage());
        ZfsException full = assertThrows(
                ZfsException.class,
                () -> restorer(zfs, box(RestoreStreamTest.plain(13, 0), LARGE))
                        .receive(new RestoreStep(
                                "tank/home", TO, RestoreStep.Kind.FULL, "c", 13, null, 0, null, false)));
        assertTrue(full.getMessage().contains("has been modified"), "zfs's own reason: " + full.getMessage());
    }

    @Test
    void aRollbackStepRollsTheTargetBackWithoutAStream() throws Exception {
        Zfs zfs = fakeZfs("exit 1");
        Restorer.Box none = (command, sink, progress) -> {
            throw new AssertionError("no SEND for a rollback");
        };
        restorer(zfs, none)
                .run(List.of(
                        new RestoreStep("tank/home", TO, RestoreStep.Kind.ROLLBACK, "b", 12, null, 0, null, true)));
        assertEquals(
                List.of("rollback|-r|new/home@b|"),
                Files.readAllLines(dir.resolve("args")).stream()
                        .filter(l -> l.startsWith("rollback|"))
                        .toList());
    }

    /** zfs-fuse's recv -F does not roll an incremental target back past its newest snapshot: --force does it. */
    @Test
    void aForcedIncrementalRollsTheTargetBackToItsBaseFirst() throws Exception {
        Zfs zfs = fakeZfs(
                "cat >/dev/null", "new/home\\t1\\t1\\t1\\nnew/home@b\\t12\\t5\\t100\\nnew/home@mine\\t50\\t6\\t101\\n");
        RestoreStep step =
                new RestoreStep("tank/home", TO, RestoreStep.Kind.INCREMENTAL, "c", 13, "@b", 12, null, true);
        restorer(zfs, box(RestoreStreamTest.plain(13, 12), 1000)).receive(step);
        List<String> calls = Files.readAllLines(dir.resolve("args")).stream()
                .filter(l -> l.startsWith("rollback|") || l.startsWith("recv|"))
                .toList();
        assertEquals(
                List.of(
                        "rollback|-r|new/home@b|",
                        "recv|-u|-F|-s|-x|mountpoint|-x|canmount|-x|sharenfs|-x|sharesmb|new/home|"),
                calls);
    }
}
