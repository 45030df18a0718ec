package dev.zreplj.status;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.agent.JobStatusStore.FilesystemStatus;
import dev.zreplj.agent.JobStatusStore.JobStatus;
import dev.zreplj.config.StatusThresholds;
import dev.zreplj.stdinserver.ClientStatusFile;
import dev.zreplj.stdinserver.ClientStatusFile.ClientStatus;
import dev.zreplj.stdinserver.ClientStatusFile.Received;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Every state of both sides at a fixed instant, with thresholds of 1 h and 2 h. */
class StatusCheckTest {
    /** The message is the pass's summary line: the filesystem and outcome are said once, not twice. */
    @Test
    void aFilesystemsLastAttemptNamesItsOutcomeOnce() {
        assertEquals(
                "last attempt conflict: receiver has diverged: the sender no longer has @b",
                StatusCheck.lastAttempt(new FilesystemStatus(
                        "rpool/home",
                        "CONFLICT",
                        "rpool/home: conflict: receiver has diverged: the sender no longer has @b",
                        1,
                        0)));
        assertEquals(
                "last attempt failed after 2 steps: step @a -> @b: stalled",
                StatusCheck.lastAttempt(new FilesystemStatus(
                        "rpool/home", "FAILED", "rpool/home: failed after 2 steps: step @a -> @b: stalled", 1, 0)));
        // Not the filesystem's own line (a pass that failed before it): said as it was.
        assertEquals(
                "last attempt failed: connect: no session with the backup box",
                StatusCheck.lastAttempt(
                        new FilesystemStatus("rpool/home", "FAILED", "connect: no session with the backup box", 1, 0)));
        assertEquals(
                "last attempt failed: rpool/home/docs: failed after 0 steps: x",
                StatusCheck.lastAttempt(new FilesystemStatus(
                        "rpool/home", "FAILED", "rpool/home/docs: failed after 0 steps: x", 1, 0)));
    }

    private static final long NOW = 1_800_000_000L;
    private static final long HOUR = 3600;
    private final StatusCheck check =
            new StatusCheck(new StatusThresholds(Duration.ofHours(1), Duration.ofHours(2)), Instant.ofEpochSecond(NOW));

    private static JobStatus job(String error, List<String> stages, FilesystemStatus... filesystems) {
        return new JobStatus("laptop", NOW - 60, error, List.of(filesystems), stages);
    }

    private static FilesystemStatus fs(String outcome, long successAgo, Long snapshotAgo) {
        return new FilesystemStatus(
                "rpool/home",
                outcome,
                "rpool/home: " + outcome.toLowerCase(Locale.ROOT),
                NOW - 60,
                successAgo < 0 ? 0 : NOW - successAgo,
                null,
                null,
                snapshotAgo == null ? null : NOW - snapshotAgo);
    }

    private StatusReport agent(JobStatus status) {
        return check.report(
                List.of(check.job("laptop", Optional.ofNullable(status), recorded(status), false)), List.of());
    }

    /** The sender selecting just what the status file records: nothing new to the filter. */
    static SenderSelection recorded(JobStatus status) {
        return new SenderSelection(
                status == null
                        ? List.of()
                        : status.filesystems().stream()
                                .map(FilesystemStatus::filesystem)
                                .toList(),
                null);
    }

    private StatusReport box(ClientStatus status) {
        return check.report(List.of(), List.of(check.client("box", "laptop", status, held(status))));
    }

    /** The box's zfs holding every snapshot the status file records. */
    static BoxCopies held(ClientStatus status) {
        Map<String, java.util.Set<String>> guids = new java.util.HashMap<>();
        if (status != null) status.filesystems().forEach((path, r) -> guids.put(path, java.util.Set.of(r.guid())));
        return new BoxCopies(guids, null);
    }

    @Test
    void aFilesystemTheFilterSelectsThatNoPassRecordedIsNoBackup() {
        // An agent run started before the filter changed: its passes succeed and never see rpool/new.
        JobStatus status = job(null, List.of(), fs("UP_TO_DATE", 60, 60L));
        StatusReport r = check.report(
                List.of(check.job(
                        "laptop",
                        Optional.of(status),
                        new SenderSelection(List.of("rpool/home", "rpool/new"), null),
                        false)),
                List.of());
        assertEquals(Level.CRITICAL, r.status());
        assertEquals(
                "ZREPLJ CRITICAL: job laptop: rpool/new: never replicated: the filter selects it, but no pass has"
                        + " recorded it (agent run reads the config when it starts: restart it after changing the"
                        + " filter)",
                r.summary());
        // docs/cli.md's perfdata: per filesystem, U when there is no success; rpool/new had no entry at all.
        assertEquals(
                List.of("'laptop:rpool/home'=60s;3600;7200;0", "'laptop:rpool/new'=U;3600;7200;0"),
                StatusText.perfdata(r));
        StatusReport unknown = check.report(
                List.of(check.job(
                        "laptop", Optional.of(status), SenderSelection.unreadable("permission denied"), false)),
                List.of());
        assertEquals(Level.UNKNOWN, unknown.status());
        assertEquals(
                "ZREPLJ UNKNOWN: job laptop: cannot list the sender to check that every filesystem the filter selects"
                        + " has a backup: permission denied",
                unknown.summary());
    }

