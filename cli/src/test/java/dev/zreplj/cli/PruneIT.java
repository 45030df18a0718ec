package dev.zreplj.cli;

import static dev.zreplj.cli.EndToEnd.assertContains;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.zfs.DatasetName;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pruning end to end: real zfs-fuse pools, a real sshd, the built launcher on both sides. Snapshots are
 * made by hand with zero-padded names in creation order, and the rules are last_n and regex: creation is
 * in whole seconds, and where two share a second the later name counts as newer, as it was created later.
 * (not_replicated keeps every replicated snapshot that shares the cursor's second, so where a test checks
 * the sender's result it has keep_snapshot_at_cursor: false or is left out; the cursor guard keeps the
 * cursor snapshot regardless.)
 */
@Tag("system")
class PruneIT {
    private static final String JOB = "laptop_to_box";
    private static final String HOME_FILTER = "\"SRC/home\": true";

    @TempDir
    Path tmp;

    private static String tail(String keepSender, String keepReceiver, String initial) {
        return String.join(
                "\n",
                "    conflict_resolution:",
                "      initial_replication: " + initial,
                "    pruning:",
                "      keep_sender:",
                keepSender.indent(8).stripTrailing(),
                "      keep_receiver:",
                keepReceiver.indent(8).stripTrailing(),
                "");
    }

    private static List<String> names(int from, int to) {
        List<String> out = new ArrayList<>();
        for (int i = from; i <= to; i++) {
            out.add(String.format("zrepl_%02d", i));
        }
        return out;
    }

    private static void snapshots(EndToEnd e, DatasetName fs, List<String> names) {
        for (String n : names) {
            e.pools.snapshot(fs, n);
        }
    }

    /** Snapshot name (after '@') to its creation in unix seconds, for the filesystem itself only. */
    private static Map<String, Long> creations(EndToEnd e, DatasetName fs) {
        Map<String, Long> out = new TreeMap<>();
        e.pools
                .zfs("get", "-Hp", "-r", "-o", "name,value", "creation", fs.value())
                .lines()
                .filter(l -> l.startsWith(fs.value() + "@"))
                .forEach(l -> {
                    String[] f = l.split("\t");
                    out.put(f[0].substring(f[0].indexOf('@') + 1), Long.parseLong(f[1]));
                });
        return out;
    }

    private static DatasetName onBox(EndToEnd e, DatasetName fs) {
        return e.jail.child(fs.value());
    }

    private static List<String> minus(List<String> all, List<String> gone) {
        return all.stream().filter(n -> !gone.contains(n)).toList();
    }

    /** What `zreplj test prune` destroys of the given snapshots (input order is creation order). */
    private List<String> predicted(EndToEnd e, String rules, Map<String, Long> creation, Map<String, String> state)
            throws IOException {
        Path rulesFile = Files.writeString(tmp.resolve("rules-" + System.nanoTime() + ".yml"), rules);
        StringBuilder input = new StringBuilder();
        creation.entrySet().stream()
                .sorted(Map.Entry.<String, Long>comparingByValue().thenComparing(Map.Entry.comparingByKey()))
                .forEach(en -> input.append(en.getKey())
                        .append('\t')
                        .append(en.getValue())
                        .append(state.containsKey(en.getKey()) ? "\t" + state.get(en.getKey()) : "")
                        .append('\n'));
        Path inputFile = Files.writeString(tmp.resolve("input-" + System.nanoTime() + ".txt"), input);
        EndToEnd.Run run = e.zreplj(
                List.of("test", "prune", "--rules", rulesFile.toString(), "--input", inputFile.toString()), null);
        assertEquals(0, run.exit(), run::toString);
        List<String> destroyed = run.stdout()
                .lines()
                .filter(l -> l.startsWith("destroy\t"))
                .map(l -> l.substring(8))
                .sorted()
                .toList();
        assertEquals(creation.size(), run.stdout().lines().count(), () -> "one line per input line:\n" + input + run);
        return destroyed;
    }

    private static String cursorProperty(EndToEnd e, DatasetName fs) {
        return e.pools.get(fs.value(), "zreplj:cursor:" + JOB);
    }

