package dev.zreplj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.agent.PushPass;
import dev.zreplj.config.ConfigLoader;
import dev.zreplj.config.PushJob;
import dev.zreplj.replication.Progress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

class JobLoopsTest {
    @TempDir
    Path dir;

    private List<PushJob> jobs(String... names) throws Exception {
        return jobsEvery("1s", names);
    }

    private List<PushJob> jobsEvery(String interval, String... names) throws Exception {
        StringBuilder yaml = new StringBuilder("jobs:\n");
        for (String name : names) {
            yaml.append("""
                      - name: %s
                        type: push
                        connect:
                          type: ssh+stdinserver
                          host: backup.example.org
                          user: zreplj
                          identity_file: /etc/zreplj/ssh/identity
                        filesystems: {"rpool/%s<": true}
                        snapshotting:
                          type: periodic
                          prefix: zrepl_
                          interval: %s
                        pruning:
                          keep_sender:
                            - type: not_replicated
                          keep_receiver:
                            - type: last_n
                              count: 24
                    """.formatted(name, name, interval));
        }
        Path file = dir.resolve("zreplj.yml");
        Files.writeString(file, yaml.toString());
        return new ConfigLoader().load(file).pushJobs();
    }

    private static PushPass.Result nothing(dev.zreplj.config.Job job) {
        return new PushPass.Result(job.name(), Optional.empty(), List.of(), null);
    }

    /** zrepl runs its jobs independently; a first send of days in one job must not stop another's schedule. */
    @Test
    @Timeout(30)
    void aLongPassOfOneJobDoesNotHoldBackTheOthersChecks() throws Exception {
        CountDownLatch slowStarted = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        Map<String, AtomicInteger> checks = new ConcurrentHashMap<>();
        CountDownLatch fastChecked = new CountDownLatch(3);
        JobLoops loops = new JobLoops(
                (job, connect, progress) -> {
                    checks.computeIfAbsent(job.name(), k -> new AtomicInteger()).incrementAndGet();
                    if (job.name().equals("slow")) {
                        slowStarted.countDown();
                        release.await();
                    } else {
                        fastChecked.countDown();
                    }
                    return nothing(job);
                },
                (result, took) -> {},
                Progress::quiet,
                () -> {});
        AtomicReference<Exception> ended = new AtomicReference<>();
        Thread agent = new Thread(() -> {
            try {
                loops.run(jobs("slow", "fast"));
            } catch (Exception e) {
                ended.set(e);
            }
        });
        agent.start();
        try {
            assertTrue(slowStarted.await(10, TimeUnit.SECONDS));
            assertTrue(
                    fastChecked.await(10, TimeUnit.SECONDS),
                    "job fast checked " + checks.get("fast") + " times while slow's pass ran");
            assertEquals(1, checks.get("slow").get());
        } finally {
            release.countDown();
            agent.interrupt();
            agent.join(10_000);
        }
        assertTrue(ended.get() instanceof InterruptedException, () -> String.valueOf(ended.get()));
    }

    /**
     * docs/cli.md: each job on its own. A bug one job's pass runs into failed every job's loop, ending another's
     * send of hours with it; it is now that job's failed pass, reported (so its status says so) and retried.
     */
    @Test
    @Timeout(30)
    void aPassThatThrowsFailsThatJobOnlyAndIsReported() throws Exception {
        CountDownLatch fineChecked = new CountDownLatch(3);
        CountDownLatch brokenReported = new CountDownLatch(2);
        List<String> errors = new java.util.concurrent.CopyOnWriteArrayList<>();
        JobLoops loops = new JobLoops(
                (job, connect, progress) -> {
                    if (job.name().equals("broken")) {
                        throw new IllegalStateException("a bug");
                    }
                    fineChecked.countDown();
                    return nothing(job);
                },
                (result, took) -> {
                    if (result.job().equals("broken")) {
                        errors.add(result.error());
                        brokenReported.countDown();
                    }
                },
                Progress::quiet,
                () -> {});
        AtomicReference<Exception> ended = new AtomicReference<>();
        Thread agent = new Thread(() -> {
            try {
                loops.run(jobs("fine", "broken"));
            } catch (Exception e) {
                ended.set(e);
            }
        });
        agent.start();
        try {
            assertTrue(fineChecked.await(10, TimeUnit.SECONDS), "job fine went on being checked");
            assertTrue(brokenReported.await(10, TimeUnit.SECONDS), "job broken's failures were reported: " + errors);
            assertEquals("unexpected error: java.lang.IllegalStateException: a bug", errors.get(0));
        } finally {
            agent.interrupt();
            agent.join(10_000);
        }
        assertTrue(ended.get() instanceof InterruptedException, () -> String.valueOf(ended.get()));
    }