    /**
     * An agent run started before the filter named rpool/db, which this machine does not have: its passes never
     * looked for it, so no pass recorded it failed, and the job read OK while the config promised a backup of it.
     * One a pass did record (failed: "does not exist on the sender") ages with its own entry instead.
     */
    @Test
    void aDatasetTheFilterNamesThatTheSenderLacksAndNoPassRecordedIsNoBackup() {
        JobStatus status = job(null, List.of(), fs("UP_TO_DATE", 60, 60L));
        StatusReport r = check.report(
                List.of(check.job(
                        "laptop",
                        Optional.of(status),
                        new SenderSelection(List.of("rpool/home"), null, Map.of(), List.of("rpool/db", "rpool/home")),
                        false)),
                List.of());
        assertEquals(Level.CRITICAL, r.status());
        assertEquals(
                "ZREPLJ CRITICAL: job laptop: rpool/db: never replicated: the filter names it, but it does not exist"
                        + " on the sender (a pool not imported, a dataset renamed or destroyed); import the pool, or"
                        + " take it out of the filter",
                r.summary());
        assertEquals(1, r.push().get(0).problems().size(), r.push().get(0).problems()::toString);
    }

    /** A selected name zreplj refuses fails every pass as a stage: never backed up, it is CRITICAL, not WARNING. */
    @Test
    void aSelectedFilesystemWhoseNameZreplJRefusesIsNoBackup() {
        JobStatus status = job(
                null,
                List.of("filesystems: 'rpool/-old' is selected by the filter but cannot be replicated: ..."),
                fs("UP_TO_DATE", 60, 60L));
        StatusReport r = check.report(
                List.of(check.job(
                        "laptop",
                        Optional.of(status),
                        new SenderSelection(
                                List.of("rpool/home"),
                                null,
                                Map.of("rpool/-old", "dataset name component '-old' must not start with '-'")),
                        false)),
                List.of());
        assertEquals(Level.CRITICAL, r.status());
        assertEquals(
                "ZREPLJ CRITICAL: job laptop: rpool/-old: never replicated: the filter selects it, but zreplj cannot"
                        + " replicate it: dataset name component '-old' must not start with '-'; rename it (zfs"
                        + " rename) or exclude it in the filter (and 1 more)",
                r.summary());
    }

    /** docs/cli.md: "The first line is the state, the worst problem (and how many more)". */
    @Test
    void theFirstLineNamesTheWorstProblemWhereverItIs() {
        // A failed snapshot stage (WARNING) found before a filesystem no pass recorded (CRITICAL): that one leads.
        JobStatus status = job(null, List.of("snapshot: zfs snapshot: out of space"), fs("UP_TO_DATE", 60, 60L));
        StatusReport r = check.report(
                List.of(check.job(
                        "laptop",
                        Optional.of(status),
                        new SenderSelection(List.of("rpool/home", "rpool/new"), null),
                        false)),
                List.of());
        assertEquals(Level.CRITICAL, r.status());
        String neverReplicated = "rpool/new: never replicated: the filter selects it, but no pass has recorded it"
                + " (agent run reads the config when it starts: restart it after changing the filter)";
        assertEquals("ZREPLJ CRITICAL: job laptop: " + neverReplicated + " (and 1 more)", r.summary());
        assertEquals(
                List.of(neverReplicated, "last pass failed: snapshot: zfs snapshot: out of space"),
                r.push().get(0).problems());
        // A filesystem's failed attempt (WARNING) leads a sender that cannot be listed (UNKNOWN ranks below it).
        JobStatus failing = job(null, List.of(), fs("FAILED", 60, 60L));
        StatusReport w = check.report(
                List.of(check.job(
                        "laptop", Optional.of(failing), SenderSelection.unreadable("permission denied"), false)),
                List.of());
        assertEquals(Level.WARNING, w.status());
        assertEquals("ZREPLJ WARNING: job laptop rpool/home: last attempt failed (and 1 more)", w.summary());
    }

