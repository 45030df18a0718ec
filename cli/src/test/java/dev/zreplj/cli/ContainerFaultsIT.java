package dev.zreplj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The faults a real network brings (issue 16), with the box in its own container ({@link BoxContainer})
 * and the agent on this host as a user runs it (the built launcher, a zfs-fuse source pool): the link
 * cut mid-stream, the box frozen past {@code replication.timeout}, the box restarted mid-stream, the
 * box's pool full, two boxes for one agent. Each checks the faulted pass's exit code, message and
 * duration, that no snapshot on either side is lost (names and guids), and that the next pass completes
 * (zfs-fuse cannot resume: it sends the step again), so no stale lock or hold blocks it.
 */
@Tag("container")
class ContainerFaultsIT {
    /** replication.timeout of the faulted passes. */
    private static final int TIMEOUT = 5;
    /**
     * What a faulted pass may take beyond the timeout: on a box that does not answer, opening a channel
     * for pruning waits one more replication.timeout; 15 s more for JVM starts on a loaded machine.
     */
    private static final int MARGIN = TIMEOUT + 15;

    private static final long POOL_BYTES = 128L << 20;
    /** The stream is held to 1 MiB/s so that a fault lands mid-stream: 4 MiB take 4 s. */
    private static final String SLOW = "    send:\n      bandwidth_limit:\n        max: 1 MiB\n";

    private static final String FAULTY = "    replication:\n      timeout: " + TIMEOUT + "s\n      attempts: 1\n";

    @TempDir
    Path tmp;

    /** The source's snapshot lines as the box names them: the jail's copy with the same guids. */
    private static String onBox(ContainerLaptop laptop, String sourceLines) {
        return sourceLines.replace(laptop.home.value() + "@", BoxContainer.JAIL.child(laptop.home.value()) + "@");
    }

    /** Every line of expected is in actual (the box may hold more than one side sent, never less). */
    private static void assertHolds(String what, String expected, String actual) {
        for (String line : expected.lines().toList()) {
            assertTrue(actual.contains(line + "\n"), () -> what + " lost " + line + ":\n" + actual);
        }
    }

    /**
     * A first full push (healthy), then 4 MiB more and a faulted pass with {@code --snapshot}: returns
     * the faulted pass after {@code fault} ran once the box receives. Checks that the first push arrived.
     */
    private static ContainerLaptop.Pass faultedPass(
            ContainerLaptop laptop, BoxContainer box, String fault, Fault inject) throws Exception {
        Path healthy = laptop.config("healthy", "", box);
        laptop.pools.writeRandomFile(laptop.home, "a.bin", 1 << 20);
        ContainerLaptop.Pass first = laptop.run(healthy, "first", 120, "agent", "once", "--snapshot");
        assertEquals(0, first.exit(), first::toString);
        assertHolds(
                "the first push",
                onBox(laptop, laptop.snapshotsWithGuids()),
                box.snapshotsWithGuids(BoxContainer.JAIL));

        laptop.pools.writeRandomFile(laptop.home, "b.bin", 4 << 20);
        Path faulty = laptop.config("faulty", SLOW + FAULTY, box);
        Path log = laptop.dir.resolve("faulted.log");
        long t0 = System.nanoTime();
        Process agent = laptop.start(faulty, log, "agent", "once", "--snapshot");
        box.awaitReceive(agent, Duration.ofSeconds(60), log);
        Thread.sleep(500);
        long faultAt = System.nanoTime();
        inject.inject();
        ContainerLaptop.Pass pass = ContainerLaptop.finish(agent, log, t0, TIMEOUT + MARGIN + 60);
        double fromFault = (System.nanoTime() - faultAt) / 1e9;
        System.out.printf(
                "%s: the faulted pass ended %.1f s after the fault (whole pass %.1f s); its output:%n%s",
                fault, fromFault, pass.seconds(), pass.output());
        assertTrue(
                fromFault <= TIMEOUT + MARGIN,
                () -> fault + ": the pass ended " + fromFault + " s after the fault, not within " + (TIMEOUT + MARGIN)
                        + " s: " + pass);
        return pass;
    }

    @FunctionalInterface
    private interface Fault {
        void inject() throws Exception;
    }

    /** The next pass on the healthy config completes, and the box holds every source snapshot with its guid. */
    private static void nextPassCompletes(
            ContainerLaptop laptop, BoxContainer box, String sourceBefore, String boxBefore) throws Exception {
        String source = laptop.snapshotsWithGuids();
        assertHolds("the source", sourceBefore, source);
        assertHolds("the box", boxBefore, box.snapshotsWithGuids(BoxContainer.JAIL));
        ContainerLaptop.Pass next = laptop.run(laptop.dir.resolve("healthy.yml"), "next", 120, "agent", "once");
        System.out.printf("the next pass: exit %d after %.1f s%n", next.exit(), next.seconds());
        assertEquals(0, next.exit(), next::toString);
        assertTrue(next.output().contains(laptop.home.value() + ": replicated 1 step,"), next::toString);
        assertEquals(source, laptop.snapshotsWithGuids(), "the next pass destroyed nothing on the source");
        assertHolds("the box after the next pass", onBox(laptop, source), box.snapshotsWithGuids(BoxContainer.JAIL));
    }