    /** An Error (out of memory) still ends the agent: systemd restarts it with a fresh heap. */
    @Test
    @Timeout(30)
    void anErrorEndsTheAgent() throws Exception {
        JobLoops loops = new JobLoops(
                (job, connect, progress) -> {
                    if (job.name().equals("broken")) {
                        throw new OutOfMemoryError("test");
                    }
                    return nothing(job);
                },
                (result, took) -> {},
                Progress::quiet,
                () -> {});
        java.util.concurrent.ExecutionException e =
                assertThrows(java.util.concurrent.ExecutionException.class, () -> loops.run(jobs("fine", "broken")));
        assertTrue(e.getCause() instanceof OutOfMemoryError, e::toString);
    }

    /**
     * A laptop off its network: every check connected and logged its failure, about 180 journal lines an hour. The
     * retries now come 1, 2, 4, 8 and then every 15 checks' minutes apart; checks between them snapshot as due and
     * connect only after a snapshot of their own.
     */
    @Test
    void theWaitBetweenRetriesDoublesUpToFifteenMinutes() {
        Duration minute = Duration.ofMinutes(1);
        List<Duration> waits = java.util.stream.IntStream.rangeClosed(1, 7)
                .mapToObj(n -> JobLoops.retryWait(minute, n))
                .toList();
        assertEquals(
                List.of(1L, 2L, 4L, 8L, 15L, 15L, 15L),
                waits.stream().map(Duration::toMinutes).toList());
        assertEquals(Duration.ofSeconds(40), JobLoops.retryWait(Duration.ofSeconds(10), 3));
        assertEquals(Duration.ofMinutes(15), JobLoops.retryWait(Duration.ofSeconds(10), 9));
        assertEquals(Duration.ofMinutes(15), JobLoops.retryWait(minute, Integer.MAX_VALUE));
    }

    @Test
    @Timeout(60)
    void aFailingJobIsRetriedLessOftenAndOnlyItsRetriesAreReported() throws Exception {
        List<PushPass.Connect> checks = new java.util.concurrent.CopyOnWriteArrayList<>();
        List<PushPass.Connect> reported = new java.util.concurrent.CopyOnWriteArrayList<>();
        CountDownLatch done = new CountDownLatch(1);
        // Checks 1s apart: fail the retries until the fourth, then succeed; then one more check.
        JobLoops loops = new JobLoops(
                (job, connect, progress) -> {
                    checks.add(connect);
                    long retries = checks.stream()
                            .filter(c -> c == PushPass.Connect.ALWAYS)
                            .count();
                    if (connect == PushPass.Connect.WHEN_UNREPLICATED) {
                        done.countDown();
                        return nothing(job);
                    }
                    if (connect == PushPass.Connect.ALWAYS && retries < 4) {
                        return new PushPass.Result(job.name(), Optional.empty(), List.of(), "connect: refused");
                    }
                    // A check waiting to retry that takes no snapshot does not connect: an empty result.
                    return nothing(job);
                },
                (result, took) -> reported.add(checks.get(checks.size() - 1)),
                Progress::quiet,
                () -> {});
        runUntil(loops, done, 50, checks);
        PushPass.Connect a = PushPass.Connect.ALWAYS;
        PushPass.Connect s = PushPass.Connect.AFTER_SNAPSHOT;
        // Failed at 0 (retry 1 check later), 1 (2 later), 3 (4 later); succeeded at 7.
        assertEquals(List.of(a, a, s, a, s, s, s, a, PushPass.Connect.WHEN_UNREPLICATED), checks);
        assertEquals(List.of(a, a, a, a), reported);
    }

    /**
     * A check waiting to retry does not connect unless it took a snapshot; one that fails on its own (a full pool:
     * every snapshot fails; a pool the filter names not imported) counted as a failed pass and moved the retry an
     * interval on from itself, every check, so the retry never came: nothing was replicated or pruned again, and
     * the journal had a failed summary every minute. The retries come as for any failed pass.
     */
    @Test
    @Timeout(60)
    void checksThatFailWithoutConnectingDoNotPutTheRetryOff() throws Exception {
        List<PushPass.Connect> checks = new java.util.concurrent.CopyOnWriteArrayList<>();
        List<PushPass.Connect> reported = new java.util.concurrent.CopyOnWriteArrayList<>();
        CountDownLatch done = new CountDownLatch(4);
        JobLoops loops = new JobLoops(
                (job, connect, progress) -> {
                    checks.add(connect);
                    if (connect == PushPass.Connect.ALWAYS) {
                        done.countDown();
                    }
                    // Every check's snapshot fails; a retry goes on to connect, and is refused.
                    return new PushPass.Result(
                            job.name(),
                            Optional.empty(),
                            List.of(),
                            connect == PushPass.Connect.ALWAYS ? "connect: refused" : null,
                            List.of(),
                            null,
                            List.of("snapshot: zfs snapshot: out of space"));
                },
                (result, took) -> reported.add(checks.get(checks.size() - 1)),
                Progress::quiet,
                () -> {});
        runUntil(loops, done, 20, checks);
        PushPass.Connect a = PushPass.Connect.ALWAYS;
        PushPass.Connect s = PushPass.Connect.AFTER_SNAPSHOT;
        assertEquals(List.of(a, a, s, a, s, s, s, a), checks);
        assertEquals(List.of(a, a, a, a), reported);
    }