    @Test
    void aReceivedSnapshotTheBoxNoLongerHoldsIsNoBackup() {
        ClientStatus status = received(60);
        StatusReport gone =
                check.report(List.of(), List.of(check.client("box", "laptop", status, new BoxCopies(Map.of(), null))));
        assertEquals(Level.CRITICAL, gone.status());
        assertTrue(
                gone.summary()
                        .startsWith("ZREPLJ CRITICAL: client laptop rpool/home: @zrepl_1 (guid 123), received "
                                + Instant.ofEpochSecond(NOW - 60) + ", is no longer"),
                gone::summary);
        assertTrue(
                gone.summary()
                        .endsWith(", is no longer on the box: destroyed or rolled back there since; the"
                                + " client's next pass sends what is missing (one the client no longer pushes:"
                                + " 'zreplj box forget laptop rpool/home' ends this check)"),
                gone::summary);
        // No pass of the client sends anything while the sink's root_fs is missing: the line says what will.
        StatusReport noRoot = check.report(
                List.of(),
                List.of(check.client(
                        "box",
                        "laptop",
                        status,
                        BoxCopies.gone(
                                "the sink's root_fs backup/sink does" + " not exist (renamed or destroyed?): ..."))));
        assertEquals(Level.CRITICAL, noRoot.status());
        assertTrue(
                noRoot.summary()
                        .endsWith(", is no longer on the box: the sink's root_fs backup/sink does not exist (renamed"
                                + " or destroyed?): ..."),
                noRoot::summary);
        StatusReport otherGuid = check.report(
                List.of(),
                List.of(check.client(
                        "box", "laptop", status, new BoxCopies(Map.of("rpool/home", java.util.Set.of("2")), null))));
        assertEquals(Level.CRITICAL, otherGuid.status(), "a snapshot of that name received again is another one");
        StatusReport unknown = check.report(
                List.of(),
                List.of(check.client("box", "laptop", status, BoxCopies.unreadable("connect: Permission denied"))));
        assertEquals(Level.UNKNOWN, unknown.status());
        assertEquals(
                "ZREPLJ UNKNOWN: client laptop rpool/home: cannot check that the box still holds @zrepl_1:"
                        + " connect: Permission denied",
                unknown.summary());
    }

    private static ClientStatus received(long ago) {
        return new ClientStatus(
                "laptop",
                Map.of(
                        "rpool/home",
                        new Received(
                                "zrepl_1",
                                "123",
                                Instant.ofEpochSecond(NOW - ago).toString())));
    }

    @Test
    void agentFreshIsOk() {
        StatusReport r = agent(job(null, List.of(), fs("UP_TO_DATE", 60, 600L)));
        assertEquals(Level.OK, r.status());
        assertEquals(0, r.status().exitCode());
        assertEquals("ZREPLJ OK: 1 job, 1 filesystem backed up within 1h", r.summary());
    }

    @Test
    void agentStaleWarnsThenIsCritical() {
        StatusReport warn = agent(job(null, List.of(), fs("UP_TO_DATE", HOUR, 60L)));
        assertEquals(Level.WARNING, warn.status());
        assertEquals(1, warn.status().exitCode());
        assertEquals("ZREPLJ WARNING: job laptop rpool/home: last success 1h ago (warning from 1h)", warn.summary());

        StatusReport crit = agent(job(null, List.of(), fs("UP_TO_DATE", 2 * HOUR + 5, 60L)));
        assertEquals(Level.CRITICAL, crit.status());
        assertEquals(2, crit.status().exitCode());
        assertEquals(
                "ZREPLJ CRITICAL: job laptop rpool/home: last success 2h5s ago (critical from 2h)", crit.summary());
    }

    /** docs/cli.md: a job whose status file lists no filesystem (its first pass failed) is "no backup exists". */
    @Test
    void aJobWhoseFirstPassFailedSaysNoBackupExists() {
        StatusReport r = agent(job(null, List.of("connect: no session with the backup box: ssh: refused")));
        assertEquals(Level.CRITICAL, r.status());
        assertEquals(
                "ZREPLJ CRITICAL: job laptop: last pass failed: connect: no session with the backup box: ssh: refused"
                        + " (and 1 more)",
                r.summary());
        assertTrue(
                r.push().get(0).problems().contains("no filesystem replicated yet: no backup exists"),
                () -> r.push().get(0).problems().toString());
    }

    @Test
    void agentStaleSnapshotIsNotOkEvenWhenReplicationSucceeds() {
        StatusReport r = agent(job(null, List.of(), fs("UP_TO_DATE", 60, 3 * HOUR)));
        assertEquals(Level.CRITICAL, r.status());
        assertEquals("ZREPLJ CRITICAL: job laptop rpool/home: last snapshot 3h ago (critical from 2h)", r.summary());
    }

