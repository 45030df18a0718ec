package dev.zreplj.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.agent.FakeBox.Fault;
import dev.zreplj.config.ConfigLoader;
import dev.zreplj.config.PushJob;
import dev.zreplj.protocol.Wire;
import dev.zreplj.prune.FilesystemPruneResult;
import dev.zreplj.prune.PruneRun;
import dev.zreplj.prune.Side;
import dev.zreplj.replication.Box;
import dev.zreplj.replication.Failure;
import dev.zreplj.replication.FilesystemResult;
import dev.zreplj.replication.Progress;
import dev.zreplj.replication.ReplicationCursor;
import dev.zreplj.testing.LogCapture;
import dev.zreplj.zfs.CursorProperty;
import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.ZfsVersion;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pass driver against an in-memory box and sender: every failure path of a pass, without root, a
 * pool or sshd. Each test arms one failure and asserts what the pass did about it (what the box holds,
 * what was pruned, the retries and their waits, the lines the user reads).
 */
class PassDriverTest {
    private static final Clock NOON = Clock.fixed(Instant.parse("2026-11-30T12:00:00Z"), ZoneOffset.UTC);

    @TempDir
    Path dir;

    private final FakeZfs zfs = new FakeZfs();
    private final FakeBox box = new FakeBox();
    private final List<Duration> waits = new ArrayList<>();
    /** replication.timeout, the watchdog's: a test of a stalled box shortens it. */
    private String replicationTimeout = "10m";

    private PushJob job(int channels, int attempts, String sendYaml) throws Exception {
        return job(channels, attempts, sendYaml, "");
    }

    private PushJob job(int channels, int attempts, String sendYaml, String snapshottingYaml) throws Exception {
        return job(
                channels,
                attempts,
                sendYaml,
                snapshottingYaml,
                String.join("\n", "        - type: not_replicated", "        - type: last_n", "          count: 1"));
    }

