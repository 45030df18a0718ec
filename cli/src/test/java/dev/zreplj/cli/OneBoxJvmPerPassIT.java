package dev.zreplj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.ssh.testing.TestSshd;
import dev.zreplj.zfs.DatasetName;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Each SSH channel is one stdinserver JVM on the box (about a second of CPU and tens of MB): a pass with
 * the default concurrency lists, receives every filesystem and prunes over one channel, so the real sshd
 * starts the forced command once per pass; configured concurrency opens more. The forced command goes
 * through a script that records every start, so the count is what sshd really ran.
 */
@Tag("system")
class OneBoxJvmPerPassIT {
    @TempDir
    Path tmp;

    /** Keeps one snapshot on the box, so the second pass must destroy there: DESTROY shares the channel too. */
    private static final String KEEP_ONE_ON_THE_BOX = String.join(
            "\n",
            "    pruning:",
            "      keep_sender:",
            "        - type: not_replicated",
            "        - type: last_n",
            "          count: 100",
            "      keep_receiver:",
            "        - type: last_n",
            "          count: 1",
            "");

    @Test
    void aPassStartsOneStdinserverUnlessConcurrencyAsksForMore() throws Exception {
        Path starts = tmp.resolve("stdinserver-starts");
        Path counting = TestSshd.script(tmp.resolve("count-starts"), "echo $$ >> " + starts + "\nexec \"$@\"");
        try (EndToEnd e = new EndToEnd(
                Files.createDirectories(tmp.resolve("e2e")),
                PushSuite.HOME_FILTER,
                KEEP_ONE_ON_THE_BOX,
                "",
                counting + " ")) {
            DatasetName home = e.createFilesystem(e.src().child("home"));
            DatasetName docs = e.createFilesystem(home.child("docs"));
            DatasetName photos = e.createFilesystem(home.child("photos"));
            e.writeRandomFile(docs, "note.bin", 1 << 20);
            e.writeRandomFile(photos, "photo.bin", 2 << 20);

            EndToEnd.Run full = e.agent("agent", "once", "--snapshot");
            assertEquals(0, full.exit(), full::toString);
            assertEquals(1, startsOf(starts), () -> "full sends of 3 filesystems: " + full);
            assertEquals(PushSuite.expectedOnBox(e, e.snapshotsWithGuids(home)), e.snapshotsWithGuids(e.jail()));

            EndToEnd.Run incremental = e.agent("agent", "once", "--snapshot");
            assertEquals(0, incremental.exit(), incremental::toString);
            assertEquals(2, startsOf(starts), () -> "incremental sends and pruning: " + incremental);
            for (DatasetName fs : List.of(home, docs, photos)) {
                List<String> sent = e.snapshotNames(fs);
                assertEquals(2, sent.size(), sent::toString);
                DatasetName onBox = e.jail().child(fs.value());
                assertEquals(List.of(sent.get(1)), e.snapshotNames(onBox), onBox + " keeps only the newest (last_n 1)");
                assertEquals(
                        e.get(fs.value() + "@" + sent.get(1), "guid"),
                        e.get(onBox.value() + "@" + sent.get(1), "guid"),
                        fs + ": same guid on the box");
            }

            EndToEnd.Run idle = e.agent("agent", "once");
            assertEquals(0, idle.exit(), idle::toString);
            assertEquals(3, startsOf(starts), () -> "a pass with nothing to send: " + idle);

            e.replaceInAgentConfig("    pruning:", "    replication: {concurrency: {steps: 2}}\n    pruning:");
            EndToEnd.Run parallel = e.agent("agent", "once", "--snapshot");
            assertEquals(0, parallel.exit(), parallel::toString);
            assertEquals(5, startsOf(starts), () -> "steps: 2 with 3 filesystems to send: " + parallel);
            assertTrue(
                    e.snapshotNames(e.jail().child(photos.value()))
                            .contains(e.snapshotNames(photos).get(2)),
                    parallel::toString);
        }
    }

    private static long startsOf(Path starts) throws IOException {
        return Files.exists(starts)
                ? Files.readAllLines(starts).stream().filter(l -> !l.isBlank()).count()
                : 0;
    }
}