    @Test
    void agentNeverRunIsCritical() {
        StatusReport r = agent(null);
        assertEquals(Level.CRITICAL, r.status());
        assertEquals("ZREPLJ CRITICAL: job laptop: never run: no backup exists", r.summary());
        StatusReport noFilesystem = agent(job("ssh: connection refused", List.of()));
        assertEquals(Level.CRITICAL, noFilesystem.status());
        assertEquals(
                "ZREPLJ CRITICAL: job laptop: last pass failed: ssh: connection refused (and 1 more)",
                noFilesystem.summary());
        StatusReport never = agent(job(null, List.of(), fs("FAILED", -1, null)));
        assertEquals(Level.CRITICAL, never.status());
    }

    @Test
    void upToDateWithAnOldSnapshotIsAStaleBackup() {
        // Manual snapshotting: the tool that takes the snapshots died three days ago. Every pass finds the box
        // up to date with the newest snapshot there is, so the last success is fresh; the backup is not.
        StatusReport r = agent(job(
                null,
                List.of(),
                new FilesystemStatus(
                        "rpool/home", "UP_TO_DATE", "m", NOW - 60, NOW - 60, 0L, -1L, null, NOW - 3 * 24 * HOUR)));
        assertEquals(Level.CRITICAL, r.status());
        assertEquals(
                "ZREPLJ CRITICAL: job laptop rpool/home: newest snapshot on the box created 3d ago (critical from 2h);"
                        + " no newer snapshot exists: is whatever takes the snapshots still running?",
                r.summary());
        StatusReport fresh = agent(job(
                null,
                List.of(),
                new FilesystemStatus("rpool/home", "UP_TO_DATE", "m", NOW - 60, NOW - 60, 0L, -1L, null, NOW - 600)));
        assertEquals(Level.OK, fresh.status());
    }

    @Test
    void aFilesystemWithoutAnySnapshotIsNoBackup() {
        StatusReport r = agent(job(null, List.of(), fs("NO_SNAPSHOTS", -1, null)));
        assertEquals(Level.CRITICAL, r.status());
        assertEquals(
                "ZREPLJ CRITICAL: job laptop rpool/home: never replicated: it has no snapshot yet (the job's next due"
                        + " snapshot includes it; 'zreplj agent once --job laptop --snapshot' takes one now)",
                r.summary());
    }

    @Test
    void adviceToTakeASnapshotWorksUnderManualSnapshotting() {
        // 'agent once --snapshot' is a usage error for a manual job ("--snapshot cannot name a snapshot"), and
        // for every job of a config that has one unless --job names the job: the advice said it regardless.
        StatusReport none = check.report(
                List.of(check.job(
                        "laptop",
                        Optional.of(job(null, List.of(), fs("NO_SNAPSHOTS", -1, null))),
                        recorded(job(null, List.of(), fs("NO_SNAPSHOTS", -1, null))),
                        true)),
                List.of());
        assertEquals(
                "ZREPLJ CRITICAL: job laptop rpool/home: never replicated: it has no snapshot yet (snapshotting is"
                        + " manual: take one with 'zfs snapshot', then 'zreplj agent once --job laptop' replicates it)",
                none.summary());
        long ahead = NOW + 3 * 24 * HOUR;
        JobStatus aheadStatus = job(
                null, List.of(), new FilesystemStatus("rpool/home", "UP_TO_DATE", "m", ahead, ahead, null, null, null));
        StatusReport clock = check.report(
                List.of(check.job("laptop", Optional.of(aheadStatus), recorded(aheadStatus), true)), List.of());
        assertTrue(
                clock.summary()
                        .endsWith("check the clock (timedatectl), then take a snapshot with 'zfs snapshot' and run"
                                + " 'zreplj agent once --job laptop'"),
                clock.summary());

        Map<String, Long> nothing = new java.util.HashMap<>();
        nothing.put("rpool/home", null);
        JobStatus ran = new JobStatus("snap", NOW - 60, null, List.of(), List.of());
        StatusReport snapNone = check.report(
                List.of(), List.of(), List.of(check.snapJob("snap", Optional.of(ran), nothing, List.of(), null, true)));
        assertEquals(
                "ZREPLJ CRITICAL: job snap rpool/home: no snapshot (snapshotting is manual: take one with 'zfs"
                        + " snapshot')",
                snapNone.summary());
        StatusReport snapAhead = check.report(
                List.of(),
                List.of(),
                List.of(check.snapJob("snap", Optional.of(ran), Map.of("rpool/home", ahead), List.of(), null, true)));
        assertTrue(
                snapAhead.summary().endsWith("check the clock (timedatectl), then take a snapshot with 'zfs snapshot'"),
                snapAhead.summary());
    }

