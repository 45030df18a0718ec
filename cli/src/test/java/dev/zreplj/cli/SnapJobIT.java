package dev.zreplj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.zfs.CursorProperty;
import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.testing.TestPools;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * zrepl's snap job through the built launcher on zfs-fuse, no box: {@code agent once} takes the job's snapshot of
 * every selected filesystem and destroys exactly what its keep rules drop, except the snapshot a push job's
 * replication cursor holds; an admin's hold fails the pass (exit 1) as it fails a push job's sender pruning; and
 * {@code status} says OK only while the newest snapshot is fresh and the last pass did not fail.
 */
@Timeout(120)
@Tag("system")
class SnapJobIT {
    private static final String PREFIX = "zrepl_snap_";

    @TempDir
    Path dir;

    private TestPools pools;
    private DatasetName a;
    private DatasetName b;
    private Path launcher;

    @BeforeEach
    void setUp() throws IOException {
        launcher = EndToEnd.findLauncher();
        pools = TestPools.open();
        DatasetName pool = pools.createPool("snapjob");
        a = pools.createFilesystem(pool.child("a"));
        b = pools.createFilesystem(a.child("b"));
    }

    @AfterEach
    void tearDown() {
        pools.close();
    }

    /** A snap job over a and a/b; {@code more} is appended to the jobs list (another job). */
    private Path config(String name, String more) throws IOException {
        Path config = dir.resolve(name);
        Files.writeString(
                config,
                "global:\n  zreplj:\n    state_dir: " + dir.resolve("state") + "\n    zfs_binary: " + pools.zfsBinary()
                        + "\n    metrics: {textfile: " + dir.resolve("zreplj.prom") + "}"
                        + "\njobs:\n"
                        + "  - name: snap\n"
                        + "    type: snap\n"
                        + "    filesystems: {\"" + a + "<\": true}\n"
                        + "    snapshotting: {type: periodic, prefix: " + PREFIX + ", interval: 1h}\n"
                        + "    pruning:\n"
                        + "      keep:\n"
                        + "        - {type: regex, regex: '^keep_'}\n"
                        + "        - {type: last_n, count: 1, regex: '^" + PREFIX + "'}\n"
                        + more);
        return config;
    }

    private record Run(int exit, String out, String err) {}