    @Test
    void afterARunExactlyWhatTheRulesDoNotKeepIsGoneAndTestPrunePredictsIt() throws Exception {
        String keepSender = "- type: not_replicated\n  keep_snapshot_at_cursor: false\n- type: last_n\n  count: 3\n"
                + "  regex: \"^zrepl_\"";
        String keepReceiver = "- type: last_n\n  count: 5\n  regex: \"^zrepl_\"\n- type: regex\n  regex: \"^manual_\"";
        try (EndToEnd e = new EndToEnd(tmp, HOME_FILTER, tail(keepSender, keepReceiver, "all"), "")) {
            DatasetName home = e.pools.createFilesystem(e.src.child("home"));
            snapshots(e, home, names(1, 4));
            e.pools.snapshot(home, "manual_a");
            snapshots(e, home, names(5, 8));
            Map<String, Long> before = creations(e, home);
            List<String> all = new ArrayList<>(before.keySet());
            assertEquals(9, all.size(), all::toString);

            // -v: the summary then also says why each remaining snapshot was kept.
            EndToEnd.Run run = e.agent("-v", "agent", "once");
            assertEquals(0, run.exit(), run::toString);
            assertFalse(run.stdout().contains("took snapshot"), "the hand-made snapshots are new: none is due");

            // Every snapshot reached the box, so with the cursor at zrepl_08 all count as replicated.
            Map<String, String> replicated = new TreeMap<>();
            all.forEach(n -> replicated.put(n, "replicated"));
            List<String> senderGone = predicted(e, keepSender, before, replicated);
            List<String> receiverGone = predicted(e, keepReceiver, before, Map.of());
            assertEquals(List.of("manual_a", "zrepl_01", "zrepl_02", "zrepl_03", "zrepl_04", "zrepl_05"), senderGone);
            assertEquals(List.of("zrepl_01", "zrepl_02", "zrepl_03"), receiverGone);

            assertEquals(
                    minus(all, senderGone),
                    e.pools.snapshotNames(home).stream().sorted().toList());
            assertEquals(
                    minus(all, receiverGone),
                    e.pools.snapshotNames(onBox(e, home)).stream().sorted().toList());
            assertEquals(String.format("%016x", e.pools.guid(home + "@zrepl_08")), cursorProperty(e, home));

            String out = run.stdout();
            assertContains(
                    out,
                    "prune sender " + home + ": destroyed @zrepl_01 @zrepl_02 @zrepl_03 @zrepl_04"
                            + " @manual_a @zrepl_05\n",
                    run);
            assertContains(
                    out,
                    "prune sender " + home + ": kept by rule 2 last_n(count=3, regex=^zrepl_): @zrepl_06"
                            + " @zrepl_07 @zrepl_08\n",
                    run);
            assertContains(out, "prune receiver " + home + ": destroyed @zrepl_01 @zrepl_02 @zrepl_03\n", run);
            assertContains(out, "prune receiver " + home + ": kept by rule 2 regex(^manual_): @manual_a\n", run);

            EndToEnd.Run again = e.agent("agent", "once");
            assertEquals(0, again.exit(), again::toString);
            assertContains(again.stdout(), home + ": up to date", again);
            assertFalse(again.stdout().contains("destroyed"), again::toString);
            assertFalse(
                    again.stdout().contains("kept by"),
                    "without -v the summary leaves out what every pass repeats: " + again);
        }
    }