    private static void assertFaultedPass(ContainerLaptop laptop, ContainerLaptop.Pass pass) {
        assertEquals(1, pass.exit(), pass::toString);
        assertTrue(pass.output().contains(laptop.home.value() + ": failed"), pass::toString);
    }

    /** The link went (cut, or the box's sshd ended): the step says so, not that the box stalled. */
    private static void assertConnectionLost(ContainerLaptop laptop, ContainerLaptop.Pass pass) {
        assertTrue(
                pass.output()
                        .contains(laptop.home.value()
                                + ": failed after 0 steps: connection to the backup box lost during step "),
                pass::toString);
    }

    /** Waits until no zfs recv runs in the box: the box's side of the cut pass has ended. */
    private static void settle(BoxContainer box) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (box.receiving()) {
            assertTrue(System.nanoTime() < deadline, "zfs recv still runs in the box 60 s after the fault");
            Thread.sleep(100);
        }
    }

    @Test
    void theLinkCutMidStreamFailsThePassAndTheNextPassSendsAgain() throws Exception {
        try (ContainerLaptop laptop = new ContainerLaptop(tmp.resolve("laptop"));
                BoxContainer box = new BoxContainer(tmp.resolve("box"), laptop.pub(), POOL_BYTES)) {
            String network = box.networkName();
            String[] before = new String[2];
            ContainerLaptop.Pass pass = faultedPass(laptop, box, "link cut", () -> {
                before[0] = laptop.snapshotsWithGuids();
                box.disconnect();
            });
            try {
                assertFaultedPass(laptop, pass);
                assertConnectionLost(laptop, pass);
                // pruning tried a new session (refused while the link is cut), not a channel on the dead one
                assertTrue(
                        pass.output()
                                .contains("prune receiver: skipped: every channel to the backup box was cut and a new"
                                        + " one failed: ssh: cannot connect to root@127.0.0.1:" + box.port()),
                        pass::toString);
            } finally {
                box.connect(network);
            }
            box.awaitSsh(Duration.ofSeconds(30));
            settle(box);
            nextPassCompletes(laptop, box, before[0], box.snapshotsWithGuids(BoxContainer.JAIL));
        }
    }

    @Test
    void theBoxFrozenPastTheTimeoutIsCutAndTheNextPassSendsAgain() throws Exception {
        try (ContainerLaptop laptop = new ContainerLaptop(tmp.resolve("laptop"));
                BoxContainer box = new BoxContainer(tmp.resolve("box"), laptop.pub(), POOL_BYTES)) {
            String[] before = new String[2];
            ContainerLaptop.Pass pass;
            try {
                pass = faultedPass(laptop, box, "box frozen", () -> {
                    before[0] = laptop.snapshotsWithGuids();
                    before[1] = box.snapshotsWithGuids(BoxContainer.JAIL);
                    box.pause();
                });
            } finally {
                box.unpause();
            }
            assertFaultedPass(laptop, pass);
            assertTrue(pass.output().contains(": stalled: no progress for " + TIMEOUT + "s at "), pass::toString);
            assertTrue(pass.seconds() >= TIMEOUT, pass::toString);
            // The pruning channel waits replication.timeout too, not a fixed 30 s.
            assertTrue(
                    pass.output()
                            .contains("prune receiver: skipped: every channel to the backup box was cut and a new one"
                                    + " failed: ssh: root@127.0.0.1:" + box.port() + " did not open a channel for"
                                    + " 'zreplj stdinserver' within " + TIMEOUT + "s; cancelled"),
                    pass::toString);
            settle(box);
            nextPassCompletes(laptop, box, before[0], before[1]);
        }
    }

    @Test
    void theBoxRestartedMidStreamComesBackAndTheNextPassSendsAgain() throws Exception {
        try (ContainerLaptop laptop = new ContainerLaptop(tmp.resolve("laptop"));
                BoxContainer box = new BoxContainer(tmp.resolve("box"), laptop.pub(), POOL_BYTES)) {
            String[] before = new String[2];
            ContainerLaptop.Pass pass = faultedPass(laptop, box, "box restarted", () -> {
                before[0] = laptop.snapshotsWithGuids();
                before[1] = box.snapshotsWithGuids(BoxContainer.JAIL);
                box.restart();
            });
            assertFaultedPass(laptop, pass);
            assertConnectionLost(laptop, pass);
            box.awaitSsh(Duration.ofSeconds(30));
            nextPassCompletes(laptop, box, before[0], before[1]);
        }
    }

    @Test
    void theBoxsPoolFullFailsThePassAndTheNextPassSendsOnceThereIsRoom() throws Exception {
        try (ContainerLaptop laptop = new ContainerLaptop(tmp.resolve("laptop"));
                BoxContainer box = new BoxContainer(tmp.resolve("box"), laptop.pub(), POOL_BYTES)) {
            Path healthy = laptop.config("healthy", "", box);
            laptop.pools.writeRandomFile(laptop.home, "a.bin", 1 << 20);
            ContainerLaptop.Pass first = laptop.run(healthy, "first", 120, "agent", "once", "--snapshot");
            assertEquals(0, first.exit(), first::toString);
            // fill what the pool has left: dd ends with "No space left on device", which is the point
            box.execResult("dd", "if=/dev/urandom", "of=/boxpool/fill", "bs=1M");
            box.exec("sync");
            laptop.pools.writeRandomFile(laptop.home, "b.bin", 8 << 20);
            String sourceBefore = laptop.snapshotsWithGuids();
            String boxBefore = box.snapshotsWithGuids(BoxContainer.JAIL);
            ContainerLaptop.Pass pass = laptop.run(
                    laptop.config("faulty", FAULTY, box), "full", TIMEOUT + MARGIN + 60, "agent", "once", "--snapshot");
            System.out.printf("pool full: the pass exit %d after %.1f s%n", pass.exit(), pass.seconds());
            assertFaultedPass(laptop, pass);
            assertTrue(pass.seconds() <= TIMEOUT + MARGIN, pass::toString);
            assertTrue(pass.output().contains("space"), () -> "the message says the box is out of space: " + pass);
            box.exec("rm", "/boxpool/fill");
            box.exec("sync");
            nextPassCompletes(laptop, box, sourceBefore, boxBefore);
        }
    }

    @Test
    void twoBoxesForOneAgentAndOneFrozenTheOtherStillGetsItsBackup() throws Exception {
        try (ContainerLaptop laptop = new ContainerLaptop(tmp.resolve("laptop"));
                BoxContainer box1 = new BoxContainer(tmp.resolve("box1"), laptop.pub(), POOL_BYTES);
                BoxContainer box2 = new BoxContainer(tmp.resolve("box2"), laptop.pub(), POOL_BYTES)) {
            Path both = laptop.config("healthy", "", box1, box2);
            laptop.pools.writeRandomFile(laptop.home, "a.bin", 1 << 20);
            ContainerLaptop.Pass first = laptop.run(both, "first", 180, "agent", "once", "--snapshot");
            System.out.printf("two boxes: the first pass exit %d after %.1f s%n", first.exit(), first.seconds());
            assertEquals(0, first.exit(), first::toString);
            String source = laptop.snapshotsWithGuids();
            String box1Snapshots = box1.snapshotsWithGuids(BoxContainer.JAIL);
            String box2Snapshots = box2.snapshotsWithGuids(BoxContainer.JAIL);
            // each box holds its job's snapshot with the sender's guid, and only that
            List<String> byJob1 =
                    source.lines().filter(l -> l.contains("@zrepl_")).toList();
            List<String> byJob2 =
                    source.lines().filter(l -> l.contains("@box2_")).toList();
            assertEquals(1, byJob1.size(), source);
            assertEquals(1, byJob2.size(), source);
            assertEquals(onBox(laptop, byJob1.get(0) + "\n"), box1Snapshots);
            assertEquals(onBox(laptop, byJob2.get(0) + "\n"), box2Snapshots);

            // box 2 frozen: box 1's job still completes, the pass fails for box 2 within its timeout
            laptop.pools.writeRandomFile(laptop.home, "b.bin", 1 << 20);
            Path faulty = laptop.config("faulty", FAULTY, box1, box2);
            ContainerLaptop.Pass pass;
            box2.pause();
            try {
                pass = laptop.run(faulty, "frozen2", TIMEOUT + MARGIN + 60, "agent", "once", "--snapshot");
            } finally {
                box2.unpause();
            }
            System.out.printf("two boxes, box 2 frozen: the pass exit %d after %.1f s%n", pass.exit(), pass.seconds());
            assertEquals(1, pass.exit(), pass::toString);
            assertTrue(pass.seconds() <= TIMEOUT + MARGIN, pass::toString);
            assertTrue(pass.output().contains("laptop_to_box2"), pass::toString);
            String sourceAfter = laptop.snapshotsWithGuids();
            assertHolds("the source", source, sourceAfter);
            String newest1 = sourceAfter
                    .lines()
                    .filter(l -> l.contains("@zrepl_"))
                    .reduce((a, b) -> b)
                    .orElseThrow();
            assertHolds("box 1", onBox(laptop, newest1 + "\n"), box1.snapshotsWithGuids(BoxContainer.JAIL));
            assertHolds("box 2", box2Snapshots, box2.snapshotsWithGuids(BoxContainer.JAIL));

            ContainerLaptop.Pass next = laptop.run(both, "next", 180, "agent", "once");
            System.out.printf("two boxes: the next pass exit %d after %.1f s%n", next.exit(), next.seconds());
            assertEquals(0, next.exit(), next::toString);
            String finalSource = laptop.snapshotsWithGuids();
            assertHolds("the source", sourceAfter, finalSource);
            assertHolds(
                    "box 2 after the next pass",
                    onBox(
                            laptop,
                            finalSource
                                    .lines()
                                    .filter(l -> l.contains("@box2_"))
                                    .map(l -> l + "\n")
                                    .collect(Collectors.joining())),
                    box2.snapshotsWithGuids(BoxContainer.JAIL));
        }
    }
}