    /**
     * The monotonic clock the waits are counted on stands still while a laptop is suspended: one that failed for an
     * hour before it slept would wait out its 15 minutes after waking on a new network. It tries at once.
     */
    @Test
    @Timeout(30)
    void theFirstCheckAfterASuspendRetriesAtOnce() throws Exception {
        List<PushPass.Connect> checks = new java.util.concurrent.CopyOnWriteArrayList<>();
        java.util.concurrent.atomic.AtomicLong slept = new java.util.concurrent.atomic.AtomicLong();
        CountDownLatch done = new CountDownLatch(1);
        JobLoops loops = new JobLoops(
                (job, connect, progress) -> {
                    checks.add(connect);
                    if (checks.size() == 4) {
                        // Between the fourth check and the fifth the machine sleeps an hour.
                        slept.set(Duration.ofHours(1).toMillis());
                    }
                    if (connect == PushPass.Connect.WHEN_UNREPLICATED) {
                        done.countDown();
                        return nothing(job);
                    }
                    if (connect == PushPass.Connect.ALWAYS && checks.size() < 5) {
                        return new PushPass.Result(job.name(), Optional.empty(), List.of(), "connect: refused");
                    }
                    return nothing(job);
                },
                (result, took) -> {},
                Progress::quiet,
                () -> {},
                () -> System.currentTimeMillis() + slept.get());
        runUntil(loops, done, 20, checks);
        PushPass.Connect a = PushPass.Connect.ALWAYS;
        // Failed at 0, 1 and 3 (the next retry due at 7); woke before 4, which retried and succeeded.
        assertEquals(List.of(a, a, PushPass.Connect.AFTER_SNAPSHOT, a, a, PushPass.Connect.WHEN_UNREPLICATED), checks);
    }

    /** A snapshot taken while waiting to retry is sent at once (zrepl replicates after each snapshot). */
    @Test
    @Timeout(30)
    void aCheckWaitingToRetryThatSendsASnapshotEndsTheWait() throws Exception {
        List<PushPass.Connect> checks = new java.util.concurrent.CopyOnWriteArrayList<>();
        CountDownLatch done = new CountDownLatch(1);
        JobLoops loops = new JobLoops(
                (job, connect, progress) -> {
                    checks.add(connect);
                    if (checks.size() <= 2) {
                        return new PushPass.Result(job.name(), Optional.empty(), List.of(), "connect: refused");
                    }
                    if (connect == PushPass.Connect.AFTER_SNAPSHOT) {
                        return new PushPass.Result(
                                job.name(),
                                Optional.of("zrepl_x"),
                                List.of(new dev.zreplj.replication.FilesystemResult(
                                        new dev.zreplj.zfs.DatasetName("rpool/laptop"),
                                        dev.zreplj.replication.FilesystemResult.Outcome.REPLICATED,
                                        1,
                                        100,
                                        null)),
                                null);
                    }
                    if (connect == PushPass.Connect.WHEN_UNREPLICATED) {
                        done.countDown();
                    }
                    return nothing(job);
                },
                (result, took) -> {},
                Progress::quiet,
                () -> {});
        runUntil(loops, done, 20, checks);
        assertEquals(
                List.of(
                        PushPass.Connect.ALWAYS,
                        PushPass.Connect.ALWAYS,
                        PushPass.Connect.AFTER_SNAPSHOT,
                        PushPass.Connect.WHEN_UNREPLICATED),
                checks);
    }