    private PushJob job(int channels, int attempts, String sendYaml, String snapshottingYaml, String keepSender)
            throws Exception {
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
                        "      channels: " + channels,
                        "    filesystems: {\"src<\": true}",
                        sendYaml,
                        "    snapshotting:",
                        "      type: periodic",
                        "      prefix: zrepl_",
                        "      interval: 10m",
                        snapshottingYaml,
                        "    replication:",
                        "      attempts: " + attempts,
                        "      timeout: " + replicationTimeout,
                        "      retry_backoff: 2s",
                        "    pruning:",
                        "      keep_sender:",
                        keepSender,
                        "      keep_receiver:",
                        "        - type: last_n",
                        "          count: 1",
                        ""));
        return new ConfigLoader().load(file).pushJobs().get(0);
    }

    private PushPass.Result run(PushJob job, Box.Opener opener) throws Exception {
        return new PassDriver(job, zfs, opener, NOON, waits::add).run(false, PushPass.Connect.ALWAYS);
    }

    private FilesystemResult result(PushPass.Result r, String fs) {
        return r.filesystems().stream()
                .filter(f -> f.filesystem().value().equals(fs))
                .findFirst()
                .orElseThrow();
    }

    /** The guids of a filesystem's snapshots on the sender, oldest first. */
    private List<Long> guids(String fs) throws Exception {
        return zfs.listVersions(DatasetName.of(fs)).get(DatasetName.of(fs)).stream()
                .map(ZfsVersion::guid)
                .toList();
    }

    /**
     * zfs snapshots one pool per call: with the second pool full, the first has the new snapshot. It waited for the
     * next pass, unreplicated, and the status timed its last snapshot by the one before; it is replicated now, and
     * only the full pool's filesystem is left without it.
     */
    @Test
    void aSnapshotThatFailedInOnePoolIsReplicatedFromTheOthers() throws Exception {
        zfs.filesystem("src/a", "zrepl_1");
        zfs.filesystem("zz/b", "zrepl_1");
        zfs.failNextSnapshotIn("zz", "cannot create snapshot 'zz/b@x': out of space");
        PushPass.Result r = run(jobWithFilter("{\"src<\": true, \"zz<\": true}"), box.opener());

        assertTrue(r.failed(), r::toString);
        String snapshot = r.snapshotTaken().orElseThrow();
        assertEquals(List.of("zz/b"), r.notSnapshotted());
        assertEquals(List.of(snapshot), box.snapshots("src/a"), r::toString);
        assertEquals(List.of("zrepl_1"), box.snapshots("zz/b"), r::toString);
        assertEquals(1, r.stageFailures().size(), r::toString);
        assertTrue(r.stageFailures().get(0).contains("out of space"), r::toString);
    }

    /** timestamp_location: the name shows the zone's time and offset; the snapshot is replicated as any other. */
    @Test
    void theSnapshotIsNamedInTheConfiguredZone() throws Exception {
        zfs.filesystem("src/a", "zrepl_1");
        PushPass.Result r = run(
                job(1, 1, "", "      timestamp_format: iso-8601\n      timestamp_location: Asia/Tokyo"), box.opener());
        assertFalse(r.failed(), r::toString);
        // noon UTC is 21:00 in Tokyo (+09:00, whose '+' becomes '_')
        assertEquals("zrepl_2026-11-30T21:00:00.000_0900", r.snapshotTaken().orElseThrow());
        assertEquals(List.of("zrepl_2026-11-30T21:00:00.000_0900"), box.snapshots("src/a"));
        // For the status file: the next pass's schedule counts from when this round began.
        assertEquals(
                Optional.of(new SnapshotRound("zrepl_2026-11-30T21:00:00.000_0900", NOON.instant())),
                r.snapshotRound());
    }

    @Test
    void aFilesystemTheFilterNamesButTheSenderLacksFailsWhileTheRestIsReplicated() throws Exception {
        zfs.filesystem("src/a", "zrepl_1");
        job(1, 1, "");
        Path file = dir.resolve("zreplj.yml");
        Files.writeString(
                file,
                Files.readString(file)
                        .replace("{\"src<\": true}", "{\"src<\": true, \"ext/vm<\": true, \"src/gone\": true}"));
        PushPass.Result r = run(new ConfigLoader().load(file).pushJobs().get(0), box.opener());

        assertTrue(r.failed(), r::toString);
        assertEquals(FilesystemResult.Outcome.REPLICATED, result(r, "src/a").outcome());
        assertEquals(
                "ext/vm: failed after 0 steps: does not exist on the sender, though the filesystems filter names it (a"
                        + " pool not imported, a dataset renamed or destroyed); import the pool, or take it out of the"
                        + " filter",
                result(r, "ext/vm").summaryLine());
        assertEquals(FilesystemResult.Outcome.FAILED, result(r, "src/gone").outcome());
        assertEquals(3, r.filesystems().size(), r::toString);
        assertEquals(List.of(), r.stageFailures());
    }

    private PushJob jobWithFilter(String filter) throws Exception {
        job(1, 1, "");
        Path file = dir.resolve("zreplj.yml");
        Files.writeString(file, Files.readString(file).replace("{\"src<\": true}", filter));
        return new ConfigLoader().load(file).pushJobs().get(0);
    }

    private PushPass.Result runRecorded(PushJob job, String... recorded) {
        try {
            return new PassDriver(
                            job,
                            zfs,
                            box.opener(),
                            NOON,
                            waits::add,
                            Progress.quiet(),
                            new JobHistory(
                                    Arrays.stream(recorded).map(DatasetName::of).collect(Collectors.toSet()),
                                    Optional.empty()))
                    .run(false, PushPass.Connect.ALWAYS);
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        }
    }

    /**
     * With "<": true the roots are the pools zfs lists: a pool not imported was simply not there, and its
     * filesystems, backed up by earlier passes, dropped out of the pass, the status and the metrics while the
     * pass said ok. One destroyed in a pool that was listed does drop out.
     */
    @Test
    void aCatchAllFilterFailsForTheRecordedFilesystemsOfAPoolNotImported() throws Exception {
        zfs.filesystem("src/a", "zrepl_1");
        PushPass.Result r = runRecorded(jobWithFilter("{\"<\": true}"), "src/a", "src/old", "ext/vm", "ext/vm/disk");

        assertTrue(r.failed(), r::toString);
        assertEquals(FilesystemResult.Outcome.REPLICATED, result(r, "src/a").outcome());
        assertEquals(
                "ext/vm/disk: failed after 0 steps: was backed up by earlier passes and the filter still selects"
                        + " it, but the sender has neither it nor a dataset above it (pool 'ext' not imported, a"
                        + " dataset renamed or destroyed); import the pool, or take it out of the filter",
                result(r, "ext/vm/disk").summaryLine());
        assertEquals(FilesystemResult.Outcome.FAILED, result(r, "ext/vm").outcome());
        assertEquals(
                List.of("ext/vm", "ext/vm/disk", "src/a"),
                r.filesystems().stream()
                        .map(f -> f.filesystem().value())
                        .sorted()
                        .toList(),
                "src/old was destroyed in a pool the pass listed: it drops out");
    }

    @Test
    void aPoolTheFilterNoLongerSelectsIsNotLookedFor() throws Exception {
        zfs.filesystem("src/a", "zrepl_1");
        PushPass.Result r = runRecorded(jobWithFilter("{\"<\": true, \"ext<\": false}"), "src/a", "ext/vm");

        assertFalse(r.failed(), r::toString);
        assertEquals(
                List.of("src/a"),
                r.filesystems().stream().map(f -> f.filesystem().value()).toList());
    }

    /** The named root that is missing fails once, with its own words; what earlier passes sent below it, too. */
    @Test
    void belowAMissingNamedRootTheRecordedFilesystemsFailOnceEach() throws Exception {
        zfs.filesystem("src/a", "zrepl_1");
        PushPass.Result r =
                runRecorded(jobWithFilter("{\"src<\": true, \"ext/vm<\": true}"), "src/a", "ext/vm", "ext/vm/disk");

        assertTrue(r.failed(), r::toString);
        assertEquals(
                List.of("ext/vm", "ext/vm/disk", "src/a"),
                r.filesystems().stream()
                        .map(f -> f.filesystem().value())
                        .sorted()
                        .toList());
        assertTrue(result(r, "ext/vm").summaryLine().contains("though the filesystems filter names it"), r::toString);
        assertTrue(result(r, "ext/vm/disk").summaryLine().contains("backed up by earlier passes"), r::toString);
    }

    @Test
    void aSelectedFilesystemWhoseNameZreplJRefusesFailsThePassWhileTheRestIsReplicated() throws Exception {
        zfs.filesystem("src/a", "zrepl_1")
                .filesystem("other/b", "zrepl_1")
                .refusedFilesystem("src/-x", "dataset name component '-x' must not start with '-'")
                .refusedFilesystem("other/-y", "dataset name component '-y' must not start with '-'");
        PushPass.Result r = run(job(1, 1, ""), box.opener());

        assertTrue(r.failed(), r::toString);
        assertEquals(FilesystemResult.Outcome.REPLICATED, result(r, "src/a").outcome());
        // Only what the filter selects: other/-y is outside the job's "src<".
        assertEquals(
                List.of("filesystems: 'src/-x' is selected by the filter but cannot be replicated: dataset name"
                        + " component '-x' must not start with '-'; rename it (zfs rename) or exclude it in the"
                        + " filter"),
                r.stageFailures());
    }

    /**
     * A box that answers RESULT with the requested guid but stores nothing (broken, or hostile): the pass must not
     * say ok, since status and monitoring would then promise a backup that does not exist. The box's listing after
     * the receives (the one pruning uses) must hold the exact guid.
     */
    @Test
    void aReceiveTheBoxAnswersButDoesNotListIsAFailureNotOk() throws Exception {
        zfs.filesystem("src/a", "zrepl_1");
        zfs.filesystem("src/b", "zrepl_1");
        box.failReceives(Fault.FORGETS);
        PushPass.Result r = run(job(1, 1, ""), box.opener());

        assertTrue(r.failed(), r::toString);
        String snapshot = r.snapshotTaken().orElseThrow();
        FilesystemResult a = result(r, "src/a");
        assertEquals(FilesystemResult.Outcome.FAILED, a.outcome(), a::summaryLine);
        assertEquals(
                "the backup box answered that it received @" + snapshot + " but does not list it (guid "
                        + Long.toUnsignedString(
                                guids("src/a").get(guids("src/a").size() - 1))
                        + "): nothing of it counts as backed up; the next pass sends it again",
                a.message());
        assertEquals(FilesystemResult.Outcome.REPLICATED, result(r, "src/b").outcome(), "the other is confirmed");
        assertTrue(zfs.snapshots("src/a").contains(snapshot), "the sender keeps it");
    }

    /**
     * docs/monitoring.md: success means the box confirmed the snapshot twice, by RESULT and by its listing. Where
     * that listing failed, a receive the box only answered for (and, here, never stored) counted as backed up.
     */
    @Test
    void aReceiveNoListingConfirmedIsAFailureNotOk() throws Exception {
        zfs.filesystem("src/a", "zrepl_1");
        box.failReceives(Fault.FORGETS);
        box.failLists(Fault.NONE, Fault.BUSY);
        PushPass.Result r = run(job(1, 1, ""), box.opener());

        assertTrue(r.failed(), r::toString);
        String snapshot = r.snapshotTaken().orElseThrow();
        FilesystemResult a = result(r, "src/a");
        assertEquals(FilesystemResult.Outcome.FAILED, a.outcome(), a::summaryLine);
        assertEquals(
                "the backup box answered that it received @" + snapshot + ", but listing the box to confirm it"
                        + " failed (another receive into LIST is running): it counts as backed up once a listing"
                        + " shows it, which the next pass checks",
                a.message());
        assertEquals(List.of(), box.snapshots("src/a"));
    }

    /** The same where the box was lost for good after the receive: nothing confirmed it either. */
    @Test
    void aReceiveBeforeTheBoxWasLostIsNotConfirmedEither() throws Exception {
        zfs.filesystem("src/a", "zrepl_1").filesystem("src/b", "zrepl_1");
        box.failReceives(Fault.FORGETS, Fault.SESSION_DIES);
        box.failReconnects(5);
        PushPass.Result r = run(job(1, 2, ""), box.opener());

        assertTrue(r.failed(), r::toString);
        FilesystemResult a = result(r, "src/a");
        assertEquals(FilesystemResult.Outcome.FAILED, a.outcome(), a::summaryLine);
        assertTrue(a.message().contains(", but listing the box to confirm it failed ("), a::message);
        assertEquals(List.of(), box.snapshots("src/a"));
    }

    @Test
    void theBoxBusyIsRetriedAfterTheBackoffOverAReconnectedBox() throws Exception {
        zfs.filesystem("src/a", "zrepl_1");
        box.failReceives(Fault.BUSY);
        PushPass.Result r = run(job(1, 3, ""), box.opener());

        assertFalse(r.failed(), r::toString);
        assertEquals(List.of(Duration.ofSeconds(2)), waits);
        assertEquals(1, box.reconnects());
        String snapshot = r.snapshotTaken().orElseThrow();
        FilesystemResult a = result(r, "src/a");
        assertEquals(FilesystemResult.Outcome.REPLICATED, a.outcome(), a::summaryLine);
        // The first replication sends the newest snapshot only (zrepl's initial_replication: most_recent).
        assertEquals(
                List.of("attempt 1 of 3 failed: step full @" + snapshot + ": another receive into src/a@" + snapshot
                        + " is running"),
                a.events());
        // Everything arrived guid for guid, then both sides were pruned to the newest.
        assertEquals(List.of(snapshot), box.snapshots("src/a"));
        assertEquals(guids("src/a"), box.guids("src/a"));
        assertEquals(List.of(snapshot), zfs.snapshots("src/a"));
    }

    /**
     * A box that answers busy to every receive (or retry, the same to the agent), as a hostile or wedged one can: the
     * pass ends after replication.attempts with the backoff between them, the filesystem failed with the box's
     * words, and the sender keeps every snapshot (none is replicated, so no cursor lets one go).
     */
    @Test
    void aBoxBusyForeverEndsThePassAfterItsAttemptsWithTheBoxsWordsAndDestroysNothing() throws Exception {
        zfs.filesystem("src/a", "zrepl_1");
        Fault[] forever = new Fault[100];
        Arrays.fill(forever, Fault.BUSY);
        box.failReceives(forever);
        PushPass.Result r = run(job(1, 3, ""), box.opener());

        assertTrue(r.failed(), r::toString);
        assertEquals(List.of(Duration.ofSeconds(2), Duration.ofSeconds(4)), waits);
        assertEquals(3, box.log().stream().filter(l -> l.startsWith("BUSY ")).count(), box.log()::toString);
        String snapshot = r.snapshotTaken().orElseThrow();
        FilesystemResult a = result(r, "src/a");
        assertEquals(Failure.BUSY, a.failure());
        assertEquals(
                "step full @" + snapshot + ": another receive into src/a@" + snapshot + " is running", a.message());
        assertEquals(List.of(), box.snapshots("src/a"));
        assertEquals(List.of("zrepl_1", snapshot), zfs.snapshots("src/a"));
    }

    /** A box that closes every channel as soon as it is asked anything: the same bound, no loop. */
    @Test
    void aBoxClosingEveryChannelAtOnceEndsThePassAfterItsAttempts() throws Exception {
        zfs.filesystem("src/a", "zrepl_1");
        Fault[] forever = new Fault[100];
        Arrays.fill(forever, Fault.CHANNEL_LOST);
        box.failLists(forever);
        PushPass.Result r = run(job(1, 3, ""), box.opener());

        assertTrue(r.failed(), r::toString);
        assertEquals(List.of(Duration.ofSeconds(2), Duration.ofSeconds(4)), waits);
        assertEquals(2, box.reconnects());
        FilesystemResult a = result(r, "src/a");
        assertEquals(Failure.CONNECTION_LOST, a.failure());
        assertEquals(List.of(), box.snapshots("src/a"));
        assertEquals(2, zfs.snapshots("src/a").size(), "the sender keeps both");
    }

    /**
     * A hostile box's listing: the local snapshots' names under other guids, a name the sender never had, and a
     * filesystem the job does not select. Snapshots are matched by guid, never by name, and the box learns a guid only
     * from a stream it was sent: so nothing counts as replicated, no cursor is set, the sender destroys nothing, and
     * no name or filesystem the box chose reaches a local zfs command.
     */
    @Test
    void aForgedListingNeitherSetsTheCursorNorDestroysOnTheSenderNorReachesALocalZfsCommand() throws Exception {
        zfs.filesystem("src/a", "zrepl_1", "zrepl_2", "zrepl_3");
        box.holds("src/a", List.of("zrepl_1", "zrepl_2", "zrepl_3", "forged_x"), List.of(991L, 992L, 993L, 994L));
        box.holds("other/secret", List.of("zrepl_1"), List.of(guids("src/a").get(0)));
        zfs.clearCalls();
        PushPass.Result r = run(job(1, 1, ""), box.opener());

        String snapshot = r.snapshotTaken().orElseThrow();
        assertEquals(FilesystemResult.Outcome.CONFLICT, result(r, "src/a").outcome());
        assertEquals(List.of("zrepl_1", "zrepl_2", "zrepl_3", snapshot), zfs.snapshots("src/a"));
        assertEquals(
                List.of(
                        "listVersions src with zreplj:cursor:laptop",
                        "snapshot " + snapshot,
                        "listVersions src with zreplj:cursor:laptop"),
                zfs.calls(),
                "no destroy, hold, release, bookmark or cursor property; nothing of the box's names");
        assertEquals(List.of("session 1", "list #1"), box.log(), "nothing sent, nothing destroyed on the box either");
    }

    @Test
    void aDeadSessionIsReplacedByANewOneOnTheNextAttempt() throws Exception {
        zfs.filesystem("src/a", "zrepl_1").filesystem("src/b", "zrepl_1");
        box.failReceives(Fault.SESSION_DIES);
        PushPass.Result r = run(job(1, 3, ""), box.opener());

        assertFalse(r.failed(), r::toString);
        assertEquals(2, box.sessions(), box.log()::toString);
        assertEquals(List.of(Duration.ofSeconds(2)), waits);
        String snapshot = r.snapshotTaken().orElseThrow();
        assertEquals(
                List.of("attempt 1 of 3 failed: connection to the backup box lost during step full @" + snapshot
                        + ": the SSH session is closed"),
                result(r, "src/a").events());
        assertEquals(
                List.of("attempt 1 of 3 failed: not attempted: every channel to the backup box failed"),
                result(r, "src/b").events());
        for (String fs : List.of("src/a", "src/b")) {
            assertEquals(FilesystemResult.Outcome.REPLICATED, result(r, fs).outcome());
            assertEquals(guids(fs), box.guids(fs));
        }
    }

    /** The steps an attempt got onto the box before its session died count in the pass's result (and metrics). */
    @Test
    void stepsOfAnEarlierAttemptCountInThePasssResult() throws Exception {
        zfs.filesystem("src/a", "zrepl_1", "zrepl_2", "zrepl_3");
        box.holds("src/a", List.of("zrepl_1"), List.of(guids("src/a").get(0)));
        box.failReceives(Fault.NONE, Fault.NONE, Fault.SESSION_DIES);
        PushPass.Result r = run(job(1, 3, ""), box.opener());

        FilesystemResult a = result(r, "src/a");
        assertEquals(FilesystemResult.Outcome.REPLICATED, a.outcome(), a::summaryLine);
        assertEquals(3, a.stepsDone(), a::summaryLine);
        assertTrue(a.summaryLine().startsWith("src/a: replicated 3 steps, "), a::summaryLine);
        assertEquals(guids("src/a"), box.guids("src/a"));
    }

    /** After a move to a new box or a lost cursor the admin asks whether everything went again: the line says. */
    @Test
    void theSummarySaysWhetherAFilesystemWentInFullOrIncrementallyAndUpToWhat() throws Exception {
        zfs.createdBy(NOON);
        zfs.filesystem("src/a", "zrepl_1");
        PushJob job = job(1, 1, "");
        PushPass.Result first = run(job, box.opener());
        assertLine("src/a: replicated 1 step, BYTES, full send of @zrepl_1", result(first, "src/a"));

        // Not the job's prefix, so that the pass takes none of its own (the test's clock stands still).
        zfs.snapshot(List.of(DatasetName.of("src/a")), "manual_8");
        zfs.snapshot(List.of(DatasetName.of("src/a")), "manual_9");
        PushPass.Result next = run(job, box.opener());
        assertLine("src/a: replicated 2 steps, BYTES, incremental from @zrepl_1 to @manual_9", result(next, "src/a"));
    }

    /** {@code expected} with the bytes sent (and their estimate) in place of BYTES. */
    private static void assertLine(String expected, FilesystemResult result) {
        String line = result.summaryLine();
        String bytes = line.substring(line.indexOf(", ") + 2, line.indexOf(", ", line.indexOf(", ") + 2));
        assertTrue(bytes.matches("[0-9.]+ [KMG]?i?B( of [0-9.]+ [KMG]?i?B estimated)?"), line);
        assertEquals(expected, line.replace(bytes, "BYTES"));
    }

    @Test
    void whenEveryChannelIsLostTheRestIsReportedAndRetried() throws Exception {
        zfs.filesystem("src/a", "zrepl_1").filesystem("src/b", "zrepl_1").filesystem("src/c", "zrepl_1");
        box.failReceives(Fault.CHANNEL_LOST, Fault.CHANNEL_LOST);
        PushPass.Result r = run(job(2, 2, ""), box.opener());

        assertFalse(r.failed(), r::toString);
        assertEquals(1, box.reconnects());
        List<String> firstAttempts =
                r.filesystems().stream().map(f -> f.events().get(0)).sorted().toList();
        assertEquals(3, firstAttempts.size());
        assertEquals(
                "attempt 1 of 2 failed: not attempted: every channel to the backup box failed",
                firstAttempts.get(2),
                firstAttempts::toString);
        assertTrue(
                firstAttempts.get(0).startsWith("attempt 1 of 2 failed: connection to the backup box lost"),
                firstAttempts::toString);
        for (String fs : List.of("src/a", "src/b", "src/c")) {
            assertEquals(guids(fs), box.guids(fs), fs);
        }
    }

    @Test
    void aStepWhoseFailureEndedItsChannelLeavesTheRestToANewChannelInTheSameAttempt() throws Exception {
        zfs.filesystem("src/a", "zrepl_1").filesystem("src/b", "zrepl_1").filesystem("src/c", "zrepl_1");
        box.failReceives(Fault.REFUSED_ENDS_CHANNEL);
        PushPass.Result r = run(job(1, 3, ""), box.opener());

        assertTrue(r.failed(), r::toString);
        FilesystemResult a = result(r, "src/a");
        assertEquals(FilesystemResult.Outcome.FAILED, a.outcome(), a::summaryLine);
        assertTrue(a.message().endsWith("the stream names another snapshot"), a::summaryLine);
        // Not retried (a refusal), and the others went on over channel 2 at once: no reconnect, no backoff.
        assertEquals(0, box.reconnects(), box.log()::toString);
        assertEquals(List.of(), waits);
        for (String fs : List.of("src/b", "src/c")) {
            assertEquals(FilesystemResult.Outcome.REPLICATED, result(r, fs).outcome(), fs);
            assertEquals(List.of(), result(r, fs).events(), fs);
            assertEquals(guids(fs), box.guids(fs), fs);
            assertTrue(box.log().stream().anyMatch(l -> l.startsWith("recv #2 " + fs + "@")), box.log()::toString);
        }
    }

    /** A stream zfs send writes into the channel itself (RECV_RAW), and zfs send fails: zfs's own words, no retry. */
    @Test
    void aSendIntoTheChannelThatFailsWhileTheChannelStandsIsZfssFailureAndTheRestGoesOn() throws Exception {
        zfs.filesystem("src/a", "zrepl_1").filesystem("src/b", "zrepl_1");
        box.rawStreams().failReceives(Fault.SEND_FAILS);
        PushPass.Result r = run(job(1, 3, ""), box.opener());

        assertTrue(r.failed(), r::toString);
        FilesystemResult a = result(r, "src/a");
        assertEquals(FilesystemResult.Outcome.FAILED, a.outcome(), a::summaryLine);
        assertEquals(Failure.ZFS, a.failure(), a::summaryLine);
        assertTrue(a.message().endsWith(": I/O error"), a::summaryLine);
        assertEquals(List.of(), waits);
        FilesystemResult b = result(r, "src/b");
        assertEquals(FilesystemResult.Outcome.REPLICATED, b.outcome(), b::summaryLine);
        assertEquals(guids("src/b"), box.guids("src/b"));
        assertTrue(box.log().stream().anyMatch(l -> l.startsWith("recv #2 src/b@")), box.log()::toString);
    }

    /**
     * The link dies under a stream zfs send writes into the channel: the send ends on EPIPE before the channel shows
     * its end, and still it is a lost connection, retried in the pass, not zfs's failure.
     */
    @Test
    void aLinkLostUnderASendIntoTheChannelIsALostConnectionThatIsRetried() throws Exception {
        zfs.filesystem("src/a", "zrepl_1");
        box.rawStreams().failReceives(Fault.LINK_LOST_UNDER_SEND);
        PushPass.Result r = run(job(1, 2, ""), box.opener());

        assertFalse(r.failed(), r::toString);
        FilesystemResult a = result(r, "src/a");
        assertEquals(FilesystemResult.Outcome.REPLICATED, a.outcome(), a::summaryLine);
        assertEquals(1, a.events().size(), a.events()::toString);
        assertTrue(
                a.events().get(0).startsWith("attempt 1 of 2 failed: connection to the backup box lost"),
                a.events()::toString);
        assertEquals(guids("src/a"), box.guids("src/a"));
    }

    /**
     * docs/config.md, replication.timeout: a step whose stream ended and that gets no reply for this long is cut.
     * The box's PROGRESS counts are its word: after zfs send ended, a box that keeps reporting more bytes and never
     * answers must not hold the pass (and the job's lock) forever.
     */
    @Test
    void aBoxThatCountsProgressAfterTheStreamEndedButNeverAnswersIsCut() throws Exception {
        replicationTimeout = "1s";
        zfs.filesystem("src/a", "zrepl_1");
        box.rawStreams().failReceives(Fault.PROGRESS_FOREVER);
        long t0 = System.nanoTime();
        PushPass.Result r = run(job(1, 1, ""), box.opener());

        assertTrue(System.nanoTime() - t0 < 15_000_000_000L, "cut by the watchdog, not by the fake's deadline");
        FilesystemResult a = result(r, "src/a");
        assertEquals(FilesystemResult.Outcome.FAILED, a.outcome(), a::summaryLine);
        assertTrue(a.message().contains("stalled: no progress"), a::summaryLine);
    }

    @Test
    void aStalledStepIsReportedAndPruningUsesAFreshChannel() throws Exception {
        zfs.filesystem("src/a", "zrepl_1", "zrepl_2").filesystem("src/b", "zrepl_1", "zrepl_2");
        box.holds("src/a", List.of("zrepl_1", "zrepl_2"), guids("src/a"));
        // src/a's incremental step goes through; src/b's full step stalls and the watchdog cuts channel 1.
        box.failReceives(Fault.NONE, Fault.STALL);
        PushPass.Result r = run(job(1, 1, ""), box.opener());

        assertTrue(r.failed());
        FilesystemResult b = result(r, "src/b");
        assertEquals(FilesystemResult.Outcome.FAILED, b.outcome());
        String snapshot = r.snapshotTaken().orElseThrow();
        assertTrue(b.message().startsWith("step full @" + snapshot + ": stalled: no progress"), b::summaryLine);
        // Pruned over channel 2, opened after the stall: the box keeps src/a's newest only.
        assertTrue(box.log().contains("destroy #2 src/a@zrepl_1,zrepl_2"), box.log()::toString);
        assertFalse(box.log().stream().anyMatch(l -> l.startsWith("destroy #1")), box.log()::toString);
        assertEquals(List.of(snapshot), box.snapshots("src/a"));
        assertEquals(List.of(snapshot), zfs.snapshots("src/a"));
        assertEquals(List.of("zrepl_1", "zrepl_2", snapshot), zfs.snapshots("src/b"), "src/b was not replicated: kept");
        assertNull(
                r.prune().receiverSkipped(), () -> String.join("\n", r.prune().lines()));
    }

    /** A box with snapshot-series gets the new snapshots of a filesystem in one -I stream; one without, one each. */
    @Test
    void consecutiveSnapshotsGoAsOneSeriesWhereTheBoxAnnouncesIt() throws Exception {
        zfs.filesystem("src/a", "zrepl_1", "zrepl_2", "zrepl_3").filesystem("src/b", "zrepl_1", "zrepl_2", "zrepl_3");
        box.holds("src/a", List.of("zrepl_1"), guids("src/a").subList(0, 1));
        box.holds("src/b", List.of("zrepl_1"), guids("src/b").subList(0, 1));
        box.announce(Wire.SNAPSHOT_SERIES);
        PushPass.Result r = run(job(1, 1, ""), box.opener());

        assertFalse(r.failed(), r::toString);
        String taken = r.snapshotTaken().orElseThrow();
        assertTrue(box.log().contains("recv -I #1 src/a@zrepl_2,zrepl_3," + taken), box.log()::toString);
        assertTrue(box.log().contains("recv -I #1 src/b@zrepl_2,zrepl_3," + taken), box.log()::toString);
        assertEquals(3, result(r, "src/a").stepsDone(), "the summary counts snapshots");
        // The job's pruning kept the newest only, on both sides: the one the stream ended with.
        assertEquals(List.of(taken), zfs.snapshots("src/a"));
        assertEquals(guids("src/a"), box.guids("src/a"), "the box has the sender's newest, guid for guid");
        assertEquals(guids("src/a").get(0), cursorGuid("src/a"), "the cursor is at the newest snapshot sent");
    }

    @Test
    void withoutSnapshotSeriesEverySnapshotIsItsOwnStream() throws Exception {
        zfs.filesystem("src/c", "zrepl_1", "zrepl_2", "zrepl_3");
        box.holds("src/c", List.of("zrepl_1"), guids("src/c").subList(0, 1));
        PushPass.Result r = run(job(1, 1, ""), box.opener());
        assertFalse(r.failed(), r::toString);
        String taken = r.snapshotTaken().orElseThrow();
        assertEquals(
                List.of("recv #1 src/c@zrepl_2", "recv #1 src/c@zrepl_3", "recv #1 src/c@" + taken),
                box.log().stream().filter(l -> l.startsWith("recv")).toList());
    }

    private long cursorGuid(String fs) throws Exception {
        return HexFormat.of()
                .fromHexDigitsToLong(zfs.localProperty(DatasetName.of(fs), CursorProperty.of("laptop"))
                        .get(DatasetName.of(fs)));
    }

    @Test
    void anUnreachableBoxStillPrunesTheSenderUnderItsCursor() throws Exception {
        zfs.filesystem("src/a", "zrepl_1", "zrepl_2", "zrepl_3");
        ZfsVersion cursor = zfs.listVersions(DatasetName.of("src"))
                .get(DatasetName.of("src/a"))
                .get(1);
        zfs.setProperty(
                cursor.filesystem(), CursorProperty.of("laptop"), HexFormat.of().toHexDigits(cursor.guid()));
        zfs.hold(ReplicationCursor.holdTag("laptop"), cursor);

        PushPass.Result r =
                run(job(1, 3, ""), FakeBox.unreachable("connect to box.example.org port 22: no route to host"));

        assertTrue(r.failed());
        String connect =
                "connect: no session with the backup box: connect to box.example.org port 22: no route to host";
        assertEquals(connect, r.error());
        // One stage failed: the receiver left unpruned is its consequence, not a second failure to report.
        assertEquals(List.of(connect), r.stageFailures());
        assertEquals(List.of("src/a"), r.selected(), "what the status keeps for a pass that failed as a whole");
        String snapshot = r.snapshotTaken().orElseThrow();
        // zrepl_1 is older than the cursor: gone. The cursor and what the box has not got stay.
        assertEquals(List.of("zrepl_2", "zrepl_3", snapshot), zfs.snapshots("src/a"));
        assertEquals(
                "no session with the backup box (see the connect failure)",
                r.prune().receiverSkipped());
        assertTrue(r.prune().failed(), "the prune itself stays incomplete");
        assertEquals(List.of(), waits, "an unreachable box is not retried within the pass");
    }

    /**
     * One held snapshot (a renamed job's hold, an admin's) made zfs refuse the whole destroy list, so every other
     * snapshot the rules let go stayed too, pass after pass: the others go now, and the prune fails naming it.
     */
    @Test
    void aHeldSnapshotDoesNotKeepTheOthersTheRulesLetGo() throws Exception {
        zfs.filesystem("src/a", "zrepl_1", "zrepl_2", "zrepl_3", "zrepl_4");
        List<ZfsVersion> versions = zfs.listVersions(DatasetName.of("src")).get(DatasetName.of("src/a"));
        ZfsVersion cursor = versions.get(3);
        zfs.setProperty(
                cursor.filesystem(), CursorProperty.of("laptop"), HexFormat.of().toHexDigits(cursor.guid()));
        zfs.hold(ReplicationCursor.holdTag("laptop"), cursor);
        zfs.hold("admin", versions.get(1));

        PushPass.Result r =
                run(job(1, 3, ""), FakeBox.unreachable("connect to box.example.org port 22: no route to host"));

        String snapshot = r.snapshotTaken().orElseThrow();
        assertEquals(List.of("zrepl_2", "zrepl_4", snapshot), zfs.snapshots("src/a"));
        FilesystemPruneResult sender = r.prune().filesystems().stream()
                .filter(f -> f.plan().side() == Side.SENDER)
                .findFirst()
                .orElseThrow();
        assertEquals(List.of("zrepl_1", "zrepl_3"), sender.destroyed());
        assertEquals("@zrepl_2: 'zfs destroy src/a@zrepl_2' failed (exit 1): dataset is busy", sender.error());
        assertTrue(r.prune().failed(), "the prune is incomplete while zrepl_2 stays");
    }

    /**
     * The box's zfs refusing a destroy (an admin's hold there) is not the box's policy at work: the pass fails
     * its prune, as the same failure on the sender does, rather than say ok while snapshots pile up there.
     */
    @Test
    void aSnapshotTheBoxsZfsWillNotDestroyFailsThePrune() throws Exception {
        zfs.filesystem("src/a", "zrepl_1", "zrepl_2", "zrepl_3");
        box.holds("src/a", List.of("zrepl_1"), guids("src/a").subList(0, 1));
        box.announce(Wire.SNAPSHOT_SERIES);
        box.undestroyable("zrepl_2");
        PushPass.Result r = run(job(1, 1, ""), box.opener());

        String taken = r.snapshotTaken().orElseThrow();
        assertEquals(List.of("zrepl_2", taken), box.snapshots("src/a"));
        FilesystemPruneResult receiver = receiverPrune(r);
        assertEquals(List.of("zrepl_1", "zrepl_3"), receiver.destroyed());
        assertEquals(
                "the backup box's zfs did not destroy @zrepl_2 ('zfs destroy src/a@zrepl_2' failed (exit 1): dataset"
                        + " is busy)",
                receiver.error());
        assertTrue(r.prune().failed());
        assertTrue(r.failed(), r::toString);
    }

    /**
     * The box's zfs recv out of space (the jail's quota, or the box's pool, full): one line that names the box's
     * space and says what to do, no retry within the pass (it cannot pass by itself before the pruning that
     * comes after replication), and the box is still pruned, which is what frees the jail by itself.
     */
    @Test
    void theBoxOutOfSpaceSaysWhatToDoIsNotRetriedAndTheBoxIsStillPruned() throws Exception {
        zfs.filesystem("src/a", "zrepl_1", "zrepl_2", "zrepl_3");
        box.holds("src/a", List.of("zrepl_1", "zrepl_2"), guids("src/a").subList(0, 2));
        box.failReceives(Fault.NO_SPACE);
        PushPass.Result r = run(job(1, 3, ""), box.opener());

        assertTrue(r.failed(), r::toString);
        String taken = r.snapshotTaken().orElseThrow();
        FilesystemResult a = result(r, "src/a");
        assertEquals(FilesystemResult.Outcome.FAILED, a.outcome(), a::summaryLine);
        assertEquals(Failure.NO_SPACE, a.failure(), a::summaryLine);
        assertEquals(
                "step @zrepl_2 -> @zrepl_3: the backup box has no space for it: '/usr/sbin/zfs recv"
                        + " box/laptop/src/a' failed (exit 1): cannot receive incremental stream: out of space; "
                        + Failure.NO_SPACE_ADVICE,
                a.message());
        assertEquals(List.of(), waits, "no retry: nothing frees the box's space before this pass prunes it");
        assertEquals(0, box.reconnects());
        assertEquals(List.of(), a.events());
        // keep_receiver (last_n 1) still ran: the box keeps its newest, and the jail has room again.
        assertEquals(List.of("zrepl_1"), receiverPrune(r).destroyed());
        assertEquals(List.of("zrepl_2"), box.snapshots("src/a"));
        // Nothing the box has not got is destroyed on the sender.
        assertTrue(zfs.snapshots("src/a").containsAll(List.of("zrepl_2", "zrepl_3", taken)), zfs::toString);
    }

    /**
     * zrepl's ReplicationFailingInitialParentProhibitsChildReplication: a child whose parent failed its first (full)
     * replication is not sent after it, or the box would make a placeholder where the parent belongs, which the
     * parent's full stream must then replace (OpenZFS refuses that for an encrypted raw stream over an unencrypted
     * placeholder). It fails as the parent did, so it is retried when the parent is. A child already on the box
     * (its parent's path is there) and a filesystem beside the parent still go.
     */
    @Test
    void aChildIsNotSentAfterItsParentFailedItsFirstReplication() throws Exception {
        zfs.filesystem("src/a", "zrepl_1");
        zfs.filesystem("src/a/new", "zrepl_1");
        zfs.filesystem("src/a/new/deeper", "zrepl_1");
        zfs.filesystem("src/a/old", "zrepl_1");
        zfs.filesystem("src/aa", "zrepl_1");
        box.holds("src/a/old", List.of("zrepl_1"), guids("src/a/old"));
        box.failReceives(Fault.NO_SPACE);
        PushPass.Result r = run(job(1, 3, ""), box.opener());

        assertTrue(r.failed(), r::toString);
        String taken = r.snapshotTaken().orElseThrow();
        FilesystemResult a = result(r, "src/a");
        assertEquals(Failure.NO_SPACE, a.failure(), a::summaryLine);
        for (String child : List.of("src/a/new", "src/a/new/deeper")) {
            FilesystemResult c = result(r, child);
            assertEquals(FilesystemResult.Outcome.FAILED, c.outcome(), c::summaryLine);
            assertEquals(Failure.NO_SPACE, c.failure(), c::summaryLine);
            assertEquals(
                    "not sent: its parent src/a failed its first replication, and the box would put a placeholder in"
                            + " its place; it follows once src/a is on the box",
                    c.message());
            assertEquals(List.of(), box.snapshots(child), child);
        }
        assertEquals(List.of(taken), box.snapshots("src/aa"));
        assertEquals(List.of(taken), box.snapshots("src/a/old"), "receiver pruning keeps the newest");
        assertEquals(List.of(), box.snapshots("src/a"));
    }

    /**
     * A box that holds years of snapshots (a migration from zrepl): each DESTROY request is bounded by the
     * watchdog, so thousands go in requests of {@link PruneRun}'s batch size, and a request cut later (stalled,
     * the link lost) still reports exactly the snapshots the earlier ones destroyed.
     */
    @Test
    void thousandsToPruneOnTheBoxGoInBoundedRequestsAndACutOneKeepsWhatWentBefore() throws Exception {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < 1200; i++) {
            names.add(String.format("zrepl_%05d", i));
        }
        zfs.filesystem("src/a", names.get(1199));
        List<Long> boxGuids = new ArrayList<>();
        for (int i = 0; i < 1199; i++) {
            boxGuids.add(1_000_000L + i);
        }
        boxGuids.add(guids("src/a").get(0));
        box.holds("src/a", names, boxGuids);
        box.announce(Wire.SNAPSHOT_SERIES);
        box.failDestroys(Fault.NONE, Fault.CHANNEL_LOST);
        PushPass.Result r = run(job(1, 1, ""), box.opener());

        List<String> destroys =
                box.log().stream().filter(l -> l.startsWith("destroy #")).toList();
        assertEquals(1, destroys.size(), () -> String.join("\n", box.log()));
        assertEquals(500, destroys.get(0).split(",").length, "snapshots in the first DESTROY");
        FilesystemPruneResult receiver = receiverPrune(r);
        assertEquals(names.subList(0, 500), receiver.destroyed());
        assertEquals("channel 1 closed by the box (after 500 of 1200 snapshots were destroyed)", receiver.error());
        assertEquals(names.subList(500, 1200).size() + 1, box.snapshots("src/a").size(), "the rest, and the new one");
        assertTrue(r.prune().failed());
    }

    /** The pass's one pruning of the box's side (these tests replicate one filesystem). */
    private static FilesystemPruneResult receiverPrune(PushPass.Result r) {
        return r.prune().filesystems().stream()
                .filter(f -> f.plan().side() == Side.RECEIVER)
                .findFirst()
                .orElseThrow();
    }

    /**
     * The box's keep_floor keeping what keep_receiver would drop is the box admin's policy at work, on every pass:
     * reported (info), neither a failure nor a warning, which under cron mailed its owner after every pass.
     */
    @Test
    void aSnapshotTheBoxsKeepFloorKeepsIsNoWarningAndNoFailure() throws Exception {
        zfs.filesystem("src/a", "zrepl_1", "zrepl_2", "zrepl_3");
        box.holds("src/a", List.of("zrepl_1"), guids("src/a").subList(0, 1));
        box.announce(Wire.SNAPSHOT_SERIES);
        box.floorKeeps("zrepl_2");
        List<PushPass.Result> pass = new ArrayList<>();
        List<String> logged = LogCapture.logged(PruneRun.class, () -> pass.add(run(job(1, 1, ""), box.opener())));
        PushPass.Result r = pass.get(0);

        String taken = r.snapshotTaken().orElseThrow();
        assertEquals(List.of("zrepl_2", taken), box.snapshots("src/a"));
        FilesystemPruneResult receiver = receiverPrune(r);
        assertEquals(List.of("zrepl_1", "zrepl_3"), receiver.destroyed());
        assertEquals(1, receiver.refused().size(), receiver::toString);
        assertFalse(r.failed(), r::toString);
        assertEquals(
                List.of("INFO src/a: the backup box keeps @zrepl_2: kept by the box's keep_floor"),
                logged.stream().filter(l -> l.contains("zrepl_2")).toList());
    }

    @Test
    void aZfsErrorWhileListingTheSenderFailsThePassWithZfsMessage() throws Exception {
        zfs.filesystem("src/a", "zrepl_1");
        zfs.fail("listVersions", "cannot open 'src': pool I/O is currently suspended");
        PushPass.Result r = run(job(1, 3, ""), box.opener());

        assertTrue(r.failed());
        assertEquals(
                "listing the sender failed: 'zfs list -r src' failed (exit 1): cannot open 'src': pool I/O is"
                        + " currently suspended",
                r.error());
        assertEquals(List.of(r.error()), r.stageFailures());
        assertEquals(List.of(), box.log(), "nothing was sent to a box with a sender that cannot be listed");
    }

    @Test
    void aBoxLostForTheLastAttemptIsOneReplicateFailureAndTheSkippedPrunePointsToIt() throws Exception {
        zfs.filesystem("src/a", "zrepl_1");
        box.failLists(Fault.SESSION_DIES);
        PushPass.Result r = run(job(1, 1, ""), box.opener());

        assertTrue(r.failed());
        assertEquals(1, r.stageFailures().size(), r.stageFailures()::toString);
        assertTrue(
                r.stageFailures().get(0).startsWith("replicate: the backup box became unreachable: "),
                r.stageFailures()::toString);
        assertEquals(
                List.of("prune receiver: skipped: the backup box became unreachable (see the replicate failure)"),
                r.prune().lines(false).stream()
                        .filter(l -> l.startsWith("prune receiver"))
                        .toList());
    }

    /**
     * docs/pruning.md: the sender keeps the newest snapshot the box's copy still has, from the pass's listing of the
     * box, though the cursor is newer (the box lost snapshots the cursor says it got). The pass listed the box before
     * its link dropped: that listing still guards the base, or the next pass finds nothing in common.
     */
    @Test
    void aBoxLostAfterItsListingStillKeepsTheSendersBaseThatListingShowed() throws Exception {
        zfs.filesystem("src/a", "zrepl_1", "zrepl_2", "zrepl_3");
        List<ZfsVersion> versions = zfs.listVersions(DatasetName.of("src")).get(DatasetName.of("src/a"));
        ZfsVersion cursor = versions.get(2);
        zfs.setProperty(
                cursor.filesystem(), CursorProperty.of("laptop"), HexFormat.of().toHexDigits(cursor.guid()));
        zfs.hold(ReplicationCursor.holdTag("laptop"), cursor);
        // The box's copy was rolled back: it lost zrepl_3, which the cursor says it got.
        box.holds(
                "src/a",
                List.of("zrepl_1", "zrepl_2"),
                List.of(versions.get(0).guid(), versions.get(1).guid()));
        box.failReceives(Fault.SESSION_DIES);
        box.failReconnects(5);
        PushPass.Result r = run(job(1, 2, "", "", "        - type: last_n\n          count: 1"), box.opener());

        assertTrue(r.failed(), r::toString);
        assertTrue(
                r.stageFailures().get(0).startsWith("replicate: the backup box became unreachable: "),
                r.stageFailures()::toString);
        String snapshot = r.snapshotTaken().orElseThrow();
        assertEquals(List.of("zrepl_1", "zrepl_2"), box.snapshots("src/a"));
        assertEquals(
                List.of("zrepl_2", "zrepl_3", snapshot),
                zfs.snapshots("src/a"),
                "zrepl_2, the newest snapshot the box has, is the next incremental base");
    }

    /** A box that answers ERROR (busy, or forbidden for a revoked client) is reachable: not "unreachable". */
    @Test
    void aBoxThatRefusesTheListingIsNotCalledUnreachable() throws Exception {
        zfs.filesystem("src/a", "zrepl_1");
        box.failLists(Fault.BUSY);
        PushPass.Result r = run(job(1, 1, ""), box.opener());

        assertTrue(r.failed());
        assertEquals(
                List.of("replicate: the backup box refused the pass's requests: another receive into LIST is running"),
                r.stageFailures());
        assertEquals(
                List.of("prune receiver: skipped: the backup box refused the pass's requests (see the replicate"
                        + " failure)"),
                r.prune().lines(false).stream()
                        .filter(l -> l.startsWith("prune receiver"))
                        .toList());
    }

    /**
     * agent run's idle check connects only when there is something to send: a snapshot of its own, or one
     * newer than the cursor that something else made (snapshotting: manual, a snapshot made by hand).
     */
    @Test
    void anIdleCheckReplicatesASnapshotItDidNotTakeAndOtherwiseStaysOffline() throws Exception {
        zfs.filesystem("src/a");
        zfs.createdBy(NOON);
        PushJob job = job(1, 1, "", "");
        PushPass.Result first =
                new PassDriver(job, zfs, box.opener(), NOON, waits::add).run(false, PushPass.Connect.ALWAYS);
        assertFalse(first.failed(), first::toString);
        int sessions = box.sessions();

        Clock later = Clock.offset(NOON, Duration.ofMinutes(1));
        PushPass.Result idle = new PassDriver(job, zfs, box.opener(), later, waits::add)
                .run(false, PushPass.Connect.WHEN_UNREPLICATED);
        assertEquals(List.of(), idle.filesystems(), "nothing new: no pass");
        assertEquals(sessions, box.sessions(), "and no connection");

        zfs.snapshot(List.of(DatasetName.of("src/a")), "by_hand");
        PushPass.Result handMade = new PassDriver(job, zfs, box.opener(), later, waits::add)
                .run(false, PushPass.Connect.WHEN_UNREPLICATED);
        assertEquals(Optional.empty(), handMade.snapshotTaken());
        assertEquals(
                FilesystemResult.Outcome.REPLICATED, result(handMade, "src/a").outcome(), handMade::toString);
        List<Long> sender = guids("src/a");
        assertEquals(List.of(sender.get(sender.size() - 1)), box.guids("src/a"), "@by_hand on the box (last_n 1)");
    }

    /**
     * Rules that destroy every snapshot once it is replicated leave none with the prefix; the cursor bookmark
     * says when the last was taken, so the next is due an interval later, not at every check.
     */
    @Test
    void withEverySnapshotPrunedAfterReplicationTheCursorBookmarkTimesTheNext() throws Exception {
        FakeZfs openzfs = new FakeZfs(true);
        openzfs.filesystem("src/a");
        PushJob job = job(1, 1, "", "", "        - type: not_replicated\n          keep_snapshot_at_cursor: false");
        openzfs.createdBy(NOON);
        PushPass.Result first =
                new PassDriver(job, openzfs, box.opener(), NOON, waits::add).run(false, PushPass.Connect.ALWAYS);
        assertFalse(first.failed(), first::toString);
        assertEquals(List.of(), openzfs.snapshots("src/a"), "replicated, then pruned by the rules");
        assertEquals(1, openzfs.bookmarks("src/a").size(), openzfs.bookmarks("src/a")::toString);

        Clock later = Clock.offset(NOON, Duration.ofMinutes(1));
        PushPass.Result second =
                new PassDriver(job, openzfs, box.opener(), later, waits::add).run(false, PushPass.Connect.ALWAYS);
        assertFalse(second.failed(), second::toString);
        assertEquals(Optional.empty(), second.snapshotTaken(), "one minute after the last of a 10m interval");

        Clock due = Clock.offset(NOON, Duration.ofMinutes(10));
        openzfs.createdBy(due);
        PushPass.Result third =
                new PassDriver(job, openzfs, box.opener(), due, waits::add).run(false, PushPass.Connect.ALWAYS);
        assertEquals(Optional.of("zrepl_20261130_121000_000"), third.snapshotTaken(), third::toString);
    }

    /**
     * A filesystem whose cursor bookmark name would pass zfs's 255 characters is not sent, in one line that says
     * what to shorten, and is not retried; the others go on. Before, the bookmark's name check ended the worker:
     * the filesystem, received without a cursor, was missing from the pass's report.
     */
    @Test
    void aFilesystemWhoseCursorBookmarkWouldBeTooLongIsNotSentAndSaysWhatToShorten() throws Exception {
        FakeZfs openzfs = new FakeZfs(true);
        // src/aaa...: 215 characters; #zrepl_CURSOR_G_<16 hex>_J_laptop adds 41
        String longName = "src/" + "a".repeat(211);
        openzfs.filesystem(longName);
        openzfs.filesystem("src/b");
        openzfs.createdBy(NOON);
        PushPass.Result r = new PassDriver(job(1, 3, "", ""), openzfs, box.opener(), NOON, waits::add)
                .run(false, PushPass.Connect.ALWAYS);
        assertTrue(r.failed(), r::toString);
        FilesystemResult tooLong = result(r, longName);
        assertEquals(FilesystemResult.Outcome.FAILED, tooLong.outcome(), r::toString);
        assertEquals(
                "not sent: its replication cursor bookmark would be 256 characters, over zfs's 255: shorten the"
                        + " filesystem's name or the job's name (6 characters) by 1, or exclude the filesystem from"
                        + " the job's filter",
                tooLong.message());
        assertEquals(List.of(), box.guids(longName), "nothing of it was sent");
        assertEquals(List.of(), waits, "a name too long is not retried");
        assertEquals(FilesystemResult.Outcome.REPLICATED, result(r, "src/b").outcome(), r::toString);
        assertEquals(1, openzfs.bookmarks("src/b").size());
        assertEquals(1, openzfs.snapshots(longName).size(), "its snapshot stays: it never reached the box");
    }

    @Test
    void aZfsErrorWhilePlanningTheReplicationStillPrunesBothSides() throws Exception {
        zfs.withRawSend().filesystem("src/a", "zrepl_1", "zrepl_2");
        box.holds("src/a", List.of("zrepl_1"), List.of(guids("src/a").get(0)));
        // send.encrypted reads every filesystem's encryption first: a zfs error at planning.
        zfs.fail("getProperties", "cannot open 'src': pool I/O is currently suspended");
        PushPass.Result r = run(job(1, 3, "    send:\n      encrypted: true"), box.opener());

        assertTrue(r.failed());
        assertEquals(
                List.of("replicate: planning the replication failed: 'zfs get' failed (exit 1): cannot open 'src':"
                        + " pool I/O is currently suspended"),
                r.stageFailures());
        assertEquals(List.of(), zfs.sent());
        // Pruning ran anyway: the box keeps its newest, the sender everything the box lacks.
        assertEquals(List.of("zrepl_1"), box.snapshots("src/a"));
        assertTrue(r.prune() != null && !r.prune().failed(), () -> String.valueOf(r.prune()));
    }

    /**
     * docs/config.md: a zfs without native encryption (zfs-fuse) counts every filesystem as unencrypted, so
     * send.raw sends each as it is (what zfs send -w sends for an unencrypted one) and send.encrypted
     * refuses each on its own line; neither is one job-level failure.
     */
    @Test
    void withoutNativeEncryptionSendRawSendsPlainStreams() throws Exception {
        zfs.filesystem("src/a", "zrepl_1").filesystem("src/b", "zrepl_1");
        PushPass.Result r = run(job(1, 1, "    send:\n      raw: true"), box.opener());

        assertFalse(r.failed(), r::toString);
        assertEquals(List.of(), r.stageFailures());
        assertEquals(FilesystemResult.Outcome.REPLICATED, result(r, "src/a").outcome());
        assertEquals(FilesystemResult.Outcome.REPLICATED, result(r, "src/b").outcome());
        assertEquals(guids("src/b"), box.guids("src/b"));
    }

    @Test
    void withoutNativeEncryptionSendEncryptedRefusesEachFilesystem() throws Exception {
        zfs.filesystem("src/a", "zrepl_1").filesystem("src/b", "zrepl_1");
        PushPass.Result r = run(job(1, 1, "    send:\n      encrypted: true"), box.opener());

        assertTrue(r.failed());
        assertEquals(List.of(), r.stageFailures(), "no job-level failure");
        assertEquals(List.of(), zfs.sent());
        for (String fs : List.of("src/a", "src/b")) {
            FilesystemResult f = result(r, fs);
            assertEquals(FilesystemResult.Outcome.FAILED, f.outcome(), f::summaryLine);
            assertTrue(
                    f.message().startsWith("not sent: send.encrypted is true but this filesystem is not encrypted"),
                    f::summaryLine);
        }
    }

    @Test
    void aFailedSnapshotStillReplicatesWhatExistsAndPrunesBothSides() throws Exception {
        zfs.filesystem("src/a", "zrepl_1", "zrepl_2").filesystem("src/b", "zrepl_1");
        zfs.fail("snapshot", "cannot create snapshot 'src/a@zrepl_20261130_120000_000': out of space");
        PushPass.Result r = run(job(1, 3, ""), box.opener());

        assertTrue(r.failed());
        assertEquals(Optional.empty(), r.snapshotTaken());
        assertEquals(1, r.stageFailures().size(), r.stageFailures()::toString);
        String line = r.stageFailures().get(0);
        assertTrue(
                line.startsWith("snapshot: taking @zrepl_")
                        && line.contains(" of 2 filesystems failed: ")
                        && line.endsWith("out of space"),
                line);
        assertNull(r.error());
        // What existed was replicated, and both sides pruned to their newest.
        assertEquals(List.of("src/a@zrepl_2", "src/b@zrepl_1"), zfs.sent());
        assertEquals(List.of("zrepl_2"), box.snapshots("src/a"));
        assertEquals(List.of("zrepl_2"), zfs.snapshots("src/a"));
        assertEquals(List.of("zrepl_1"), box.snapshots("src/b"));
        assertTrue(r.filesystems().stream().noneMatch(FilesystemResult::failed), r.filesystems()::toString);
    }

    /**
     * A failed zfs snapshot dropped the pass's hook reports: a fatal pre_snapshot hook that kept src/b out was
     * neither a warning nor a failure of the pass, and the line counted src/b among the filesystems tried.
     */
    @Test
    void aFailedSnapshotKeepsTheHooksReportsAndCountsOnlyWhatItTried() throws Exception {
        zfs.filesystem("src/a", "zrepl_1").filesystem("src/b", "zrepl_1");
        zfs.fail("snapshot", "cannot create snapshot 'src/a@zrepl_20261130_120000_000': out of space");
        Path hook = dir.resolve("refuse-b");
        Files.writeString(hook, "#!/bin/sh\necho b is busy\nexit 3\n");
        Files.setPosixFilePermissions(hook, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        String hooks = String.join(
                "\n",
                "      hooks:",
                "        - type: command",
                "          path: " + hook,
                "          err_is_fatal: true",
                "          filesystems: {\"src/b\": true}");
        PushPass.Result r = run(job(1, 1, "", hooks), box.opener());

        assertTrue(r.failed());
        assertEquals(2, r.stageFailures().size(), r.stageFailures()::toString);
        assertTrue(r.stageFailures().get(0).startsWith("snapshot: @zrepl_"), r.stageFailures()::toString);
        assertTrue(
                r.stageFailures().get(0).endsWith(" of src/b not taken: a pre_snapshot hook with err_is_fatal failed"),
                r.stageFailures()::toString);
        assertTrue(
                r.stageFailures().get(1).contains(" of 1 filesystem failed: ")
                        && r.stageFailures().get(1).endsWith("out of space"),
                r.stageFailures()::toString);
        assertEquals(1, r.warnings().size(), r.warnings()::toString);
        assertTrue(r.warnings().get(0).contains("b is busy"), r.warnings()::toString);
    }

    @Test
    void anUnexpectedErrorIsAFailedResultWithItsMessageNotAnException() throws Exception {
        zfs.filesystem("src/a", "zrepl_1");
        zfs.breakNext("snapshot", new IllegalStateException("a bug"));
        PushPass.Result r = run(job(1, 3, ""), box.opener());

        assertTrue(r.failed());
        assertEquals("unexpected error: java.lang.IllegalStateException: a bug", r.error());
        assertEquals(List.of(r.error()), r.stageFailures());
    }

    /**
     * An Error in a worker (out of memory) fails its filesystem; its children already on the box are still
     * replicated (one not there yet follows its parent: aChildIsNotSentAfterItsParentFailedItsFirstReplication).
     */
    @Test
    @Timeout(60) // before, the worker waiting for src/a's children hung the pass forever
    void anErrorInAWorkerFailsItsFilesystemAndTheChildrenStillGo() throws Exception {
        zfs.filesystem("src/a");
        zfs.filesystem("src/a/b", "zrepl_1");
        box.holds("src/a/b", List.of("zrepl_1"), guids("src/a/b"));
        zfs.breakNext("send", new OutOfMemoryError("Java heap space"));
        PushPass.Result r = run(job(2, 1, ""), box.opener());

        FilesystemResult a = result(r, "src/a");
        assertEquals(FilesystemResult.Outcome.FAILED, a.outcome());
        assertEquals(
                "src/a: failed after 0 steps: unexpected error: java.lang.OutOfMemoryError: Java heap space",
                a.summaryLine());
        assertEquals(FilesystemResult.Outcome.REPLICATED, result(r, "src/a/b").outcome(), r::toString);
        assertTrue(r.failed());
    }

    @Test
    void aCursorThatCannotMoveDoesNotStopTheNextSteps() throws Exception {
        zfs.filesystem("src/a", "zrepl_1", "zrepl_2", "zrepl_3");
        box.holds("src/a", List.of("zrepl_1"), List.of(guids("src/a").get(0)));
        zfs.fail("setProperty", "cannot set property for 'src/a': out of space");
        PushPass.Result r = run(job(1, 3, ""), box.opener());

        // The first move failed, the steps went on, and the last move left the cursor at the newest.
        FilesystemResult a = result(r, "src/a");
        assertEquals(FilesystemResult.Outcome.REPLICATED, a.outcome(), a::summaryLine);
        assertEquals(3, a.stepsDone());
        String snapshot = r.snapshotTaken().orElseThrow();
        assertEquals(List.of(snapshot), box.snapshots("src/a"));
        assertEquals(List.of(snapshot), zfs.snapshots("src/a"), "pruned under a cursor at the newest");
        assertFalse(r.failed(), r::toString);
    }

    /**
     * A cursor that cannot be set on an up-to-date filesystem fails it, as on a replicated one: the sender would
     * keep every snapshot and the pass said "all ok".
     */
    @Test
    void anUpToDateFilesystemWhoseCursorCannotBeSetFails() throws Exception {
        zfs.filesystem("src/a");
        zfs.createdBy(NOON);
        PushJob job = job(1, 1, "", "");
        zfs.fail("setProperty", "cannot set property for 'src/a': permission denied");
        PushPass.Result first =
                new PassDriver(job, zfs, box.opener(), NOON, waits::add).run(false, PushPass.Connect.ALWAYS);
        assertEquals(FilesystemResult.Outcome.FAILED, result(first, "src/a").outcome(), first::toString);

        zfs.fail("setProperty", "cannot set property for 'src/a': permission denied");
        Clock later = Clock.offset(NOON, Duration.ofMinutes(1));
        PushPass.Result next =
                new PassDriver(job, zfs, box.opener(), later, waits::add).run(false, PushPass.Connect.ALWAYS);
        assertEquals(Optional.empty(), next.snapshotTaken());
        FilesystemResult a = result(next, "src/a");
        assertEquals(FilesystemResult.Outcome.FAILED, a.outcome(), a::summaryLine);
        assertEquals(
                "src/a: failed after 0 steps: up to date on the box, but setting the replication cursor to src/a@"
                        + first.snapshotTaken().orElseThrow()
                        + " failed: 'zfs set zreplj:cursor:laptop=00000000000003e8 src/a' failed (exit 1): cannot set property for 'src/a': permission denied",
                a.summaryLine());
        assertTrue(next.failed());

        PushPass.Result third =
                new PassDriver(job, zfs, box.opener(), later, waits::add).run(false, PushPass.Connect.ALWAYS);
        assertEquals(FilesystemResult.Outcome.UP_TO_DATE, result(third, "src/a").outcome(), third::toString);
        assertFalse(third.failed(), third::toString);
    }

    @Test
    void aFilesystemGoneBetweenTheSnapshotAndTheReplicationFailsThePass() throws Exception {
        zfs.filesystem("src/a");
        zfs.filesystem("src/b");
        zfs.createdBy(NOON);
        zfs.vanishAfterTheNextSnapshot("src/b");
        PushPass.Result r = run(job(1, 1, ""), box.opener());

        assertEquals(FilesystemResult.Outcome.REPLICATED, result(r, "src/a").outcome(), r::toString);
        FilesystemResult b = result(r, "src/b");
        assertEquals(FilesystemResult.Outcome.FAILED, b.outcome());
        assertTrue(b.summaryLine().contains("disappeared from the sender during the pass"), b::summaryLine);
        assertTrue(r.failed());
    }

    /** A job whose pre_snapshot hook on src/b fails with err_is_fatal: src/b gets no snapshot. */
    private PushJob jobWithAFailingFatalHookOnSrcB() throws Exception {
        Path hook = dir.resolve("busy.sh");
        Files.writeString(hook, "#!/bin/sh\nexit 4\n");
        hook.toFile().setExecutable(true);
        return job(
                1,
                1,
                "",
                String.join(
                        "\n",
                        "      hooks:",
                        "        - type: command",
                        "          path: " + hook,
                        "          err_is_fatal: true",
                        "          filesystems: {\"src/b\": true}"));
    }

    /**
     * A fatal pre_snapshot hook keeps one filesystem out of the snapshot every pass: its backup stops
     * advancing. The status must not record a fresh snapshot of it, or its age never turns CRITICAL.
     */
    @Test
    void aFilesystemAFatalHookKeptOutOfTheSnapshotGetsNoFreshLastSnapshot() throws Exception {
        zfs.filesystem("src/a", "zrepl_1").filesystem("src/b", "zrepl_1");
        PushJob job = jobWithAFailingFatalHookOnSrcB();
        JobStatusStore store = new JobStatusStore(dir.resolve("state"));
        store.record(
                new PushPass.Result(
                        "laptop",
                        Optional.of("zrepl_1"),
                        List.of(
                                new FilesystemResult(
                                        DatasetName.of("src/a"), FilesystemResult.Outcome.REPLICATED, 1, 0, ""),
                                new FilesystemResult(
                                        DatasetName.of("src/b"), FilesystemResult.Outcome.REPLICATED, 1, 0, "")),
                        null),
                Instant.ofEpochSecond(100));
        store.record(run(job, box.opener()), NOON.instant());

        JobStatusStore.JobStatus status = store.read("laptop").orElseThrow();
        assertTrue(status.failed());
        JobStatusStore.FilesystemStatus a = status.filesystems().get(0);
        JobStatusStore.FilesystemStatus b = status.filesystems().get(1);
        assertEquals("src/a", a.filesystem());
        assertEquals(NOON.instant().getEpochSecond(), a.lastSnapshot(), "src/a got the snapshot");
        assertEquals("src/b", b.filesystem());
        assertEquals(100L, b.lastSnapshot(), "src/b got none: its last snapshot is the earlier pass's");
    }

    /**
     * A filesystem a fatal hook keeps out stays behind; the next snapshot is still due an interval after the
     * job's last one (zrepl's snapshotter ticks an interval after the last), not at every check because that
     * filesystem's newest is old: that took a snapshot of all the others at every pass.
     */
    @Test
    void aFilesystemLeftBehindByAFatalHookDoesNotMakeEveryCheckDue() throws Exception {
        zfs.filesystem("src/a", "zrepl_1").filesystem("src/b", "zrepl_1");
        PushJob job = jobWithAFailingFatalHookOnSrcB();
        zfs.createdBy(NOON);
        PushPass.Result first =
                new PassDriver(job, zfs, box.opener(), NOON, waits::add).run(false, PushPass.Connect.ALWAYS);
        assertEquals(Optional.of("zrepl_20261130_120000_000"), first.snapshotTaken(), first::toString);

        Clock later = Clock.offset(NOON, Duration.ofMinutes(1));
        zfs.createdBy(later);
        PushPass.Result second =
                new PassDriver(job, zfs, box.opener(), later, waits::add).run(false, PushPass.Connect.ALWAYS);
        assertEquals(Optional.empty(), second.snapshotTaken(), "one minute after the job's last of a 10m interval");
        assertEquals(List.of("zrepl_20261130_120000_000"), zfs.snapshots("src/a"), "no second one (last_n 1)");

        Clock due = Clock.offset(NOON, Duration.ofMinutes(10));
        zfs.createdBy(due);
        PushPass.Result third =
                new PassDriver(job, zfs, box.opener(), due, waits::add).run(false, PushPass.Connect.ALWAYS);
        assertEquals(Optional.of("zrepl_20261130_121000_000"), third.snapshotTaken(), third::toString);
    }

    /**
     * Rules that destroy the newest snapshot once replicated but keep an older one (here a hand-made one a regex
     * keeps): the cursor bookmark says when the last was taken, so the next is due an interval later.
     */
    @Test
    void anOlderKeptSnapshotDoesNotTimeTheNextWhenTheCursorIsNewer() throws Exception {
        FakeZfs openzfs = new FakeZfs(true);
        openzfs.filesystem("src/a", "zrepl_kept");
        PushJob job = job(
                1,
                1,
                "",
                "",
                String.join(
                        "\n",
                        "        - type: not_replicated",
                        "          keep_snapshot_at_cursor: false",
                        "        - type: regex",
                        "          regex: \"^zrepl_kept$\""));
        openzfs.createdBy(NOON);
        PushPass.Result first =
                new PassDriver(job, openzfs, box.opener(), NOON, waits::add).run(false, PushPass.Connect.ALWAYS);
        assertFalse(first.failed(), first::toString);
        assertEquals(List.of("zrepl_kept"), openzfs.snapshots("src/a"), "the new one replicated, then pruned");

        Clock later = Clock.offset(NOON, Duration.ofMinutes(1));
        PushPass.Result second =
                new PassDriver(job, openzfs, box.opener(), later, waits::add).run(false, PushPass.Connect.ALWAYS);
        assertEquals(Optional.empty(), second.snapshotTaken(), second::toString);
    }

    /** How old the backed-up data is: the creation of the newest snapshot the box holds, recorded for status. */
    @Test
    void theNewestSnapshotOnTheBoxIsRecordedWithItsCreation() throws Exception {
        zfs.filesystem("src/a", "zrepl_1");
        PushPass.Result r = run(job(1, 1, ""), box.opener());
        assertFalse(r.failed(), r::toString);
        long newest = zfs.listVersions(DatasetName.of("src/a")).get(DatasetName.of("src/a")).stream()
                .mapToLong(v -> v.creation().getEpochSecond())
                .max()
                .orElseThrow();
        assertEquals(java.util.Map.of("src/a", newest), r.newestOnBox());

        JobStatusStore store = new JobStatusStore(dir.resolve("state"));
        store.record(r, NOON.instant());
        assertEquals(
                newest, store.read("laptop").orElseThrow().filesystems().get(0).newestOnBox());
        // A later pass that cannot reach the box keeps what the box was last found to hold.
        store.record(
                new PushPass.Result("laptop", Optional.empty(), List.of(), "connect: no route to host"),
                NOON.instant().plusSeconds(600));
        assertEquals(
                newest, store.read("laptop").orElseThrow().filesystems().get(0).newestOnBox());
    }

    /**
     * The clock was a year ahead when zrepl_future was taken, then set right: the snapshot taken now is the newest
     * the box holds (replication goes by createtxg), and its creation says how old the backed-up data is. The
     * future one's creation would make status UNKNOWN ("ahead of this machine's clock") for a year however fresh
     * the backups are, and later hide that they stopped.
     */
    @Test
    void theNewestSnapshotOnTheBoxIsTheLastTakenNotOneDatedInTheFuture() throws Exception {
        zfs.createdBy(Clock.offset(NOON, Duration.ofDays(365)));
        zfs.filesystem("src/a", "zrepl_future");
        zfs.createdBy(NOON);
        PushPass.Result r = run(job(1, 1, ""), box.opener());
        assertFalse(r.failed(), r::toString);
        assertTrue(r.snapshotTaken().isPresent(), "the future snapshot does not hold the schedule back");
        assertTrue(box.snapshots("src/a").contains(r.snapshotTaken().orElseThrow()), box.snapshots("src/a")::toString);
        assertEquals(java.util.Map.of("src/a", NOON.instant().getEpochSecond()), r.newestOnBox());
    }
}