    @Test
    void agentFailingIsAWarningWhileTheBackupIsFresh() {
        StatusReport error = agent(job("ssh: connection refused", List.of(), fs("FAILED", 60, 60L)));
        assertEquals(Level.WARNING, error.status());
        assertEquals(
                "ZREPLJ WARNING: job laptop: last pass failed: ssh: connection refused (and 1 more)", error.summary());

        StatusReport stage = agent(job(null, List.of("snapshot: out of space"), fs("UP_TO_DATE", 60, 60L)));
        assertEquals(Level.WARNING, stage.status());
        assertEquals("ZREPLJ WARNING: job laptop: last pass failed: snapshot: out of space", stage.summary());

        StatusReport filesystem = agent(job(null, List.of(), fs("CONFLICT", 60, null)));
        assertEquals(Level.WARNING, filesystem.status());
        assertEquals("ZREPLJ WARNING: job laptop rpool/home: last attempt conflict", filesystem.summary());

        StatusReport staleAndFailing = agent(job(null, List.of(), fs("FAILED", 3 * HOUR, null)));
        assertEquals(Level.CRITICAL, staleAndFailing.status());
    }

    @Test
    void unreadableFilesAreUnknownButNeverHideACriticalOne() {
        StatusReport unknown =
                check.report(List.of(check.unreadableJob("laptop", "/s/jobs/laptop.json: unreadable")), List.of());
        assertEquals(Level.UNKNOWN, unknown.status());
        assertEquals(3, unknown.status().exitCode());
        StatusReport both = check.report(
                List.of(
                        check.unreadableJob("a", "unreadable"),
                        check.job("b", Optional.empty(), recorded(null), false)),
                List.of());
        assertEquals(Level.CRITICAL, both.status());
        assertEquals(Level.UNKNOWN, check.report(List.of(), List.of()).status());
    }

    @Test
    void boxByAge() {
        assertEquals(Level.OK, box(received(60)).status());
        assertEquals(Level.WARNING, box(received(HOUR + 1)).status());
        StatusReport crit = box(received(2 * HOUR));
        assertEquals(Level.CRITICAL, crit.status());
        assertEquals(
                "ZREPLJ CRITICAL: client laptop rpool/home: last received 2h ago (critical from 2h)", crit.summary());
        assertEquals(
                Level.OK, box(received(-600)).status(), "a receive time ahead of the clock is age 0, not negative");
        assertEquals(0L, box(received(-600)).sink().get(0).filesystems().get(0).receivedAgeSeconds());
    }

    @Test
    void aTimeFarAheadOfTheClockIsNoFreshBackup() {
        // The clock was set back (or ran days ahead during a pass): a recorded time in the future has no
        // age this clock can tell. Counting it as age 0 said OK for as long as the clock took to catch up,
        // however long the agent had been dead or snapshots had not been taken.
        long ahead = NOW + 3 * 24 * HOUR;
        StatusReport success = agent(job(
                null,
                List.of(),
                new FilesystemStatus("rpool/home", "UP_TO_DATE", "m", ahead, ahead, null, null, NOW - 60)));
        assertEquals(Level.UNKNOWN, success.status());
        assertEquals(
                "ZREPLJ UNKNOWN: job laptop rpool/home: last success recorded at "
                        + Instant.ofEpochSecond(ahead) + ", 3d ahead of this machine's clock: the clock was set back,"
                        + " or ran ahead when it was recorded; its age is unknown: check the clock (timedatectl),"
                        + " then run 'zreplj agent once --job laptop --snapshot'",
                success.summary());
        // docs/cli.md: "whatever is unknown is null, never a sentinel"; 0 would read as a fresh backup to a graph
        // of the JSON or the perfdata ('=U', not '=0s').
        assertNull(success.push().get(0).filesystems().get(0).lastSuccessAgeSeconds());
        assertTrue(
                StatusText.perfdata(success).contains("'laptop:rpool/home'=U;3600;7200;0"),
                () -> StatusText.perfdata(success).toString());

        StatusReport snapshot = agent(job(null, List.of(), fs("UP_TO_DATE", 60, -30 * 24 * HOUR)));
        assertEquals(Level.UNKNOWN, snapshot.status(), "no snapshot is due before the clock reaches it again");

        StatusReport data = agent(job(
                null,
                List.of(),
                new FilesystemStatus(
                        "rpool/home", "UP_TO_DATE", "m", NOW - 60, NOW - 60, 0L, -1L, null, NOW + 24 * HOUR)));
        assertEquals(
                "ZREPLJ UNKNOWN: job laptop rpool/home: newest snapshot on the box created at "
                        + Instant.ofEpochSecond(NOW + 24 * HOUR) + ", 1d ahead of this machine's clock: the clock was"
                        + " set back, or ran ahead when it was recorded; its age is unknown: check the clock"
                        + " (timedatectl), then run 'zreplj agent once --job laptop --snapshot'",
                data.summary());

        StatusReport box = box(received(-2 * 24 * HOUR));
        assertEquals(Level.UNKNOWN, box.status());
        assertNull(box.sink().get(0).filesystems().get(0).receivedAgeSeconds());
        assertNull(box.sink().get(0).lastReceivedAgeSeconds());
        assertEquals(
                "ZREPLJ UNKNOWN: client laptop rpool/home: last received recorded at "
                        + Instant.ofEpochSecond(NOW + 2 * 24 * HOUR) + ", 2d ahead of this machine's clock: the clock"
                        + " was set back, or ran ahead when it was recorded; its age is unknown: check the clock"
                        + " (timedatectl); the client's next receive records a time by the right clock",
                box.summary());
    }