    @Test
    void dryRunPrintsThePlanAndChangesNothing() throws Exception {
        try (EndToEnd e = new EndToEnd(
                tmp, HOME_FILTER, tail("- type: last_n\n  count: 100", "- type: last_n\n  count: 100", "all"), "")) {
            DatasetName home = e.pools.createFilesystem(e.src.child("home"));
            snapshots(e, home, names(1, 5));
            EndToEnd.Run first = e.agent("agent", "once");
            assertEquals(0, first.exit(), first::toString);
            assertFalse(first.stdout().contains("destroyed"), first::toString);
            Files.writeString(e.agentConfig, Files.readString(e.agentConfig).replace("count: 100", "count: 2"));
            String source = e.snapshotsWithGuids(home);
            String box = e.snapshotsWithGuids(onBox(e, home));
            String cursor = cursorProperty(e, home);

            EndToEnd.Run dry = e.agent("prune", "--dry-run");

            assertEquals(0, dry.exit(), dry::toString);
            assertContains(dry.stdout(), "job " + JOB + ": prune plan (dry run), 1 filesystem, 6 to destroy", dry);
            assertContains(
                    dry.stdout(), "prune sender " + home + ": would destroy @zrepl_01 @zrepl_02 @zrepl_03\n", dry);
            assertContains(
                    dry.stdout(), "prune receiver " + home + ": would destroy @zrepl_01 @zrepl_02 @zrepl_03\n", dry);
            assertEquals(source, e.snapshotsWithGuids(home), "dry run: nothing destroyed on the sender");
            assertEquals(box, e.snapshotsWithGuids(onBox(e, home)), "dry run: nothing destroyed on the box");
            assertEquals(cursor, cursorProperty(e, home));

            EndToEnd.Run real = e.agent("prune", "--job", JOB);
            assertEquals(0, real.exit(), real::toString);
            assertContains(real.stdout(), "job " + JOB + ": pruned, 1 filesystem, 6 destroyed", real);
            assertEquals(
                    names(4, 5), e.pools.snapshotNames(home).stream().sorted().toList());
            assertEquals(
                    names(4, 5),
                    e.pools.snapshotNames(onBox(e, home)).stream().sorted().toList());
        }
    }

    @Test
    void receiverUnreachableNeverCostsAnUnreplicatedSnapshotAndTheIncrementalContinues() throws Exception {
        try (EndToEnd e = new EndToEnd(
                tmp, HOME_FILTER, tail("- type: last_n\n  count: 1", "- type: last_n\n  count: 100", "all"), "")) {
            DatasetName home = e.pools.createFilesystem(e.src.child("home"));
            snapshots(e, home, names(1, 3));
            EndToEnd.Run first = e.agent("agent", "once");
            assertEquals(0, first.exit(), first::toString);
            assertEquals(names(3, 3), e.pools.snapshotNames(home), "replicated and not the newest: gone");

            String config = Files.readString(e.agentConfig);
            int closed;
            try (ServerSocket s = new ServerSocket(0)) {
                closed = s.getLocalPort();
            }
            Files.writeString(e.agentConfig, config.replace("port: " + e.sshd.port(), "port: " + closed));
            e.pools.writeRandomFile(home, "a.bin", 64 << 10);
            snapshots(e, home, names(4, 5));

            EndToEnd.Run cut = e.agent("-v", "agent", "once");

            assertEquals(1, cut.exit(), cut::toString);
            assertEquals(
                    names(3, 5),
                    e.pools.snapshotNames(home).stream().sorted().toList(),
                    "last_n 1 alone would keep only zrepl_05");
            assertContains(
                    cut.stdout(),
                    "prune sender " + home + ": kept by the replication cursor (no rule keeps it;"
                            + " never destroyed): @zrepl_03\n",
                    cut);
            assertContains(
                    cut.stdout(),
                    "prune sender " + home + ": kept by not replicated yet (no rule keeps it;"
                            + " never destroyed): @zrepl_04\n",
                    cut);
            // The transport's words once, on the job's line; the prune line points there.
            assertContains(
                    cut.stdout(),
                    "job laptop_to_box: failed: connect: no session with the backup box: ssh: cannot connect to"
                            + " root@127.0.0.1:" + closed + ": connection refused; is sshd running there",
                    cut);
            assertContains(
                    cut.stdout(),
                    "  prune receiver: skipped: no session with the backup box (see the connect failure)\n",
                    cut);

            Files.writeString(e.agentConfig, config);
            EndToEnd.Run back = e.agent("agent", "once");

            assertEquals(0, back.exit(), back::toString);
            assertContains(back.stdout(), home + ": replicated 2 steps,", back);
            assertFalse(back.stdout().contains("full"), "no full send: " + back);
            assertEquals(names(5, 5), e.pools.snapshotNames(home));
            assertEquals(
                    names(1, 5),
                    e.pools.snapshotNames(onBox(e, home)).stream().sorted().toList());
            assertEquals(String.format("%016x", e.pools.guid(home + "@zrepl_05")), cursorProperty(e, home));
        }
    }

