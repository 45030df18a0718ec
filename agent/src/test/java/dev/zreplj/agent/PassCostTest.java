package dev.zreplj.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.zreplj.config.ConfigLoader;
import dev.zreplj.config.PushJob;
import dev.zreplj.replication.FilesystemResult;
import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.ZfsVersion;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a pass costs in zfs processes and requests to the box, counted with the fakes: a no-op pass and a
 * pass of one small step per filesystem. These fail when a change adds a listing or a round trip.
 */
class PassCostTest {
    private static final Clock NOON = Clock.fixed(Instant.parse("2026-11-30T12:00:00Z"), ZoneOffset.UTC);
    private static final int FILESYSTEMS = 20;

    @TempDir
    Path dir;

    private final FakeBox box = new FakeBox();

    private PushJob job() throws Exception {
        Path file = dir.resolve("zreplj.yml");
        Files.writeString(
                file,
                String.join(
                        "\n",
                        "jobs:",
                        "  - name: laptop",
                        "    type: push",
                        "    connect:",
                        "      type: ssh+stdinserver",
                        "      host: box.example.org",
                        "      user: zreplj",
                        "      identity_file: /etc/zreplj/ssh/identity",
                        "      channels: 1",
                        "    filesystems: {\"tank/src<\": true, \"tank/src/skip\": false}",
                        "    snapshotting:",
                        "      type: manual",
                        "    pruning:",
                        "      keep_sender:",
                        "        - type: not_replicated",
                        "        - type: last_n",
                        "          count: 1",
                        "      keep_receiver:",
                        "        - type: last_n",
                        "          count: 1",
                        ""));
        return new ConfigLoader().load(file).pushJobs().get(0);
    }

    private static List<String> children() {
        return IntStream.rangeClosed(1, FILESYSTEMS)
                .mapToObj(i -> String.format("tank/src/f%02d", i))
                .toList();
    }

    /** tank/src and its children hold @zrepl_1, and so does the box; one pass sets every cursor. */
    private FakeZfs replicatedOnce(boolean bookmarks) throws Exception {
        FakeZfs zfs = new FakeZfs(bookmarks);
        zfs.filesystem("tank/src", "zrepl_1");
        for (String fs : children()) {
            zfs.filesystem(fs, "zrepl_1");
        }
        // Outside the filter: a pass must not list these.
        zfs.filesystem("tank/src/skip", "zrepl_1");
        zfs.filesystem("tank/other", "zrepl_1");
        zfs.filesystem("tank/other/big", "zrepl_1");
        List<String> all = new ArrayList<>(children());
        all.add(0, "tank/src");
        for (String fs : all) {
            List<ZfsVersion> v = zfs.listVersions(DatasetName.of(fs)).get(DatasetName.of(fs));
            box.holds(fs, List.of("zrepl_1"), List.of(v.get(0).guid()));
        }
        PushPass.Result first = run(zfs);
        assertFalse(first.failed(), first::toString);
        zfs.clearCalls();
        return zfs;
    }

    private PushPass.Result run(FakeZfs zfs) throws Exception {
        return new PassDriver(job(), zfs, box.opener(), NOON, d -> {}).run(false, PushPass.Connect.ALWAYS);
    }

    @Test
    void aNoOpPassListsTheFiltersRootOnceAndTheBoxOnce() throws Exception {
        FakeZfs zfs = replicatedOnce(false);
        int before = box.log().size();

        PushPass.Result r = run(zfs);

        assertFalse(r.failed(), r::toString);
        assertEquals(FILESYSTEMS + 1, r.filesystems().size());
        // One listing below the filter's root (not the pool) that reads the cursors' property too; pruning
        // reuses it and the box's listing, as nothing changed.
        assertEquals(List.of("listVersions tank/src with zreplj:cursor:laptop"), zfs.calls());
        assertEquals(
                List.of("session 2", "list #1"),
                box.log().subList(before, box.log().size()));
    }