    @Test
    void timestampsAreWholeSecondsAsDocumented() {
        // docs/cli.md: "Timestamps are ISO-8601 UTC strings (2026-11-30T12:00:00Z)". The box records its
        // receive times and status runs at the clock's full precision; neither may leak nanoseconds.
        Instant now = Instant.ofEpochSecond(NOW, 545_480_510);
        StatusCheck precise = new StatusCheck(new StatusThresholds(Duration.ofHours(1), Duration.ofHours(2)), now);
        String at = Instant.ofEpochSecond(NOW - 60, 123_456_789).toString();
        StatusReport r = precise.report(
                List.of(),
                List.of(precise.client(
                        "box",
                        "laptop",
                        new ClientStatus("laptop", Map.of("rpool/home", new Received("zrepl_1", "1", at))),
                        new BoxCopies(Map.of("rpool/home", java.util.Set.of("1")), null))));
        assertEquals(Instant.ofEpochSecond(NOW).toString(), r.checked());
        String whole = Instant.ofEpochSecond(NOW - 60).toString();
        assertEquals(whole, r.sink().get(0).lastReceived());
        assertEquals(whole, r.sink().get(0).filesystems().get(0).received());
        assertEquals(60L, r.sink().get(0).filesystems().get(0).receivedAgeSeconds());
    }

    @Test
    void boxClientThatNeverConnectedIsCritical() {
        StatusReport r = box(null);
        assertEquals(Level.CRITICAL, r.status());
        assertEquals("ZREPLJ CRITICAL: client laptop: nothing received yet: no backup exists", r.summary());
        assertEquals(Level.CRITICAL, box(new ClientStatus("laptop", Map.of())).status());
        assertEquals(
                Level.UNKNOWN,
                box(new ClientStatus("laptop", Map.of("rpool/home", new Received("zrepl_1", "1", "yesterday"))))
                        .status());
    }

    /**
     * docs/box.md: a receive the box's zfs refused for lack of space (a jail at its quota, a full pool) is the box
     * admin's to remedy: the box's status says so while the last backup is still fresh, not OK.
     */
    @Test
    void aReceiveTheBoxHadNoSpaceForWarnsOnTheBoxAndANewFilesystemWithoutOneIsCritical() {
        String zfsWords = "'zfs recv -s box/sink/laptop/rpool/home' failed (exit 1): cannot receive incremental"
                + " stream: out of space";
        String at = Instant.ofEpochSecond(NOW - 300).toString();
        ClientStatus atQuota = new ClientStatus(
                "laptop", received(60).filesystems(), Map.of("rpool/home", new ClientStatusFile.Failed(zfsWords, at)));
        StatusReport r = box(atQuota);
        assertEquals(Level.WARNING, r.status());
        assertEquals(
                "ZREPLJ WARNING: client laptop rpool/home: last receive failed: 2027-01-15T07:55:00Z (5m ago), the box"
                        + " has no space for it: " + zfsWords + "; the client's jail is at its quota or the box's pool"
                        + " is full: raise the jail's quota or free space in the pool (docs/box.md)",
                r.summary());

        // A filesystem whose first receive failed has no received snapshot to list: the client's problem.
        ClientStatus firstFailed = new ClientStatus(
                "laptop", received(60).filesystems(), Map.of("rpool/new", new ClientStatusFile.Failed(zfsWords, at)));
        StatusReport c = box(firstFailed);
        assertEquals(Level.CRITICAL, c.status());
        assertEquals(Level.OK, c.sink().get(0).filesystems().get(0).status(), "rpool/home is fresh");
        assertEquals(
                List.of("rpool/new: nothing received yet: 2027-01-15T07:55:00Z (5m ago), the box has no space for it: "
                        + zfsWords + "; the client's jail is at its quota or the box's pool is full: raise the jail's"
                        + " quota or free space in the pool (docs/box.md)"),
                c.sink().get(0).problems());
        StatusReport none = box(new ClientStatus("laptop", Map.of(), firstFailed.failed()));
        assertEquals(Level.CRITICAL, none.status());
        assertEquals(2, none.sink().get(0).problems().size(), none.sink().get(0).problems()::toString);
        assertEquals(
                "nothing received yet: no backup exists",
                none.sink().get(0).problems().get(0));
    }

