package dev.zreplj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.zfs.DatasetName;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shipped class lists (cli/src/dist/lib/*.classlist, input of bin/zreplj-cds-archive) hold every class
 * the hot path loads: a class missing from its list is loaded from its jar at every start, silently, and
 * start-up creeps back up as code is added. Both JVMs of real passes (a full send, a series of two
 * snapshots as one -I stream, pruning) dump the classes they load; each of zreplj's and its libraries' must
 * be in its side's list. The JDK's own are not checked: which of them load depends on timing (a future
 * waited on or not, a lock contended or not), and a test must not fail on a busy machine for that; the
 * regeneration lists them all the same. The dumps stay in target/classlist-dumps, where
 * contrib/dev/regenerate-classlists merges them into the lists.
 */
@Tag("system")
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class ClassListIT {
    static final Path DUMPS = Path.of("target", "classlist-dumps");
    static final Path LISTS = Path.of("src", "dist", "lib");

    @TempDir
    Path tmp;

    @Test
    void everyClassTheAgentAndTheBoxLoadOnAPassIsInTheirList() throws Exception {
        if (Files.isDirectory(DUMPS)) {
            try (Stream<Path> old = Files.list(DUMPS)) {
                for (Path p : old.toList()) {
                    Files.delete(p);
                }
            }
        }
        Files.createDirectories(DUMPS);
        String dump = "-XX:DumpLoadedClassList=" + DUMPS.toAbsolutePath();
        try (EndToEnd e = new EndToEnd(
                Files.createDirectories(tmp.resolve("e2e")),
                PushSuite.HOME_FILTER,
                EndToEnd.DEFAULT_JOB_TAIL,
                "",
                "env ZREPLJ_JAVA_OPTS=" + dump + "/box-%p ")) {
            DatasetName home = e.createFilesystem(e.src().child("home"));
            // A snap job beside the push job: its pass (snapshot, local pruning that destroys one) loads classes
            // a push job's does not.
            DatasetName scratch = e.createFilesystem(e.src().child("scratch"));
            e.pools.snapshot(scratch, "snap_old");
            Files.writeString(
                    e.agentConfig,
                    Files.readString(e.agentConfig)
                            + "  - name: scratch\n"
                            + "    type: snap\n"
                            + "    filesystems: {\"" + scratch + "\": true}\n"
                            + "    snapshotting: {type: periodic, prefix: snap_, interval: 1h}\n"
                            + "    pruning:\n"
                            + "      keep: [{type: last_n, count: 1, regex: '^snap_'}]\n");
            e.writeRandomFile(home, "a.bin", 256 << 10);
            agentOnce(e, dump + "/agent-%p");
            e.writeRandomFile(home, "b.bin", 64 << 10);
            e.pools.snapshot(home, "zrepl_20260101_000000_000");
            e.writeRandomFile(home, "c.bin", 64 << 10);
            agentOnce(e, dump + "/agent-%p");
            // The other SSH client's classes are archived too.
            e.replaceInAgentConfig("      known_hosts: ", "      ssh_client: openssh\n      known_hosts: ");
            e.writeRandomFile(home, "d.bin", 64 << 10);
            agentOnce(e, dump + "/agent-%p");
            assertEquals(
                    PushSuite.expectedOnBox(e, e.snapshotsWithGuids(home)),
                    e.snapshotsWithGuids(e.jail()),
                    "the passes replicated (same guids on the box)");
            assertEquals(1, e.pools.snapshotNames(scratch).size(), "the snap job pruned to its last_n");
        }
        assertTrue(
                missing("agent-", "zreplj").isEmpty()
                        && missing("box-", "stdinserver").isEmpty(),
                () -> "classes loaded on a pass but not in their class list, so not in the AppCDS archive: agent "
                        + missing("agent-", "zreplj") + ", box " + missing("box-", "stdinserver")
                        + "; run contrib/dev/regenerate-classlists");
    }

    private void agentOnce(EndToEnd e, String javaOpts) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(
                        e.launcher.toString(),
                        "--config",
                        e.agentConfig.toString(),
                        "--summary",
                        "agent",
                        "once",
                        "--snapshot")
                .redirectErrorStream(true)
                .redirectOutput(tmp.resolve("agent.log").toFile());
        pb.environment().put("ZREPLJ_JAVA_OPTS", javaOpts);
        Process p = pb.start();
        assertTrue(p.waitFor(180, TimeUnit.SECONDS), "agent once did not finish within 180 s");
        assertEquals(0, p.exitValue(), () -> "agent once failed: " + read(tmp.resolve("agent.log")));
    }

    /** The classes the dumps named prefix* list that the shipped list name.classlist lacks. */
    static Set<String> missing(String prefix, String name) {
        try {
            Set<String> listed = classes(List.of(LISTS.resolve(name + ".classlist")));
            List<Path> dumps;
            try (Stream<Path> s = Files.list(DUMPS)) {
                dumps = s.filter(p -> p.getFileName().toString().startsWith(prefix))
                        .toList();
            }
            if (dumps.isEmpty()) {
                throw new AssertionError("no " + prefix + "* class dump in " + DUMPS.toAbsolutePath()
                        + ": the JVM did not start with -XX:DumpLoadedClassList");
            }
            Set<String> loaded = classes(dumps);
            loaded.removeIf(ClassListIT::jdk);
            loaded.removeAll(listed);
            return loaded;
        } catch (IOException ex) {
            throw new AssertionError(ex);
        }
    }

    static boolean jdk(String name) {
        return name.startsWith("java/")
                || name.startsWith("javax/")
                || name.startsWith("jdk/")
                || name.startsWith("sun/")
                || name.startsWith("com/sun/");
    }

    /**
     * Class names in class-list files: the first word of each line but comments and @ directives, and but
     * dynamic proxies ($Proxy12): the JVM generates those at run time, -Xshare:dump cannot find them by name.
     */
    static Set<String> classes(List<Path> files) throws IOException {
        Set<String> names = new TreeSet<>();
        for (Path f : files) {
            for (String line : Files.readAllLines(f)) {
                if (!line.isBlank() && !line.startsWith("#") && !line.startsWith("@")) {
                    String name = line.split(" ", 2)[0];
                    if (!name.contains("/$Proxy")) {
                        names.add(name);
                    }
                }
            }
        }
        return names;
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException ex) {
            return "(" + ex.getMessage() + ")";
        }
    }
}