    private Run zreplj(String... args) {
        List<String> command = new ArrayList<>(List.of(launcher.toString()));
        command.addAll(List.of(args));
        try {
            // stderr to a file: read after stdout, a pipe could fill and stall the process.
            Path err = Files.createTempFile(dir, "stderr", ".txt");
            Process p = new ProcessBuilder(command)
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectError(err.toFile())
                    .start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("zreplj " + List.of(args) + " did not finish within 60 s");
            }
            return new Run(p.exitValue(), new String(out, StandardCharsets.UTF_8), Files.readString(err));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /** The one snapshot name with the job's prefix that {@code before} did not have. */
    private String taken(List<String> before, List<String> after) {
        List<String> fresh = after.stream()
                .filter(s -> s.startsWith(PREFIX) && !before.contains(s))
                .toList();
        assertEquals(1, fresh.size(), "one new snapshot: " + after);
        return fresh.get(0);
    }

    @Test
    void agentOnceSnapshotsAndDestroysExactlyWhatTheRulesDropButAPushJobsCursor() throws Exception {
        for (String s : List.of("manual_x", PREFIX + "old1", PREFIX + "old2", "keep_me")) {
            pools.snapshot(a, s);
        }
        pools.snapshot(b, PREFIX + "oldb");
        // A push job of the same config replicated a@old2 last: on zfs-fuse its cursor is that snapshot, held, its
        // guid in the job's property. The push job keeps everything on the sender, as zrepl's guides set it up.
        pools.zfs("hold", "zrepl_CURSOR_J_push", a + "@" + PREFIX + "old2");
        pools.zfs(
                "set",
                CursorProperty.of("push") + "=" + HexFormat.of().toHexDigits(pools.guid(a + "@" + PREFIX + "old2")),
                a.value());
        Path config = config(
                "zreplj.yml",
                "  - name: push\n    type: push\n    connect: {type: ssh+stdinserver, host: 127.0.0.1, port: 1,"
                        + " user: zreplj, identity_file: " + dir.resolve("id") + "}\n"
                        + "    filesystems: {\"" + a + "<\": true}\n    snapshotting: {type: manual}\n"
                        + "    pruning:\n      keep_sender: [{type: regex, regex: '.*'}]\n"
                        + "      keep_receiver: [{type: last_n, count: 1}]\n");
        List<String> beforeA = pools.snapshotNames(a);
        // Creation has whole seconds: the new snapshot must be the newest.
        Thread.sleep(1100);

        Run once = zreplj("--config", config.toString(), "-v", "agent", "once", "--job", "snap", "--snapshot");

        assertEquals(0, once.exit(), once::toString);
        String fresh = taken(beforeA, pools.snapshotNames(a));
        assertEquals(
                "job snap: 2 filesystems, all ok; took snapshot @" + fresh + "; pruned 3 snapshots",
                once.out().lines().findFirst().orElse(""),
                once::toString);
        assertEquals(Set.of(PREFIX + "old2", "keep_me", fresh), Set.copyOf(pools.snapshotNames(a)), once::toString);
        assertEquals(List.of(fresh), pools.snapshotNames(b), once::toString);
        assertTrue(
                once.out()
                        .contains("  prune local " + a + ": kept by push job 'push''s replication cursor (its next"
                                + " incremental base) (no rule keeps it; never destroyed): @" + PREFIX + "old2\n"),
                once::toString);

        // zreplj prune covers snap jobs: nothing left for the rules to drop.
        Run dry = zreplj("--config", config.toString(), "prune", "--dry-run", "--job", "snap");
        assertEquals(0, dry.exit(), dry::toString);
        assertEquals(
                "job snap: prune plan (dry run), 2 filesystems, 0 to destroy",
                dry.out().lines().findFirst().orElse(""),
                dry::toString);

        // The same config's status would be CRITICAL for the push job that never ran; the snap job alone here.
        Path snapOnly = config("snap-only.yml", "");
        Run status = zreplj("--config", snapOnly.toString(), "status");
        assertEquals(0, status.exit(), status::toString);
        List<String> lines = status.out().lines().toList();
        assertTrue(
                lines.get(0).startsWith("ZREPLJ OK: 1 snap job, 2 filesystems snapshotted within 1d1h | '"),
                status::toString);
        assertTrue(lines.get(1).startsWith("snap job snap: OK, last run "), status::toString);
        assertTrue(lines.get(2).matches("  " + a + ": OK, newest snapshot \\d+s ago"), status::toString);

        // Stale by --warn: the newest snapshot's age is what a snap job's status judges.
        Thread.sleep(2100);
        Run stale = zreplj("--config", snapOnly.toString(), "status", "--warn", "2s", "--crit", "1h");
        assertEquals(1, stale.exit(), stale::toString);
        assertTrue(
                stale.out().startsWith("ZREPLJ WARNING: job snap " + a + ": newest snapshot created "),
                stale::toString);
    }

    @Test
    void anAdminsHoldFailsThePassAndStatusSaysSo() throws Exception {
        pools.snapshot(a, PREFIX + "held");
        pools.snapshot(a, PREFIX + "old");
        pools.zfs("hold", "admin", a + "@" + PREFIX + "held");
        Path config = config("zreplj.yml", "");
        Thread.sleep(1100);

        Run once = zreplj("--config", config.toString(), "--summary", "agent", "once", "--snapshot");

        assertEquals(1, once.exit(), once::toString);
        String fresh = taken(List.of(PREFIX + "held", PREFIX + "old"), pools.snapshotNames(a));
        assertEquals(Set.of(PREFIX + "held", fresh), Set.copyOf(pools.snapshotNames(a)), once::toString);
        List<String> lines = once.out().lines().toList();
        assertEquals("job snap: 2 filesystems, failed; took snapshot @" + fresh + "; pruned 1 snapshot", lines.get(0));
        // The log names what was pruned as it is: a snap job's filesystem, no sender.
        assertTrue(once.err().contains(" WARN  " + a + ": pruning it (snap job): "), once::toString);
        assertTrue(!once.err().contains("sender"), once::toString);
        assertTrue(
                lines.get(1).startsWith("  failed: prune: 1 destroy failed (local " + a + ": @" + PREFIX + "held: "),
                once::toString);

        Run status = zreplj("--config", config.toString(), "status");
        assertEquals(1, status.exit(), status::toString);
        assertTrue(
                status.out()
                        .startsWith("ZREPLJ WARNING: job snap: last pass failed: prune: 1 destroy failed (local " + a
                                + ": @" + PREFIX + "held: "),
                status::toString);

        // docs/monitoring.md: the job's series, the local pruning's counts per filesystem, no replication series.
        String metrics = Files.readString(dir.resolve("zreplj.prom"));
        for (String series : List.of(
                "zreplj_pass_failed{zreplj_job=\"snap\"} 1.0",
                "zreplj_stage_failures_total{stage=\"prune\",zreplj_job=\"snap\"} 1.0",
                "zreplj_pruned_snapshots_total{side=\"local\",zreplj_job=\"snap\"} 1.0",
                "zreplj_snapshots{filesystem=\"" + a + "\",side=\"local\",zreplj_job=\"snap\"} 2.0",
                "zreplj_snapshots{filesystem=\"" + b + "\",side=\"local\",zreplj_job=\"snap\"} 1.0")) {
            assertTrue(metrics.lines().anyMatch(series::equals), series + " in\n" + metrics);
        }
        assertTrue(
                metrics.lines().noneMatch(l -> l.startsWith("zreplj_replica") || l.startsWith("zreplj_filesystem_")),
                metrics);
        pools.zfs("release", "admin", a + "@" + PREFIX + "held");
    }

    /** agent run checks a snap job on its interval: each check snapshots when due and prunes by the rules. */
    @Test
    void agentRunSnapshotsAndPrunesOnTheJobsSchedule() throws Exception {
        Path config = dir.resolve("run.yml");
        Files.writeString(config, Files.readString(config("zreplj.yml", "")).replace("interval: 1h", "interval: 2s"));
        Path log = dir.resolve("agent-run.log");
        Process agent = new ProcessBuilder(launcher.toString(), "--config", config.toString(), "agent", "run")
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        java.util.Set<String> seen = new java.util.TreeSet<>();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
            while (seen.size() < 3 && System.nanoTime() < deadline) {
                seen.addAll(pools.snapshotNames(a));
                Thread.sleep(200);
            }
        } finally {
            agent.destroy();
            agent.waitFor(30, TimeUnit.SECONDS);
        }
        assertTrue(seen.size() >= 3, "snapshots seen: " + seen + "\n" + Files.readString(log));
        // last_n 1: each check's pruning left only its newest, also in the child.
        List<String> left = pools.snapshotNames(a);
        assertTrue(
                left.size() <= 2 && left.stream().allMatch(n -> n.startsWith(PREFIX)),
                left + "\n" + Files.readString(log));
        assertTrue(pools.snapshotNames(b).size() <= 2, pools.snapshotNames(b) + "\n" + Files.readString(log));
        Run status = zreplj("--config", config.toString(), "status");
        assertEquals(0, status.exit(), status + "\n" + Files.readString(log));
    }