    @Test
    void textHasTheSummaryWithPerfdataThenDetail() {
        StatusReport r = check.report(
                List.of(
                        check.job(
                                "laptop",
                                Optional.of(job(null, List.of(), fs("UP_TO_DATE", 90 * 60, 90 * 60L))),
                                recorded(job(null, List.of(), fs("UP_TO_DATE", 90 * 60, 90 * 60L))),
                                false),
                        check.job("other", Optional.empty(), recorded(null), false)),
                List.of(
                        check.client("box", "laptop", received(60), held(received(60))),
                        check.client("box", "desktop", null, held(null))));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        StatusText.print(r, new PrintStream(out, true, StandardCharsets.UTF_8));
        assertEquals("""
                ZREPLJ CRITICAL: job other: never run: no backup exists (and 2 more) | 'laptop:rpool/home'=5400s;3600;7200;0 'other'=U;3600;7200;0 'box/laptop:rpool/home'=60s;3600;7200;0 'box/desktop'=U;3600;7200;0
                push job laptop: WARNING, last run 2027-01-15T07:59:00Z (1m ago)
                  rpool/home: WARNING, up to date, last success 1h30m ago, last snapshot 1h30m ago -- last success 1h30m ago (warning from 1h); last snapshot 1h30m ago (warning from 1h)
                push job other: CRITICAL -- never run: no backup exists
                sink job box, client laptop: OK, 1 filesystem
                  rpool/home: OK, @zrepl_1 received 2027-01-15T07:59:00Z (1m ago)
                sink job box, client desktop: CRITICAL -- nothing received yet: no backup exists
                """, out.toString(StandardCharsets.UTF_8));
    }

    /**
     * A client the box's admin revoked ages as before (no backup of it is made), and its status says why, until a
     * receive completes after the revocation: the owner's new key pushing. Before, the 3 a.m. line was only the age.
     */
    @Test
    void aRevokedClientSaysSoBesideItsAgesUntilItsNewKeyPushes() {
        Instant revokedAt = Instant.ofEpochSecond(NOW - 3 * HOUR);
        String note = "revoked on the box at " + revokedAt + " (zreplj box revoke); its backups stay; it pushes"
                + " again only with a newly authorized key";
        ClientStatus old = received(4 * HOUR);
        StatusReport critical = check.report(
                List.of(), List.of(check.revoked(check.client("box", "laptop", old, held(old)), old, revokedAt)));
        assertEquals(Level.CRITICAL, critical.status());
        assertEquals("ZREPLJ CRITICAL: client laptop: " + note + " (and 1 more)", critical.summary());
        assertEquals(revokedAt.toString(), critical.sink().get(0).revoked());
        assertEquals(
                List.of("last received 4h ago (critical from 2h)"),
                critical.sink().get(0).filesystems().get(0).problems());

        // Revoked a minute after a fresh receive: OK, no problem, and its line still says it.
        Instant justNow = Instant.ofEpochSecond(NOW - 60);
        ClientStatus fresh = received(120);
        StatusReport ok = check.report(
                List.of(), List.of(check.revoked(check.client("box", "laptop", fresh, held(fresh)), fresh, justNow)));
        assertEquals(Level.OK, ok.status());
        assertEquals(List.of(), ok.sink().get(0).problems());
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        StatusText.print(ok, new PrintStream(out, true, StandardCharsets.UTF_8));
        assertEquals(
                "sink job box, client laptop: OK, 1 filesystem -- revoked on the box at " + justNow
                        + " (zreplj box revoke); its backups stay; it pushes again only with a newly authorized key",
                out.toString(StandardCharsets.UTF_8).lines().toList().get(1));

        // The new key's receive, a second after the record (3 h ago: CRITICAL by its age alone): the client is
        // that machine's again.
        ClientStatus pushedAgain = received(3 * HOUR - 1);
        StatusReport.Client again =
                check.revoked(check.client("box", "laptop", pushedAgain, held(pushedAgain)), pushedAgain, revokedAt);
        assertEquals(Level.CRITICAL, again.status());
        assertEquals(List.of(), again.problems());
        assertNull(again.revoked());
        // In the same second it may have been the last one before: the record keeps whole seconds.
        ClientStatus sameSecond = new ClientStatus(
                "laptop", Map.of("rpool/home", new Received("zrepl_1", "123", revokedAt.plusMillis(500) + "")));
        assertEquals(
                revokedAt.toString(),
                check.revoked(check.client("box", "laptop", sameSecond, held(sameSecond)), sameSecond, revokedAt)
                        .revoked());

        // Never sent anything, then revoked: CRITICAL as before, with why first.
        StatusReport.Client never = check.revoked(check.client("box", "laptop", null, held(null)), null, revokedAt);
        assertEquals(Level.CRITICAL, never.status());
        assertEquals(List.of(note, "nothing received yet: no backup exists"), never.problems());
    }

