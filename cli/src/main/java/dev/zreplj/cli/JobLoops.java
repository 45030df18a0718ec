package dev.zreplj.cli;

import dev.zreplj.agent.PushPass;
import dev.zreplj.config.Durations;
import dev.zreplj.config.Job;
import dev.zreplj.config.Snapshotting;
import dev.zreplj.replication.Progress;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionService;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * agent run's schedule: each job checks on a thread of its own, as zrepl runs its jobs, so that one job's
 * long first send or stalled step does not hold back another's snapshots and checks. A job checks every
 * minute (or every interval, if shorter), counted from the start of its last check, and at the time its next
 * snapshot round comes when that is sooner; a check that ran longer is followed at once by the next. A job whose
 * last pass failed is retried at the next check, and after that with the wait doubled each time up to
 * {@link #MAX_RETRY_WAIT} (zrepl retries at its next snapshot): a laptop off its network for a day otherwise
 * connected and logged its failure every minute. A check that takes a snapshot meanwhile tries at once, as zrepl
 * replicates after each snapshot, and so does the first check after the machine woke from a suspend.
 */
final class JobLoops {
    private static final Logger log = LoggerFactory.getLogger(JobLoops.class);

    static final Duration MAX_TICK = Duration.ofMinutes(1);
    static final Duration MAX_RETRY_WAIT = Duration.ofMinutes(15);

    /** One pass of a job, connecting to the box as {@code connect} says. */
    interface Passes {
        PushPass.Result run(Job job, PushPass.Connect connect, Progress progress) throws InterruptedException;
    }

    /** What becomes of a pass worth reporting (a retried or failed one, or one that did something). */
    interface Reports {
        void report(PushPass.Result result, Duration took);
    }

    private final Passes passes;
    private final Reports reports;
    private final Supplier<Progress> progress;
    private final Runnable whileIdle;
    /** The one progress line a terminal has belongs to one pass at a time; the others draw none. */
    private final Semaphore screen = new Semaphore(1);

    private final AtomicInteger running = new AtomicInteger();
    private final LongSupplier wallMillis;

    /** How long after its time a round's check starts: past it by the wall clock, whatever the two clocks' grain. */
    static final Duration ROUND_MARGIN = Duration.ofMillis(50);

    /** Wall-clock time that passed beyond the monotonic clock's: the machine was suspended meanwhile. */
    static final Duration WOKE = Duration.ofMinutes(1);

    /**
     * @param progress a progress display for a pass (TerminalScreen's for the output mode)
     * @param whileIdle run after a pass that was reported, when no other pass is running
     */
    JobLoops(Passes passes, Reports reports, Supplier<Progress> progress, Runnable whileIdle) {
        this(passes, reports, progress, whileIdle, System::currentTimeMillis);
    }

    /** @param wallMillis the wall clock, whose jumps past the monotonic one tell that the machine slept */
    JobLoops(Passes passes, Reports reports, Supplier<Progress> progress, Runnable whileIdle, LongSupplier wallMillis) {
        this.passes = passes;
        this.reports = reports;
        this.progress = progress;
        this.whileIdle = whileIdle;
        this.wallMillis = wallMillis;
    }

    static Duration tick(Job job) {
        Snapshotting s = AgentJobs.snapshotting(job);
        return s.type() == Snapshotting.Type.PERIODIC && s.interval().compareTo(MAX_TICK) < 0 ? s.interval() : MAX_TICK;
    }

    /**
     * Runs every job's checks until interrupted. A pass that throws fails that job's pass only; an Error (out of
     * memory) ends all, thrown.
     */
    void run(List<? extends Job> jobs) throws Exception {
        AtomicInteger n = new AtomicInteger();
        ExecutorService pool =
                Executors.newFixedThreadPool(jobs.size(), r -> new Thread(r, "job-" + n.getAndIncrement()));
        try {
            CompletionService<Void> loops = new ExecutorCompletionService<>(pool);
            for (Job job : jobs) {
                loops.submit(() -> {
                    loop(job);
                    return null;
                });
            }
            try {
                // A loop ends only by an exception (or an interrupt, which ends them all).
                loops.take().get();
            } catch (ExecutionException e) {
                if (e.getCause() instanceof Exception cause) {
                    throw cause;
                }
                throw e;
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /** Nanoseconds from now, by the wall clock, to {@code at} (negative when it has passed); saturated, not wrapped. */
    private long untilNanos(Instant at) {
        long millis = at.toEpochMilli() - wallMillis.getAsLong();
        return millis > Long.MAX_VALUE / 1_000_000 ? Long.MAX_VALUE : millis * 1_000_000;
    }

    /** How long after the start of the {@code failures}th failed pass in a row the next retry is due. */
    static Duration retryWait(Duration tick, int failures) {
        Duration wait = tick;
        for (int i = 1; i < failures && wait.compareTo(MAX_RETRY_WAIT) < 0; i++) {
            wait = wait.multipliedBy(2);
        }
        return wait.compareTo(MAX_RETRY_WAIT) > 0 ? MAX_RETRY_WAIT : wait;
    }

    private void loop(Job job) throws InterruptedException {
        Duration every = tick(job);
        long tick = every.toNanos();
        // The first check is a full pass: it reports where the job stands.
        boolean healthy = false;
        int failures = 0;
        long retryAt = System.nanoTime();
        long next = retryAt;
        long lastWall = wallMillis.getAsLong();
        long lastMono = retryAt;
        while (!Thread.currentThread().isInterrupted()) {
            // Waits are counted in checks from the check's schedule, not from when its thread woke up.
            long scheduled = next;
            long started = System.nanoTime();
            long wall = wallMillis.getAsLong();
            // The monotonic clock stands still while the machine is suspended: a laptop that failed for an hour
            // before it slept would wait out its 15 minutes after it woke (on a new network). It tries at once.
            if ((wall - lastWall) - (started - lastMono) / 1_000_000 > WOKE.toMillis()) {
                retryAt = scheduled;
            }
            lastWall = wall;
            lastMono = started;
            PushPass.Connect connect = healthy
                    ? PushPass.Connect.WHEN_UNREPLICATED
                    : scheduled - retryAt >= 0 ? PushPass.Connect.ALWAYS : PushPass.Connect.AFTER_SNAPSHOT;
            PushPass.Result result;
            boolean drawn = screen.tryAcquire();
            running.incrementAndGet();
            try (Progress p = drawn ? progress.get() : Progress.quiet();
                    PassStopNotice stop = PassStopNotice.during(job.name(), p)) {
                result = passes.run(job, connect, p);
            } catch (RuntimeException e) {
                // Each job on its own: a bug that one job's pass runs into must not end the agent, and with it
                // another job's send of hours; it fails this job's pass (in its status), retried as any failed pass.
                log.error("job {}: the pass ended with an unexpected error: {}", job.name(), e.toString());
                log.debug("job {}: unexpected error", job.name(), e);
                result = new PushPass.Result(job.name(), Optional.empty(), List.of(), "unexpected error: " + e);
            } finally {
                running.decrementAndGet();
                if (drawn) {
                    screen.release();
                }
            }
            // A check waiting to retry that took no snapshot neither connected nor pruned: its own failure (every
            // snapshot failing on a full pool) is the next retry's to report, which takes a snapshot too; counted
            // here, it moved the retry on from each such check, and the retry never came.
            boolean waited = connect == PushPass.Connect.AFTER_SNAPSHOT
                    && result.snapshotTaken().isEmpty()
                    && result.prune() == null;
            // A check that found nothing to send (or waited to retry) has no filesystems: nothing to report. A snap
            // job's check has none either way: it reports a snapshot it took or a prune that destroyed something.
            if (!waited
                    && (connect == PushPass.Connect.ALWAYS
                            || result.failed()
                            || !result.filesystems().isEmpty()
                            || result.snapshotTaken().isPresent()
                            || result.prune() != null)) {
                synchronized (this) {
                    // One at a time: the summaries on stdout, the status and counters files, the textfile.
                    try {
                        reports.report(result, Duration.ofNanos(System.nanoTime() - started));
                    } catch (RuntimeException e) {
                        log.error("job {}: reporting its pass failed: {}", job.name(), e.toString());
                        log.debug("job {}: reporting failed", job.name(), e);
                    }
                }
                healthy = !result.failed();
                if (healthy) {
                    failures = 0;
                } else {
                    failures++;
                    Duration wait = retryWait(every, failures);
                    retryAt = scheduled + wait.toNanos();
                    // A warning, or under systemd (warnings only) nobody would learn why the retries thinned out;
                    // only while the wait grows, so an outage of days costs a few lines, not one per retry.
                    if (wait.compareTo(every) > 0 && !wait.equals(retryWait(every, failures - 1))) {
                        log.warn(
                                "job {}: {} failed passes in a row; retrying {} {}, or after the next snapshot it"
                                        + " takes",
                                job.name(),
                                failures,
                                wait.equals(MAX_RETRY_WAIT) ? "every" : "in",
                                Durations.format(wait));
                    }
                }
                if (running.get() == 0) {
                    whileIdle.run();
                }
            }
            next += tick;
            long wait = next - System.nanoTime();
            // The job's next snapshot round is waited for, as zrepl's snapshotter sleeps until it: on the checks alone
            // a 70 s interval came every 120 s, a 5m30s one every 5 minutes, a cron time up to a minute late.
            Optional<Instant> round = result.nextRound();
            if (round.isPresent()) {
                long untilRound = untilNanos(round.get()) + ROUND_MARGIN.toNanos();
                if (untilRound > 0 && untilRound < wait) {
                    next = System.nanoTime() + untilRound;
                    wait = untilRound;
                }
            }
            if (wait <= 0) {
                next = System.nanoTime();
            } else {
                Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
            }
        }
    }
}