    /**
     * A pre_snapshot hook longer than the schedule's slack (a database dump): zfs stamps the snapshot after it, and
     * the next slot, an interval after the round began, found the snapshot less than an interval old less the slack,
     * so it skipped that slot and the snapshots came two intervals apart. zrepl counts from the round's start.
     * Here 10 s (1 s of slack) with a 6 s hook: the second run starts 10 s after the first round began, when that
     * round's snapshot is 4 s old by its creation.
     */
    @Test
    void aPreSnapshotHookLongerThanTheSlackDoesNotSkipTheNextSlot() throws Exception {
        Path hook = dir.resolve("dump.sh");
        Files.writeString(hook, "#!/bin/sh\n[ \"$ZREPL_HOOKTYPE\" = pre_snapshot ] && sleep 6\nexit 0\n");
        Files.setPosixFilePermissions(hook, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        Path config = dir.resolve("hooked.yml");
        Files.writeString(
                config,
                Files.readString(config("zreplj.yml", ""))
                        .replace(
                                "interval: 1h}",
                                "interval: 10s, hooks: [{type: command, path: " + hook + ", filesystems: {\"" + a
                                        + "\": true}}]}"));

        Run first = zreplj("--config", config.toString(), "agent", "once", "--job", "snap");
        assertEquals(0, first.exit(), first::toString);
        List<String> after = pools.snapshotNames(a);
        String round = taken(List.of(), after);
        // The dense name is the round's start in UTC, to the second.
        java.time.Instant began = java.time.LocalDateTime.parse(
                        round.substring(PREFIX.length(), PREFIX.length() + 15),
                        java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd_HHmmss"))
                .toInstant(java.time.ZoneOffset.UTC);
        long created = Long.parseLong(pools.getParsable(a + "@" + round, "creation"));
        assertTrue(created - began.getEpochSecond() >= 6, "the snapshot was taken after the hook: " + created);
        Thread.sleep(Math.max(0, began.plusSeconds(10).toEpochMilli() - System.currentTimeMillis()));

        Run second = zreplj("--config", config.toString(), "agent", "once", "--job", "snap");
        assertEquals(0, second.exit(), second::toString);
        String next = taken(after, pools.snapshotNames(a));
        assertTrue(next.compareTo(round) > 0, next);
    }

    /**
     * A fatal pre_snapshot hook that fails on every filesystem: the round takes no snapshot, and zrepl waits an
     * interval before the next round. zreplj ran the round, and the hook, at every pass (under agent run, every
     * minute), as if none had been tried (the snapshotting audit). A pass between rounds says why none is taken;
     * the next round, once due, runs the hook again and, now that it succeeds, snapshots.
     */
    @Test
    void aRoundAFatalHookKeptFromEveryFilesystemIsRetriedAnIntervalLaterNotAtEveryPass() throws Exception {
        Path count = dir.resolve("pre-runs");
        Path ok = dir.resolve("hook-ok");
        Path hook = dir.resolve("lock.sh");
        Files.writeString(
                hook,
                "#!/bin/sh\n[ \"$ZREPL_HOOKTYPE\" = pre_snapshot ] || exit 0\necho \"$ZREPL_FS\" >> " + count
                        + "\n[ -e " + ok + " ] || { echo 'database not reachable'; exit 3; }\n");
        Files.setPosixFilePermissions(hook, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        Path config = dir.resolve("fatal.yml");
        Files.writeString(
                config,
                Files.readString(config("zreplj.yml", ""))
                        .replace(
                                "interval: 1h}",
                                "interval: 15s, hooks: [{type: command, path: " + hook + ", err_is_fatal: true}]}"));

        long began = System.currentTimeMillis();
        Run first = zreplj("--config", config.toString(), "agent", "once", "--job", "snap");
        assertEquals(1, first.exit(), first::toString);
        assertEquals(2, Files.readAllLines(count).size(), "the hook ran for a and a/b");
        assertEquals(
                List.of(),
                pools.snapshotNames(a).stream()
                        .filter(n -> n.startsWith(PREFIX))
                        .toList());

        Run second = zreplj("--config", config.toString(), "agent", "once", "--job", "snap");
        assertEquals(1, second.exit(), second::toString);
        assertEquals(2, Files.readAllLines(count).size(), "the hook did not run again: " + second);
        assertTrue(
                second.out().contains("was not taken, as that pass reported; the next round is due at "),
                second::toString);

        Files.writeString(ok, "");
        Thread.sleep(Math.max(0, began + 15_000 - System.currentTimeMillis()));
        Run third = zreplj("--config", config.toString(), "agent", "once", "--job", "snap");
        assertEquals(0, third.exit(), third::toString);
        assertEquals(4, Files.readAllLines(count).size(), third::toString);
        taken(List.of(), pools.snapshotNames(a));

        Run fourth = zreplj("--config", config.toString(), "agent", "once", "--job", "snap");
        assertEquals(0, fourth.exit(), fourth::toString);
        assertEquals(4, Files.readAllLines(count).size(), fourth::toString);
    }
}
