package dev.zreplj.zfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ZfsArgumentsTest {

    @Test
    void snapshotArgumentsAreSplitIntoCallsOfBoundedLengthKeepingEveryName() {
        assertEquals(List.of(), Zfs.calls(List.of("holds", "-H"), List.of()));
        assertEquals(
                List.of(List.of("holds", "-H", "p/a@1", "p/b@2")),
                Zfs.calls(List.of("holds", "-H"), List.of("p/a@1", "p/b@2")));
        String name = "p/" + "x".repeat(40_000) + "@s";
        List<String> names = List.of(name + "1", name + "2", name + "3", "p/y".repeat(60_000) + "@too-long-alone");
        List<List<String>> calls = Zfs.calls(List.of("get", "guid"), names);
        // Two names of about 40 000 characters fit the limit of 100 000, a third does not; a name longer
        // than the limit still gets a call of its own.
        assertEquals(3, calls.size());
        assertEquals(List.of("get", "guid", names.get(0), names.get(1)), calls.get(0));
        assertEquals(List.of("get", "guid", names.get(2)), calls.get(1));
        assertEquals(List.of("get", "guid", names.get(3)), calls.get(2));
    }

    @Test
    void destroyArgumentsSplitAtTheLimitAndKeepEveryName() {
        DatasetName fs = DatasetName.of("tank/a");
        assertEquals(List.of("tank/a@s1,s2,s3"), Zfs.destroyArguments(fs, List.of("s1", "s2", "s3"), 100));
        // "tank/a@s1,s2" is 12 characters: a limit of 12 fits two names, the third starts a new argument.
        assertEquals(List.of("tank/a@s1,s2", "tank/a@s3"), Zfs.destroyArguments(fs, List.of("s1", "s2", "s3"), 12));
        assertEquals(
                List.of("tank/a@s1", "tank/a@s2", "tank/a@s3"),
                Zfs.destroyArguments(fs, List.of("s1", "s2", "s3"), 11));
        assertEquals(
                List.of("tank/a@s1", "tank/a@s2"),
                Zfs.destroyArguments(fs, List.of("s1", "s2"), 1),
                "one name per argument even when the limit is absurdly small");
        assertEquals(List.of(), Zfs.destroyArguments(fs, List.of(), 100));
        List<String> many = java.util.stream.IntStream.range(0, 2000)
                .mapToObj(i -> "zrepl_" + i)
                .toList();
        List<String> args = Zfs.destroyArguments(fs, many, Zfs.MAX_DESTROY_ARGUMENT);
        assertTrue(args.size() > 1);
        assertTrue(args.stream().allMatch(a -> a.length() <= Zfs.MAX_DESTROY_ARGUMENT));
        assertEquals(
                many,
                args.stream()
                        .flatMap(a -> List.of(a.substring("tank/a@".length()).split(",")).stream())
                        .toList());
    }

    @Test
    void propertyAssignmentsAreValidated() {
        assertEquals("mountpoint=none", Zfs.propertyAssignment("mountpoint", "none"));
        assertEquals("zreplj:client=a b", Zfs.propertyAssignment("zreplj:client", "a b"));
        assertThrows(InvalidNameException.class, () -> Zfs.propertyAssignment("-o", "x"));
        assertThrows(InvalidNameException.class, () -> Zfs.propertyAssignment("Mountpoint", "x"));
        assertThrows(InvalidNameException.class, () -> Zfs.propertyAssignment("a=b", "x"));
        assertThrows(InvalidNameException.class, () -> Zfs.propertyAssignment("", "x"));
        assertThrows(InvalidNameException.class, () -> Zfs.propertyAssignment("a", "x\ny"));
        assertThrows(InvalidNameException.class, () -> Zfs.propertyAssignment("a", null));
    }

    @Test
    void locateSearchesPathThenSystemDirs(@TempDir Path dir) throws Exception {
        Path bin = Files.createDirectory(dir.resolve("bin"));
        Path fake = Files.createFile(
                bin.resolve("zfs"), PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
        assertEquals(fake, Zfs.find(dir + "/empty:" + bin));
        Files.createFile(dir.resolve("zfs"));
        assertEquals(fake, Zfs.find(dir + ":" + bin), "a non-executable zfs is skipped");
    }

    /** A zfs that only records its arguments: bookmarks cannot be tried on zfs-fuse. */
    @Test
    void bookmarkAndDestroyBookmarkArguments(@TempDir Path dir) throws Exception {
        Path log = dir.resolve("args");
        Path fake = dir.resolve("zfs");
        Files.writeString(fake, "#!/bin/sh\nprintf '%s|' \"$@\" >> " + log + "\necho >> " + log + "\n");
        Files.setPosixFilePermissions(fake, PosixFilePermissions.fromString("rwxr-xr-x"));
        Zfs zfs = new Zfs(fake);
        DatasetName fs = DatasetName.of("tank/a-b");
        ZfsVersion snap = new ZfsVersion(fs, VersionType.SNAPSHOT, "zrepl_1", 0xabcL, 5, java.time.Instant.EPOCH);
        ZfsVersion mark = new ZfsVersion(
                fs, VersionType.BOOKMARK, "zrepl_CURSOR_G_0000000000000abc_J_job", 0xabcL, 5, java.time.Instant.EPOCH);

        zfs.bookmark(snap, "zrepl_CURSOR_G_0000000000000abc_J_job");
        zfs.destroyBookmark(mark);

        assertEquals(
                List.of(
                        "bookmark|tank/a-b@zrepl_1|tank/a-b#zrepl_CURSOR_G_0000000000000abc_J_job|",
                        "destroy|tank/a-b#zrepl_CURSOR_G_0000000000000abc_J_job|"),
                Files.readAllLines(log));
        assertThrows(IllegalArgumentException.class, () -> zfs.destroyBookmark(snap), "never a snapshot");
        assertThrows(
                IllegalArgumentException.class, () -> zfs.bookmark(mark, "x"), "bookmarks are made from snapshots");
        assertThrows(InvalidNameException.class, () -> zfs.bookmark(snap, "-x y@z"));
        assertEquals(2, Files.readAllLines(log).size(), "refused calls never reach zfs");
    }

    /**
     * A delegated (non-root) user's zfs create on OpenZFS exits 1 after creating the filesystem because it may
     * not mount it: that is the box's normal case, not a failure; any other exit 1 still is. zfs allow's
     * arguments are checked before zfs sees them.
     */
    @Test
    void createAsADelegatedUserAndAllowArguments(@TempDir Path dir) throws Exception {
        Path log = dir.resolve("args");
        Path fake = dir.resolve("zfs");
        Files.writeString(
                fake,
                "#!/bin/sh\nprintf '%s|' \"$@\" >> " + log + "\necho >> " + log + "\n"
                        + "case \"$*\" in *mounted*) echo 'filesystem successfully created, but it may only be mounted by root' >&2;"
                        + " exit 1;; *full*) echo 'cannot create: out of space' >&2; exit 1;; esac\n");
        Files.setPosixFilePermissions(fake, PosixFilePermissions.fromString("rwxr-xr-x"));
        Zfs zfs = new Zfs(fake);

        zfs.create(DatasetName.of("tank/mounted"), java.util.Map.of("mountpoint", "none"));
        ZfsException full =
                assertThrows(ZfsException.class, () -> zfs.create(DatasetName.of("tank/full"), java.util.Map.of()));
        assertTrue(full.getMessage().contains("out of space"), full.getMessage());
        zfs.allow("zreplj", List.of("create", "receive"), DatasetName.of("tank/z"));
        assertThrows(ZfsException.class, () -> zfs.allow("-x", List.of("create"), DatasetName.of("tank/z")));
        assertThrows(
                ZfsException.class, () -> zfs.allow("zreplj", List.of("create,everyone"), DatasetName.of("tank/z")));

        assertEquals(
                List.of(
                        "create|-o|mountpoint=none|tank/mounted|",
                        "create|tank/full|",
                        "allow|-u|zreplj|create,receive|tank/z|"),
                Files.readAllLines(log));
    }

    /** A zfs printing the given usage text and recording every other call's arguments. */
    private static Zfs recordingZfs(Path dir, String usageResource) throws Exception {
        Path usage = dir.resolve("usage.txt");
        try (var in = ZfsArgumentsTest.class.getResourceAsStream(usageResource)) {
            Files.write(usage, in.readAllBytes());
        }
        Path fake = dir.resolve("zfs");
        Files.writeString(
                fake,
                "#!/bin/sh\nif [ $# -eq 0 ]; then cat " + usage + " >&2; exit 2; fi\n"
                        + "case \"$1\" in holds|version) exit 1;; esac\n"
                        + "printf '%s|' \"$@\" >> " + dir.resolve("args") + "\necho >> " + dir.resolve("args") + "\n");
        Files.setPosixFilePermissions(fake, PosixFilePermissions.fromString("rwxr-xr-x"));
        return new Zfs(fake);
    }

    /**
     * OpenZFS snapshots a list in one kernel call, which refuses names in another pool than the first's (EXDEV):
     * a job over two pools (bpool and rpool, or "<": true) never got a snapshot. One atomic call per pool.
     */
    @Test
    void aSnapshotOverSeveralPoolsIsOneCallPerPool(@TempDir Path dir) throws Exception {
        Zfs zfs = recordingZfs(dir, "usage-openzfs-2.3.txt");
        zfs.snapshot(
                List.of(
                        DatasetName.of("rpool/home"),
                        DatasetName.of("bpool/BOOT"),
                        DatasetName.of("rpool/ROOT"),
                        DatasetName.of("rpool")),
                "s1");
        assertEquals(
                List.of("snapshot|bpool/BOOT@s1|", "snapshot|rpool@s1|rpool/ROOT@s1|rpool/home@s1|"),
                Files.readAllLines(dir.resolve("args")));
    }

    @Test
    void sendFlagsReachZfsSendInAFixedOrderAndNotWithAResumeToken(@TempDir Path dir) throws Exception {
        Zfs zfs = recordingZfs(dir, "usage-openzfs-2.3.txt");
        DatasetName fs = DatasetName.of("tank/my docs");
        ZfsVersion s1 = new ZfsVersion(fs, VersionType.SNAPSHOT, "s1", 1, 1, java.time.Instant.EPOCH);
        ZfsVersion s2 = new ZfsVersion(fs, VersionType.SNAPSHOT, "s 2", 2, 2, java.time.Instant.EPOCH);
        java.util.Set<SendFlag> all = java.util.EnumSet.allOf(SendFlag.class);
        try (ZfsProcess p = zfs.send(SendRequest.incremental(s1, s2, true).withFlags(all))) {
            p.finish();
        }
        try (ZfsProcess p = zfs.send(SendRequest.full(s1, false).withFlags(java.util.Set.of(SendFlag.COMPRESSED)))) {
            p.finish();
        }
        try (ZfsProcess p = zfs.send(new SendRequest(null, s2, false, "1-abc-def", all))) {
            p.finish();
        }
        assertEquals(
                List.of(
                        "send|-w|-c|-L|-e|-p|-b|-i|tank/my docs@s1|tank/my docs@s 2|",
                        "send|-c|tank/my docs@s1|",
                        "send|-t|1-abc-def|"),
                Files.readAllLines(dir.resolve("args")));
    }

    @Test
    void aSendFlagThisZfsLacksIsRefusedBeforeZfsRuns(@TempDir Path dir) throws Exception {
        Zfs zfs = recordingZfs(dir, "usage-zfs-fuse.txt");
        ZfsVersion s1 =
                new ZfsVersion(DatasetName.of("tank/a"), VersionType.SNAPSHOT, "s1", 1, 1, java.time.Instant.EPOCH);
        ZfsException e = assertThrows(
                ZfsException.class,
                () -> zfs.send(SendRequest.full(s1, false).withFlags(java.util.Set.of(SendFlag.LARGE_BLOCKS))));
        assertEquals("this zfs (unknown) has no 'zfs send -L'", e.getMessage());
        try (ZfsProcess p = zfs.send(SendRequest.full(s1, false).withFlags(java.util.Set.of(SendFlag.PROPERTIES)))) {
            p.finish();
        }
        assertEquals(List.of("send|-p|tank/a@s1|"), Files.readAllLines(dir.resolve("args")));
    }

    /** zfs-fuse's send has no -n: a dry run for the progress estimate is not even started there. */
    @Test
    void aSendEstimateIsAskedOnlyOfAZfsWhoseSendListsADryRun(@TempDir Path dir) throws Exception {
        ZfsVersion s1 =
                new ZfsVersion(DatasetName.of("tank/a"), VersionType.SNAPSHOT, "s1", 1, 1, java.time.Instant.EPOCH);
        SendRequest full = SendRequest.full(s1, false);

        Path fuseDir = java.nio.file.Files.createDirectory(dir.resolve("fuse"));
        Path fuseCalls = fuseDir.resolve("calls");
        Zfs fuse = new Zfs(ProbeCacheTest.fakeZfs(fuseDir, fuseCalls, "usage-zfs-fuse.txt"));
        assertEquals(java.util.OptionalLong.empty(), fuse.estimateSendSize(full));
        // The probe's three calls run at once, so they reach the log in any order.
        assertEquals(
                List.of("", "holds", "version"),
                Files.readAllLines(fuseCalls).stream().sorted().toList(),
                "the probe, and no send -nvP");

        Path openDir = java.nio.file.Files.createDirectory(dir.resolve("openzfs"));
        Path openCalls = openDir.resolve("calls");
        Zfs openzfs = new Zfs(ProbeCacheTest.fakeZfs(openDir, openCalls, "usage-openzfs-2.3.txt"));
        assertEquals(java.util.OptionalLong.of(4096), openzfs.estimateSendSize(full));
        List<String> openLines = Files.readAllLines(openCalls);
        assertEquals(4, openLines.size(), "the probe, then one dry run: " + openLines);
        assertEquals("send -nvP tank/a@s1", openLines.get(3));
    }
}