    @Test
    void aDestroyBelowTheBoxsFloorIsRefusedAndReportedByName() throws Exception {
        String floor = String.join(
                "\n",
                "    policy:",
                "      keep_floor:",
                "        - type: regex",
                "          regex: \"^zrepl_0[12]$\"",
                "");
        try (EndToEnd e = new EndToEnd(
                tmp, HOME_FILTER, tail("- type: not_replicated", "- type: last_n\n  count: 1", "all"), floor)) {
            DatasetName home = e.pools.createFilesystem(e.src.child("home"));
            snapshots(e, home, names(1, 4));

            EndToEnd.Run run = e.agent("agent", "once");

            assertEquals(0, run.exit(), "refusals by the floor are the box's policy, not failures: " + run);
            assertEquals(
                    List.of("zrepl_01", "zrepl_02", "zrepl_04"),
                    e.pools.snapshotNames(onBox(e, home)).stream().sorted().toList());
            assertContains(run.stdout(), "prune receiver " + home + ": destroyed @zrepl_03\n", run);
            assertContains(
                    run.stdout(),
                    "prune receiver " + home + ": refused by the backup box: @zrepl_01: kept by"
                            + " the box's keep_floor\n",
                    run);
            assertContains(
                    run.stdout(),
                    "prune receiver " + home + ": refused by the backup box: @zrepl_02: kept by"
                            + " the box's keep_floor\n",
                    run);
        }
    }

    @Test
    void aPruneKilledMidwayLeavesBothSidesConsistentAndTheNextRunFinishesIt() throws Exception {
        try (EndToEnd e = new EndToEnd(
                tmp,
                HOME_FILTER,
                tail("- type: last_n\n  count: 1", "- type: last_n\n  count: 100", "most_recent"),
                "")) {
            DatasetName home = e.pools.createFilesystem(e.src.child("home"));
            List<String> all = names(1, 60);
            snapshots(e, home, all);

            Process agent = e.startAgent("agent", "once");
            long deadline = System.nanoTime() + 120_000_000_000L;
            int left;
            do {
                assertTrue(
                        agent.isAlive(),
                        "the agent finished before it could be killed mid-prune; see "
                                + e.dir.resolve("killed-agent.log"));
                assertTrue(System.nanoTime() < deadline, "pruning did not start within 120 s");
                left = e.pools.snapshotNames(home).size();
            } while (left == all.size());
            agent.destroyForcibly().waitFor();
            // A zfs destroy the agent started outlives it; let it finish before looking.
            long settle = System.nanoTime() + 30_000_000_000L;
            while (destroying(home) && System.nanoTime() < settle) {
                Thread.sleep(20);
            }
            assertFalse(destroying(home), "zfs destroy still running 30 s after the agent died");

            List<String> afterKill = e.pools.snapshotNames(home);
            assertTrue(afterKill.contains("zrepl_60"), "the cursor snapshot survives: " + afterKill);
            assertTrue(afterKill.size() > 1, "killed midway: some left to prune " + afterKill.size());
            assertEquals(String.format("%016x", e.pools.guid(home + "@zrepl_60")), cursorProperty(e, home));
            assertEquals(List.of("zrepl_60"), e.pools.snapshotNames(onBox(e, home)));

            EndToEnd.Run next = e.agent("agent", "once");

            assertEquals(0, next.exit(), next::toString);
            assertContains(next.stdout(), home + ": up to date", next);
            assertEquals(List.of("zrepl_60"), e.pools.snapshotNames(home), next::toString);
            assertEquals(List.of("zrepl_60"), e.pools.snapshotNames(onBox(e, home)));
            assertEquals(
                    all.subList(0, 59).stream()
                            .filter(afterKill::contains)
                            .map(n -> "@" + n)
                            .collect(Collectors.joining(" ")),
                    destroyedIn(next.stdout(), home));
        }
    }

    private static boolean destroying(DatasetName fs) {
        return ProcessHandle.allProcesses()
                .anyMatch(p -> p.info()
                        .commandLine()
                        .map(c -> c.contains(" destroy ") && c.contains(fs + "@"))
                        .orElse(false));
    }

    private static String destroyedIn(String stdout, DatasetName fs) {
        String prefix = "  prune sender " + fs + ": destroyed ";
        return stdout.lines()
                .filter(l -> l.startsWith(prefix))
                .map(l -> l.substring(prefix.length()))
                .findFirst()
                .orElse("");
    }
}
