package dev.zreplj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.zfs.DatasetName;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A compromised box behind the real sshd: its forced command is a script that speaks the protocol itself, with a
 * HELLO and ERRORs full of escape sequences, a line that would forge the summary, megabytes of text and a flood on
 * stderr, and `busy` to every request. The agent, run through the built launcher as a user runs it, must end the pass
 * within its attempts, print none of that raw, and destroy nothing on the laptop (docs/box.md, "A hostile or
 * compromised box").
 */
@Tag("system")
class HostileBoxIT {
    @TempDir
    Path tmp;

    /** The hostile box: every request after the handshake gets ERROR busy. */
    private static final String SCRIPT = String.join(
            "\n",
            "import sys, json, struct",
            "out = sys.stdout.buffer",
            "inp = sys.stdin.buffer",
            "def frame(t, obj):",
            "    b = json.dumps(obj).encode()",
            "    out.write(bytes([t]) + struct.pack('>I', len(b)) + b)",
            "    out.flush()",
            "def read_exact(n):",
            "    buf = b''",
            "    while len(buf) < n:",
            "        c = inp.read(n - len(buf))",
            "        if not c:",
            "            return None",
            "        buf += c",
            "    return buf",
            "sys.stderr.write('hostbox junk\\n' * 3000)",
            "sys.stderr.flush()",
            "out.write(b'ZREPLJ\\x00\\n')",
            "frame(1, {'protocol': 3, 'software': '9\\u001b]0;owned\\u0007', 'capabilities': [], 'job': None})",
            "if read_exact(8) is None:",
            "    sys.exit(1)",
            "while True:",
            "    h = read_exact(5)",
            "    if h is None:",
            "        sys.exit(0)",
            "    t = h[0]",
            "    n = struct.unpack('>I', h[1:])[0]",
            "    if n and read_exact(n) is None:",
            "        sys.exit(0)",
            "    if t in (0x01, 0x21, 0x22, 0x23, 0x25):",
            "        continue",
            "    if t == 0x03:",
            "        sys.exit(0)",
            "    frame(2, {'code': 'busy', 'message': 'no slot\\njob laptop_to_box: all ok\\u001b[2J' + 'x' * 5000,",
            "              'detail': ''})",
            "");

    @Test
    void aHostileBoxsWordsArriveEscapedAndCutThePassEndsWithinItsAttemptsAndTheLaptopKeepsEverything()
            throws Exception {
        Path script = Files.writeString(tmp.resolve("hostbox-box.py"), SCRIPT);
        String tail = String.join("\n", "    replication:", "      attempts: 2", "      retry_backoff: 1s", "")
                + EndToEnd.KEEP_LAST_ONE_TAIL;
        // The launcher's own arguments follow the script's name and are ignored by it.
        try (EndToEnd e = new EndToEnd(tmp, PushSuite.HOME_FILTER, tail, "", "/usr/bin/python3 " + script + " ")) {
            DatasetName home = e.createFilesystem(e.src().child("home"));
            e.zfs("snapshot", home + "@zrepl_old1");
            e.zfs("snapshot", home + "@zrepl_old2");

            EndToEnd.Run run = e.agent("agent", "once", "--snapshot");

            String all = run.stdout() + run.stderr();
            assertEquals(1, run.exit(), run::toString);
            assertFalse(all.chars().anyMatch(c -> c == 0x1b || c == 0x07), run::toString);
            assertTrue(
                    all.contains("no slot\\x0ajob laptop_to_box: all ok\\x1b[2J" + "x".repeat(1963)
                            + "... (3037 more characters)"),
                    run::toString);
            assertFalse(all.lines().anyMatch(l -> l.startsWith("job laptop_to_box: all ok")), run::toString);
            assertTrue(all.contains("attempt 1 of 2 failed"), run::toString);
            assertTrue(all.contains("(more than 1000 lines on stderr; the rest is not logged)"), run::toString);
            assertTrue(all.lines().filter(l -> l.contains("hostbox junk")).count() <= 2 * 1000, run::toString);
            List<String> kept = e.snapshotNames(home);
            assertEquals(3, kept.size(), "the laptop keeps all, none was replicated: " + kept);
            assertTrue(kept.containsAll(List.of("zrepl_old1", "zrepl_old2")), kept::toString);

            EndToEnd.Run status = e.agent("status");
            assertFalse((status.stdout() + status.stderr()).chars().anyMatch(c -> c == 0x1b), status::toString);

            // box list and restore print the box's words as well: its ERROR, and its HELLO's software version.
            EndToEnd.Run listed = e.agent("box", "list");
            assertEquals(1, listed.exit(), listed::toString);
            assertFalse((listed.stdout() + listed.stderr()).chars().anyMatch(c -> c == 0x1b), listed::toString);
            assertTrue(listed.stderr().contains("no slot\\x0ajob laptop_to_box: all ok\\x1b[2J"), listed::toString);
            EndToEnd.Run restored = e.agent("restore", "--job", "laptop_to_box", home.value(), "--to", e.dst() + "/r");
            assertEquals(1, restored.exit(), restored::toString);
            assertEquals(
                    "zreplj: restore: the box refused: the backup box does not offer restores: its zreplj is older (no"
                            + " 'restore' capability, zreplj 9\\x1b]0;owned\\x07) or its sink job has serve.restore:"
                            + " false\n",
                    restored.stderr().substring(restored.stderr().lastIndexOf("zreplj: ")),
                    restored::toString);
            assertFalse(e.datasets(e.dst()).contains(e.dst() + "/r"), "nothing restored");
        }
    }
}