    @Test
    void aSmallStepCostsOneSendTheCursorMoveAndOneReceivePerFilesystem() throws Exception {
        FakeZfs zfs = replicatedOnce(false);
        List<DatasetName> all =
                new ArrayList<>(children().stream().map(DatasetName::of).toList());
        all.add(0, DatasetName.of("tank/src"));
        zfs.snapshot(all, "zrepl_2");
        zfs.clearCalls();
        int before = box.log().size();

        PushPass.Result r = run(zfs);

        assertFalse(r.failed(), r::toString);
        List<String> calls = zfs.calls();
        // Per pass: the listing (with the cursors' property) and one size estimate (this zfs has none, so
        // it is not asked again), asked beside the first send.
        assertEquals(List.of("listVersions tank/src with zreplj:cursor:laptop"), calls.subList(0, 1));
        assertEquals(
                List.of("estimateSendSize tank/src@zrepl_2"),
                calls.stream().filter(c -> c.startsWith("estimateSendSize ")).toList());
        assertEquals(
                Set.of("estimateSendSize tank/src@zrepl_2", "send tank/src@zrepl_2"), Set.copyOf(calls.subList(1, 3)));
        for (String fs : children()) {
            // zfs-fuse's cursor: property, hold, release, property. No listing per filesystem, none for pruning.
            assertEquals(
                    List.of(
                            "send " + fs + "@zrepl_2",
                            "setProperty " + fs,
                            "hold " + fs + "@zrepl_2",
                            "release " + fs + "@zrepl_1",
                            "setProperty " + fs,
                            "destroySnapshots " + fs),
                    calls.stream()
                            .filter(c -> c.endsWith(" " + fs) || c.contains(" " + fs + "@"))
                            .toList(),
                    fs);
        }
        // Before the destroys, one zfs get for the whole pass checks that each name is still the snapshot the
        // listing decided on.
        assertEquals(
                List.of("snapshotGuids " + (FILESYSTEMS + 1)),
                calls.stream().filter(c -> c.startsWith("snapshotGuids ")).toList());
        assertEquals(3 + 6 * (FILESYSTEMS + 1), calls.size(), calls::toString);
        List<String> requests = box.log().subList(before, box.log().size());
        assertEquals(List.of("session 2", "list #1"), requests.subList(0, 2));
        assertEquals(
                FILESYSTEMS + 1,
                requests.stream().filter(l -> l.startsWith("recv #1 ")).count());
        // The receives changed the box, so pruning lists it again: one LIST, one DESTROY per filesystem.
        assertEquals(2, requests.stream().filter(l -> l.equals("list #1")).count());
        assertEquals(
                FILESYSTEMS + 1,
                requests.stream().filter(l -> l.startsWith("destroy #1 ")).count());
        assertEquals(2 + 2 * (FILESYSTEMS + 1) + 1, requests.size(), requests::toString);
        assertEquals(List.of("zrepl_2"), zfs.snapshots("tank/src/f01"));
        assertEquals(List.of("zrepl_2"), box.snapshots("tank/src/f01"));
    }

    @Test
    void theSizeEstimateIsAskedBesideTheSendNotBeforeIt() throws Exception {
        FakeZfs zfs = replicatedOnce(false);
        zfs.snapshot(List.of(DatasetName.of("tank/src/f01")), "zrepl_2");
        // Answered only once the send runs: asked first and waited for, as before, it would time out.
        zfs.estimates(4096, true);
        zfs.clearCalls();

        PushPass.Result r = run(zfs);

        assertFalse(r.failed(), r::toString);
        FilesystemResult f01 = r.filesystems().stream()
                .filter(f -> f.filesystem().equals(DatasetName.of("tank/src/f01")))
                .findFirst()
                .orElseThrow();
        assertEquals(1, f01.stepsDone(), f01::toString);
        // The report still carries the estimate, taken when the step is done.
        assertEquals(4096, f01.estimatedBytes(), f01::toString);
        assertEquals(List.of("zrepl_2"), box.snapshots("tank/src/f01"));
    }

    @Test
    void whereTheCursorIsABookmarkPruningListsAgainTheRootReplicationChanged() throws Exception {
        FakeZfs zfs = replicatedOnce(true);
        zfs.snapshot(List.of(DatasetName.of("tank/src/f01")), "zrepl_2");
        zfs.clearCalls();

        PushPass.Result r = run(zfs);

        assertFalse(r.failed(), r::toString);
        // The new cursor bookmark is seen by pruning: @zrepl_1 is replicated and no rule keeps it.
        assertEquals(List.of("zrepl_2"), zfs.snapshots("tank/src/f01"));
        assertEquals(
                List.of("laptop"),
                zfs.bookmarks("tank/src/f01").stream()
                        .map(b -> b.substring(b.lastIndexOf("_J_") + 3))
                        .toList());
        assertEquals(
                2,
                zfs.calls().stream()
                        .filter(c -> c.equals("listVersions tank/src"))
                        .count(),
                zfs.calls()::toString);
    }
}