    /**
     * A check wakes for the job's next snapshot round when it comes before the next minute's check, as zrepl's
     * snapshotter sleeps until it: on the minute alone a 70 s interval came every 120 s and a cron time up to a
     * minute late (the snapshotting audit). Here an hourly job (checks a minute apart) whose pass says the next round
     * is 1.5 s away.
     */
    @Test
    @Timeout(30)
    void aCheckWakesForTheNextRoundBeforeTheNextMinute() throws Exception {
        List<Long> at = new java.util.concurrent.CopyOnWriteArrayList<>();
        CountDownLatch done = new CountDownLatch(1);
        JobLoops loops = new JobLoops(
                (job, connect, progress) -> {
                    at.add(System.nanoTime());
                    if (at.size() == 2) {
                        done.countDown();
                    }
                    return new PushPass.Result(
                            job.name(),
                            Optional.empty(),
                            List.of(),
                            null,
                            List.of(),
                            null,
                            List.of(),
                            List.of(),
                            java.util.Map.of(),
                            List.of(),
                            Optional.empty(),
                            Optional.empty(),
                            Optional.of(java.time.Instant.now().plusMillis(1500)));
                },
                (result, took) -> {},
                Progress::quiet,
                () -> {});
        List<PushJob> hourly = jobsEvery("1h", "laptop");
        assertEquals(JobLoops.MAX_TICK, JobLoops.tick(hourly.get(0)));
        runUntil(loops, hourly, done, 10, at);
        long apart = at.get(1) - at.get(0);
        assertTrue(apart >= 1_400_000_000L && apart < 5_000_000_000L, "checks " + apart / 1_000_000 + " ms apart");
    }

    /** Runs job laptop's loop until {@code done}, then interrupts it. */
    private void runUntil(JobLoops loops, CountDownLatch done, int seconds, List<PushPass.Connect> checks)
            throws Exception {
        runUntil(loops, jobs("laptop"), done, seconds, checks);
    }

    /** Runs {@code jobs}' loops until {@code done}, then interrupts them; {@code checks} for the failure message. */
    private static void runUntil(JobLoops loops, List<PushJob> jobs, CountDownLatch done, int seconds, List<?> checks)
            throws Exception {
        Thread agent = new Thread(() -> {
            try {
                loops.run(jobs);
            } catch (Exception e) {
                // interrupted at the end
            }
        });
        agent.start();
        try {
            assertTrue(done.await(seconds, TimeUnit.SECONDS), "checks: " + checks);
        } finally {
            agent.interrupt();
            agent.join(10_000);
        }
    }

    @Test
    void aJobChecksEveryMinuteOrEveryIntervalIfShorter() throws Exception {
        assertEquals(Duration.ofSeconds(1), JobLoops.tick(jobs("a").get(0)));
        assertEquals(
                JobLoops.MAX_TICK,
                JobLoops.tick(new ConfigLoader()
                        .load(writeConfig(TestConfigs.PUSH_AND_SINK))
                        .pushJobs()
                        .get(0)));
    }

    private Path writeConfig(String yaml) throws Exception {
        Path file = dir.resolve("other.yml");
        Files.writeString(file, yaml);
        return file;
    }

    /**
     * A snap job's check has no filesystem results (nothing is replicated): one that took a snapshot or pruned must
     * be reported all the same (its summary, status file and metrics), while one that did nothing is not.
     */
    @Test
    @Timeout(30)
    void aCheckWithoutFilesystemResultsIsReportedWhenItTookASnapshotOrPruned() throws Exception {
        AtomicInteger check = new AtomicInteger();
        List<String> reported = new java.util.concurrent.CopyOnWriteArrayList<>();
        CountDownLatch done = new CountDownLatch(1);
        JobLoops loops = new JobLoops(
                (job, connect, progress) -> {
                    int n = check.incrementAndGet();
                    if (n == 1) {
                        return nothing(job); // the first check, always reported
                    }
                    if (n == 2) {
                        return new PushPass.Result(
                                job.name(), Optional.of("zrepl_2"), List.of(), null, List.of(), null, List.of());
                    }
                    if (n == 3) {
                        return new PushPass.Result(
                                job.name(),
                                Optional.empty(),
                                List.of(),
                                null,
                                List.of(),
                                new dev.zreplj.prune.PruneReport(false, List.of(), null, null),
                                List.of());
                    }
                    if (n == 5) {
                        done.countDown();
                    }
                    return nothing(job);
                },
                (result, took) -> reported.add(result.snapshotTaken().orElse(result.prune() != null ? "pruned" : "-")),
                Progress::quiet,
                () -> {});
        Thread agent = new Thread(() -> {
            try {
                loops.run(jobs("snap"));
            } catch (Exception e) {
                // interrupted at the end
            }
        });
        agent.start();
        try {
            assertTrue(done.await(20, TimeUnit.SECONDS));
        } finally {
            agent.interrupt();
            agent.join(10_000);
        }
        assertEquals(List.of("-", "zrepl_2", "pruned"), reported);
    }
}