    @Test
    void noEstimateIsNullNotTheStoresMinusOne() {
        StatusReport r = agent(job(
                null,
                List.of(),
                new FilesystemStatus("rpool/home", "REPLICATED", "m", NOW - 60, NOW - 60, 2048L, -1L, null)));
        StatusReport.Filesystem f = r.push().get(0).filesystems().get(0);
        assertEquals(2048L, f.bytes());
        assertEquals(null, f.estimatedBytes());
        assertEquals(null, f.lastSnapshot());
        assertEquals(null, f.lastSnapshotAgeSeconds());
    }

    private StatusReport snap(JobStatus status, Map<String, Long> newest) {
        return check.report(
                List.of(),
                List.of(),
                List.of(check.snapJob("snap", Optional.ofNullable(status), newest, List.of(), null, false)));
    }

    @Test
    void aSnapJobIsOkOnlyWhileItsNewestSnapshotsAreFreshAndItsLastPassDidNotFail() {
        JobStatus ok = new JobStatus("snap", NOW - 60, null, List.of(), List.of());
        StatusReport fresh = snap(ok, Map.of("rpool/home", NOW - 600, "rpool/src", NOW - 60));
        assertEquals(Level.OK, fresh.status());
        assertEquals("ZREPLJ OK: 1 snap job, 2 filesystems snapshotted within 1h", fresh.summary());
        assertEquals("SNAPSHOTTED", fresh.snap().get(0).filesystems().get(0).outcome());
        assertEquals(600L, fresh.snap().get(0).filesystems().get(0).lastSnapshotAgeSeconds());

        StatusReport stale = snap(ok, Map.of("rpool/home", NOW - 2 * HOUR));
        assertEquals(Level.CRITICAL, stale.status());
        assertEquals(
                "ZREPLJ CRITICAL: job snap rpool/home: newest snapshot created 2h ago (critical from 2h)",
                stale.summary());

        Map<String, Long> none = new java.util.HashMap<>();
        none.put("rpool/home", null);
        StatusReport noSnapshot = snap(ok, none);
        assertEquals(Level.CRITICAL, noSnapshot.status());
        assertEquals(
                "ZREPLJ CRITICAL: job snap rpool/home: no snapshot (the job's next due snapshot includes it;"
                        + " 'zreplj agent once --job snap --snapshot' takes one now)",
                noSnapshot.summary());

        JobStatus failed =
                new JobStatus("snap", NOW - 60, null, List.of(), List.of("prune: 1 destroy failed (local rpool/home)"));
        StatusReport failedPass = snap(failed, Map.of("rpool/home", NOW - 60));
        assertEquals(Level.WARNING, failedPass.status());
        assertEquals(
                "ZREPLJ WARNING: job snap: last pass failed: prune: 1 destroy failed (local rpool/home)",
                failedPass.summary());

        StatusReport neverRun = snap(null, Map.of("rpool/home", NOW - 60));
        assertEquals(Level.WARNING, neverRun.status());
        assertEquals(
                "ZREPLJ WARNING: job snap: never run by zreplj: nothing pruned yet ('zreplj agent once --job snap'"
                        + " runs it)",
                neverRun.summary());
        // A filter that selects nothing snapshots nothing: no age to judge, so not a WARNING for ever.
        StatusReport nothing = snap(failed, Map.of());
        assertEquals(Level.CRITICAL, nothing.status());
        assertEquals(
                "ZREPLJ CRITICAL: job snap: the filesystems filter selects no filesystem: nothing is snapshotted"
                        + " (check it with 'zreplj test filesystems --job snap') (and 1 more)",
                nothing.summary());
        // No run, no attempt: not the time of the check, which a monitoring script would read as a run just now.
        assertEquals(null, neverRun.snap().get(0).filesystems().get(0).lastAttempt());
        assertEquals(
                java.time.Instant.ofEpochSecond(NOW - 60).toString(),
                fresh.snap().get(0).filesystems().get(0).lastAttempt());
    }
}
