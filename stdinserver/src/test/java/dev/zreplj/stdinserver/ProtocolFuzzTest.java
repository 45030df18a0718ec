package dev.zreplj.stdinserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.config.Config;
import dev.zreplj.config.Global;
import dev.zreplj.config.RecvOptions;
import dev.zreplj.config.ServeLimits;
import dev.zreplj.config.SinkJob;
import dev.zreplj.protocol.ErrorReply;
import dev.zreplj.protocol.FrameReader;
import dev.zreplj.protocol.FrameType;
import dev.zreplj.protocol.Printable;
import dev.zreplj.protocol.Wire;
import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.Zfs;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A client holding a stolen key against the box's framing and request parsing: mutations of honest
 * conversations (seeded, so every run is the same) and hand-picked hostile frames, each driving a whole
 * stdinserver in-process against a fake zfs that records its arguments. Whatever the bytes, the box must
 * answer with documented ERROR codes in one line, never "internal", exit 0 or 1 within its time bounds, allocate
 * within the frame limits, run zfs only on names inside the jail, and leave nothing that blocks an honest run.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ProtocolFuzzTest {
    private static final String ROOT_FS = "backup/sink";
    private static final String JAIL = ROOT_FS + "/laptop";
    private static final Set<String> CODES =
            Set.of("protocol", "version", "client", "jail", "busy", "retry", "stream", "zfs", "aborted", "forbidden");
    /** The fuzz's waits: short, so that a read the box does not bound shows as a hang, not a slow test. */
    private static final Duration STREAM_TIMEOUT = Duration.ofMillis(400);

    private static final Duration IDLE_TIMEOUT = Duration.ofMillis(1000);
    /** Far above anything honest (a frame is at most 1 MiB), far below a length field taken at its word. */
    private static final long ALLOCATION_BOUND = 96L << 20;

    private static final byte[] MAGIC = "ZREPLJ\0\n".getBytes(StandardCharsets.US_ASCII);
    private static final String HELLO =
            "{\"protocol\":3,\"software\":\"fuzz\",\"capabilities\":[\"destroy-failed\"],\"job\":\"push\"}";

    @TempDir
    static Path dir;

    private static Path calls;
    private static Zfs zfs;
    private static Config config;

    /**
     * A zfs that has every dataset and no snapshot, receives whatever it is given, and appends each call's
     * arguments (separated by 0x1f) to {@code calls}: what the box asked zfs is what the jail check is about.
     */
    @BeforeAll
    static void fakeZfs() throws IOException {
        calls = dir.resolve("calls");
        Path binary = dir.resolve("zfs");
        Files.writeString(
                binary,
                "#!/bin/sh\n"
                        + "printf '%s\\037' \"$@\" >> '" + calls + "'; printf '\\n' >> '" + calls + "'\n"
                        + "case \"$1\" in\n"
                        + "'') printf 'usage: zfs command args ...\\n\\tlist [-H] [-r] [-o prop] [fs]\\n"
                        + "\\treceive [-vnF] <filesystem>\\n' >&2; exit 2;;\n"
                        + "holds|version) exit 1;;\n"
                        + "list) for a in \"$@\"; do last=\"$a\"; done; echo \"$last\"; exit 0;;\n"
                        + "recv|receive) cat > /dev/null; exit 0;;\n"
                        + "send) exit 1;;\n"
                        + "esac\n"
                        + "exit 0\n");
        Files.setPosixFilePermissions(binary, PosixFilePermissions.fromString("rwx------"));
        zfs = new Zfs(binary);
        Path state = dir.resolve("state");
        SinkJob sink = new SinkJob(
                "sink",
                DatasetName.of(ROOT_FS),
                List.of("laptop"),
                RecvOptions.defaults(),
                List.of(),
                new ServeLimits(IDLE_TIMEOUT, STREAM_TIMEOUT, 8, 2));
        config = new Config(dir.resolve("zreplj.yml"), new Global(state, null), List.of(sink));
    }

    // ---- frames and streams ------------------------------------------------------------------------------

    /** One frame as the client writes it; {@code length} is what its header claims (normally the payload's). */
    private record Frame(int type, long length, byte[] payload) {
        Frame(FrameType type, byte[] payload) {
            this(code(type), payload.length, payload);
        }

        Frame withLength(long claimed) {
            return new Frame(type, claimed, payload);
        }

        void writeTo(ByteArrayOutputStream out) {
            out.write(type);
            out.write((int) (length >>> 24));
            out.write((int) (length >>> 16));
            out.write((int) (length >>> 8));
            out.write((int) length);
            out.writeBytes(payload);
        }
    }

    private static int code(FrameType t) {
        return switch (t) {
            case HELLO -> 0x01;
            case ERROR -> 0x02;
            case BYE -> 0x03;
            case LIST -> 0x10;
            case LISTING -> 0x11;
            case LIST_DETAILED -> 0x12;
            case DETAILED_LISTING -> 0x13;
            case LIST_ROOTS -> 0x14;
            case RECV -> 0x20;
            case DATA -> 0x21;
            case END -> 0x22;
            case ABORT -> 0x23;
            case RESULT -> 0x24;
            case ZDATA -> 0x25;
            case RECV_SERIES -> 0x26;
            case RECV_RAW -> 0x27;
            case RECV_SERIES_RAW -> 0x28;
            case READY -> 0x29;
            case PROGRESS -> 0x2a;
            case DESTROY -> 0x30;
            case DESTROYED -> 0x31;
            case SEND -> 0x40;
            case SENT -> 0x41;
        };
    }

    private static Frame json(FrameType type, String json) {
        return new Frame(type, json.getBytes(StandardCharsets.UTF_8));
    }

    private static Frame empty(FrameType type) {
        return new Frame(type, new byte[0]);
    }

    /** A raw-bytes frame: no frame at all, the unframed stream of a RECV_RAW. */
    private static Frame unframed(byte[] bytes) {
        return new Frame(-1, bytes.length, bytes);
    }

    private static byte[] bytes(List<Frame> frames) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(MAGIC);
        for (Frame f : frames) {
            if (f.type() < 0) {
                out.writeBytes(f.payload());
            } else {
                f.writeTo(out);
            }
        }
        return out.toByteArray();
    }

    /** The smallest honest full stream of {@code tank/home@s1}: its BEGIN and its END. */
    private static byte[] stream(long guid, long from, String name) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(SeriesTailTest.begin(1, 0, guid, from, name, 0).array());
        out.writeBytes(SeriesTailTest.record(5).array());
        return out.toByteArray();
    }

    private static String recv(String path, String snapshot, long toGuid, String fromGuid) {
        return "{\"path\":" + quote(path) + ",\"snapshot\":" + quote(snapshot) + ",\"toGuid\":" + toGuid
                + ",\"fromGuid\":" + fromGuid + ",\"rollback\":false,\"resumable\":false,\"resumeToken\":null,"
                + "\"discardPartial\":false}";
    }

    private static String quote(String s) {
        if (s == null) {
            return "null";
        }
        StringBuilder sb = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') {
                sb.append('\\').append(c);
            } else if (c < 0x20) {
                sb.append(String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        return sb.append('"').toString();
    }

    /** The honest conversations the fuzz starts from, one per request type; each ends with BYE. */
    private static List<List<Frame>> seeds() {
        Frame hello = json(FrameType.HELLO, HELLO);
        Frame bye = empty(FrameType.BYE);
        byte[] full = stream(101, 0, "tank/home@s1");
        String series = "{\"command\":" + recv("tank/home", "s2", 102, "101")
                + ",\"snapshots\":[{\"name\":\"s2\",\"guid\":102}]}";
        ByteArrayOutputStream seriesStream = new ByteArrayOutputStream();
        seriesStream.writeBytes(
                SeriesTailTest.begin(2, 0, 0, 0, "tank/home@s2", 0).array());
        seriesStream.writeBytes(SeriesTailTest.record(5).array());
        seriesStream.writeBytes(stream(102, 101, "tank/home@s2"));
        seriesStream.writeBytes(SeriesTailTest.record(5).array());
        return List.of(
                List.of(hello, empty(FrameType.LIST), empty(FrameType.LIST_DETAILED), bye),
                List.of(hello, json(FrameType.LIST_ROOTS, "{\"roots\":[\"tank/home\",\"tank\"]}"), bye),
                List.of(
                        hello,
                        json(
                                FrameType.DESTROY,
                                "{\"path\":\"tank/home\",\"snapshots\":[{\"name\":\"s1\",\"guid\":101},"
                                        + "{\"name\":\"s0\",\"guid\":100}]}"),
                        bye),
                List.of(
                        hello,
                        json(FrameType.RECV, recv("tank/home", "s1", 101, "null")),
                        new Frame(FrameType.DATA, full),
                        empty(FrameType.END),
                        bye),
                List.of(hello, json(FrameType.RECV_RAW, recv("tank/home", "s1", 101, "null")), unframed(full), bye),
                List.of(
                        hello,
                        json(FrameType.RECV_SERIES, series),
                        new Frame(FrameType.DATA, seriesStream.toByteArray()),
                        empty(FrameType.END),
                        bye),
                List.of(
                        hello,
                        json(
                                FrameType.SEND,
                                "{\"path\":\"tank/home\",\"snapshot\":\"s1\",\"from\":\"@s0\",\"resumeToken\":null}"),
                        bye));
    }

    // ---- running the box ---------------------------------------------------------------------------------

    /** A server frame as the client reads it. */
    private record Reply(FrameType type, String json) {}

    private record Outcome(int exit, List<Reply> replies, String stderr, long allocated, List<String> zfsCalls) {
        List<ErrorReply> errors() {
            List<ErrorReply> out = new ArrayList<>();
            for (Reply r : replies) {
                if (r.type() == FrameType.ERROR) {
                    out.add(errorOf(r.json()));
                }
            }
            return out;
        }

        boolean has(FrameType type) {
            return replies.stream().anyMatch(r -> r.type() == type);
        }
    }

    private static ErrorReply errorOf(String json) {
        try {
            FrameReader r = new FrameReader(
                    new ByteArrayInputStream(frameBytes(0x02, json.getBytes(StandardCharsets.UTF_8))),
                    "server",
                    Wire.MAX_CONTROL_FROM_SERVER);
            r.next();
            return r.json(ErrorReply.class);
        } catch (IOException e) {
            throw new AssertionError("the box's ERROR does not decode: " + e.getMessage(), e);
        }
    }

    private static byte[] frameBytes(int type, byte[] payload) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        new Frame(type, payload.length, payload).writeTo(out);
        return out.toByteArray();
    }

    private static Outcome run(byte[] input) throws Exception {
        return run(new ByteArrayInputStream(input), Duration.ofSeconds(10));
    }

    /**
     * One stdinserver on {@code in}, on its own thread as sshd would run it; fails when it has not exited within
     * {@code bound}. Counts what that thread allocated (the helpers that ask zfs ahead allocate little).
     */
    private static Outcome run(InputStream in, Duration bound) throws Exception {
        long callsBefore = Files.exists(calls) ? Files.readAllLines(calls).size() : 0;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        AtomicLong allocated = new AtomicLong();
        CompletableFuture<Integer> exit = new CompletableFuture<>();
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        Thread t = new Thread(
                () -> {
                    long before = threads.getCurrentThreadAllocatedBytes();
                    try {
                        int code = new StdinServer(
                                        config,
                                        "laptop",
                                        zfs,
                                        in,
                                        out,
                                        new PrintStream(err, true, StandardCharsets.UTF_8))
                                .run();
                        allocated.set(threads.getCurrentThreadAllocatedBytes() - before);
                        exit.complete(code);
                    } catch (Throwable e) {
                        exit.completeExceptionally(e);
                    }
                },
                "fuzzed-stdinserver");
        t.setDaemon(true);
        t.start();
        int code;
        try {
            code = exit.get(bound.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            t.interrupt();
            throw new AssertionError("the box did not exit within " + bound + "; stderr: " + err, e);
        }
        List<Reply> replies = new ArrayList<>();
        FrameReader r =
                new FrameReader(new ByteArrayInputStream(out.toByteArray()), "server", Wire.MAX_CONTROL_FROM_SERVER);
        r.readMagic();
        for (FrameType type = r.next(); type != null; type = r.next()) {
            byte[] payload = java.util.Arrays.copyOf(r.payload(), r.length());
            replies.add(new Reply(type, new String(payload, StandardCharsets.UTF_8)));
        }
        List<String> all = Files.readAllLines(calls);
        return new Outcome(
                code,
                replies,
                err.toString(StandardCharsets.UTF_8),
                allocated.get(),
                all.subList((int) callsBefore, all.size()));
    }

    /** What holds whatever the client sent. */
    private static void assertSane(Outcome o, String what) {
        String context = what + "\nexit " + o.exit() + ", replies " + o.replies() + "\nstderr: " + o.stderr();
        assertTrue(o.exit() == 0 || o.exit() == 1, "exit 0 or 1: " + context);
        assertFalse(o.replies().isEmpty() || o.replies().get(0).type() != FrameType.HELLO, "HELLO first: " + context);
        for (ErrorReply e : o.errors()) {
            assertTrue(CODES.contains(e.code()), "a documented refusal, not '" + e.code() + "': " + context);
            assertFalse(e.message().isBlank(), "a refusal says why: " + context);
            assertFalse(
                    e.message().contains("\n") || e.message().contains("\r"),
                    "a refusal is one line: " + Printable.of(e.message()) + "\n" + context);
        }
        for (String line : o.stderr().lines().toList()) {
            assertTrue(line.startsWith("zreplj stdinserver: "), "stderr is the box's own lines: " + context);
        }
        assertFalse(o.stderr().contains("\tat ") || o.stderr().contains("internal error"), "no trace: " + context);
        assertTrue(
                o.allocated() < ALLOCATION_BOUND,
                "allocated " + (o.allocated() >> 20) + " MiB, over the bound: " + context);
        for (String call : o.zfsCalls()) {
            for (String arg : call.split("\u001f")) {
                if (arg.startsWith("backup")) {
                    String dataset = arg.split("[@#]", 2)[0];
                    assertTrue(
                            dataset.equals(JAIL) || dataset.startsWith(JAIL + "/") || dataset.equals(ROOT_FS),
                            "zfs ran on " + Printable.of(arg) + " outside the jail: " + context);
                    DatasetName.of(dataset);
                }
            }
        }
    }

    /** An honest client's pass still works: nothing a hostile run left (a lock, a slot, a file) stands in its way. */
    private static void assertHonestRunWorks(String after) throws Exception {
        List<Frame> frames = new ArrayList<>(seeds().get(3));
        frames.add(4, json(FrameType.DESTROY, "{\"path\":\"tank/home\",\"snapshots\":[{\"name\":\"s1\",\"guid\":1}]}"));
        Outcome o = run(bytes(frames));
        assertSane(o, "honest run after " + after);
        assertEquals(0, o.exit(), "honest run after " + after + ": " + o.replies() + o.stderr());
        assertTrue(o.has(FrameType.RESULT) && o.has(FrameType.DESTROYED), "after " + after + ": " + o.replies());
    }

    // ---- the seeds themselves ----------------------------------------------------------------------------

    @Test
    void everySeedIsAnHonestConversationTheBoxServes() throws Exception {
        for (List<Frame> seed : seeds()) {
            Outcome o = run(bytes(seed));
            assertSane(o, "seed " + seed);
            assertEquals(0, o.exit(), "seed exits 0 after BYE: " + o.replies() + o.stderr());
        }
    }

    // ---- mutation fuzz -----------------------------------------------------------------------------------

    private static final long[] LENGTHS = {
        0,
        1,
        311,
        312,
        4096,
        Wire.MAX_DATA - 1,
        Wire.MAX_DATA,
        Wire.MAX_DATA + 1L,
        0x7fffffffL,
        0x80000000L,
        0xffffffffL
    };

    private static final String[] HOSTILE_STRINGS = {
        "",
        ".",
        "..",
        "../laptop2",
        "tank/../../desktop",
        "/tank",
        "tank/",
        "tank//home",
        "tank@s1",
        "tank#b",
        "tank%2Fhome",
        "-F",
        " tank",
        "tank ",
        "t\u0000ank",
        "t\nank",
        "t\n@s",
        "t\r#s",
        "t\n/",
        "-\n",
        "-\u2028",
        "\u2028",
        "tänk",
        "\ud800",
        "a".repeat(256),
        "tank/" + "a/".repeat(200) + "b",
    };

    private static final String[] HOSTILE_VALUES = {
        "null",
        "true",
        "-1",
        "0",
        "9223372036854775807",
        "9223372036854775808",
        "18446744073709551616",
        "-9223372036854775809",
        "1e400",
        "1.5",
        "NaN",
        "\"\"",
        "[]",
        "{}",
        "[null]",
        "[{}]",
        "[" + "[".repeat(2000) + "]".repeat(2000) + "]",
        "{\"a\":" + "{\"a\":".repeat(2000) + "1" + "}".repeat(2000) + "}",
        "\"" + "x".repeat(70_000) + "\"",
    };

    @Test
    void mutatedConversationsAreRefusedCleanly() throws Exception {
        Random random = new Random(0x2EB1A5L);
        List<List<Frame>> seeds = seeds();
        for (int i = 0; i < 120; i++) {
            List<Frame> frames = new ArrayList<>(seeds.get(random.nextInt(seeds.size())));
            String how = mutate(frames, random);
            byte[] input = bytes(frames);
            if (random.nextInt(8) == 0) {
                // Bytes flipped or cut anywhere, the magic and header fields included.
                int at = random.nextInt(input.length);
                if (random.nextBoolean()) {
                    input[at] ^= (byte) (1 << random.nextInt(8));
                    how += ", bit flipped at " + at;
                } else {
                    input = java.util.Arrays.copyOf(input, at);
                    how += ", cut at " + at;
                }
            }
            assertSane(run(input), "case " + i + ": " + how);
        }
        assertHonestRunWorks("the mutations");
    }

    /** Changes {@code frames} (never the HELLO's existence) in one of several ways; says how. */
    private static String mutate(List<Frame> frames, Random random) {
        int which = 1 + random.nextInt(frames.size() - 1);
        Frame f = frames.get(which);
        switch (random.nextInt(7)) {
            case 0 -> {
                long claimed = LENGTHS[random.nextInt(LENGTHS.length)];
                if (f.type() < 0) {
                    return "nothing (unframed)";
                }
                frames.set(which, f.withLength(claimed));
                return "frame " + which + " claims length " + claimed;
            }
            case 1 -> {
                int type = random.nextInt(4) == 0 ? random.nextInt(256) : code(pick(FrameType.values(), random));
                frames.set(which, new Frame(type, f.payload().length, f.payload()));
                return "frame " + which + " retyped 0x" + Integer.toHexString(type);
            }
            case 2 -> {
                frames.add(which, frames.get(random.nextInt(frames.size())));
                return "a frame repeated at " + which;
            }
            case 3 -> {
                frames.remove(which);
                return "frame " + which + " dropped";
            }
            case 4 -> {
                Frame other = frames.get(which == 1 ? frames.size() - 1 : 1);
                frames.set(which, other);
                return "frame " + which + " replaced";
            }
            default -> {
                int j = jsonFrame(frames, random);
                if (j < 0) {
                    return "nothing (no JSON)";
                }
                Frame g = frames.get(j);
                String text = new String(g.payload(), StandardCharsets.UTF_8);
                String changed = mutateJson(text, random);
                frames.set(
                        j,
                        new Frame(
                                g.type(),
                                changed.getBytes(StandardCharsets.UTF_8).length,
                                changed.getBytes(StandardCharsets.UTF_8)));
                return "frame " + j + " JSON " + abbreviate(changed);
            }
        }
    }

    private static int jsonFrame(List<Frame> frames, Random random) {
        List<Integer> candidates = new ArrayList<>();
        for (int i = 0; i < frames.size(); i++) {
            int t = frames.get(i).type();
            if (t == 0x01 || t == 0x14 || t == 0x20 || t == 0x26 || t == 0x27 || t == 0x30 || t == 0x40) {
                candidates.add(i);
            }
        }
        return candidates.isEmpty() ? -1 : candidates.get(random.nextInt(candidates.size()));
    }

    /** A value, a string or the text around them replaced: the box must refuse what does not fit in words. */
    private static String mutateJson(String text, Random random) {
        List<int[]> values = new ArrayList<>();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile(
                        "(\"(?:[^\"\\\\]|\\\\.)*\"|-?\\d+|null|true|false)(?=\\s*[,}\\]])")
                .matcher(text);
        while (m.find()) {
            values.add(new int[] {m.start(), m.end()});
        }
        switch (random.nextInt(6)) {
            case 0, 1 -> {
                int[] v = values.get(random.nextInt(values.size()));
                String replacement = random.nextBoolean()
                        ? quote(HOSTILE_STRINGS[random.nextInt(HOSTILE_STRINGS.length)])
                        : HOSTILE_VALUES[random.nextInt(HOSTILE_VALUES.length)];
                return text.substring(0, v[0]) + replacement + text.substring(v[1]);
            }
            case 2 -> {
                // A key given twice, or an unknown one with a deep value.
                int brace = text.indexOf('{');
                String extra = random.nextBoolean()
                        ? text.substring(brace + 1, Math.max(brace + 1, text.indexOf(',', brace))) + ","
                        : "\"zz\":" + HOSTILE_VALUES[random.nextInt(HOSTILE_VALUES.length)] + ",";
                return text.substring(0, brace + 1) + extra + text.substring(brace + 1);
            }
            case 3 -> {
                return text + pick(new String[] {" ", "{}", "x", "\u0000", ",", "null"}, random);
            }
            case 4 -> {
                int cut = random.nextInt(text.length());
                return text.substring(0, cut);
            }
            default -> {
                // A field left out.
                int[] v = values.get(random.nextInt(values.size()));
                int start = text.lastIndexOf(',', v[0]);
                return start < 0 ? "{}" : text.substring(0, start) + text.substring(v[1]);
            }
        }
    }

    private static <T> T pick(T[] options, Random random) {
        return options[random.nextInt(options.length)];
    }

    private static String abbreviate(String s) {
        return Printable.of(s.length() > 160 ? s.substring(0, 160) + "..." : s);
    }

    // ---- hand-picked hostile frames ----------------------------------------------------------------------

    private static List<Frame> hello(Frame... more) {
        List<Frame> frames = new ArrayList<>();
        frames.add(json(FrameType.HELLO, HELLO));
        frames.addAll(List.of(more));
        return frames;
    }

    private static ErrorReply onlyError(Outcome o, String what) {
        List<ErrorReply> errors = o.errors();
        assertEquals(1, errors.size(), what + ": " + o.replies());
        return errors.get(0);
    }

    /** A length field of 2^31 or 2^32 - 1 is refused from the header, before a byte of it is read or allocated. */
    @Test
    void lengthFieldsBeyondTheLimitsAreRefusedBeforeAnyAllocation() throws Exception {
        FrameType[] types = {
            FrameType.HELLO,
            FrameType.RECV,
            FrameType.DESTROY,
            FrameType.LIST,
            FrameType.BYE,
            FrameType.DATA,
            FrameType.ZDATA,
            FrameType.END
        };
        for (FrameType type : types) {
            for (long claimed : new long[] {Wire.MAX_DATA + 1L, 0x7fffffffL, 0x80000000L, 0xffffffffL}) {
                List<Frame> frames = type == FrameType.HELLO ? new ArrayList<>() : hello();
                if (type == FrameType.DATA || type == FrameType.ZDATA || type == FrameType.END) {
                    frames.add(json(FrameType.RECV, recv("tank/home", "s1", 101, "null")));
                }
                frames.add(new Frame(code(type), claimed, new byte[64]));
                Outcome o = run(bytes(frames));
                String what = type + " claiming " + claimed;
                assertSane(o, what);
                assertEquals(1, o.exit(), what);
                // docs/protocol.md: a protocol error in one line (stderr); the handshake also answers ERROR.
                assertTrue(o.errors().size() <= 1, what + ": " + o.replies());
                o.errors().forEach(e -> assertEquals("protocol", e.code(), what));
                if (type != FrameType.DATA && type != FrameType.ZDATA && type != FrameType.END) {
                    // A request's header, at the handshake or after it: the client learns why in an ERROR.
                    assertEquals(1, o.errors().size(), what + ": " + o.replies());
                }
                assertTrue(o.stderr().contains("the limit is"), what + ": " + o.stderr());
                assertTrue(o.allocated() < 16L << 20, what + " allocated " + o.allocated());
            }
        }
    }

    /** Frames that are valid on their own but not here: each is a protocol error, and the process ends. */
    @Test
    void framesOutOfPlaceAreProtocolErrors() throws Exception {
        List<List<Frame>> cases = new ArrayList<>();
        for (FrameType t : new FrameType[] {
            FrameType.DATA,
            FrameType.ZDATA,
            FrameType.END,
            FrameType.ABORT,
            FrameType.HELLO,
            FrameType.ERROR,
            FrameType.LISTING,
            FrameType.RESULT,
            FrameType.READY,
            FrameType.PROGRESS,
            FrameType.DESTROYED,
            FrameType.SENT,
            FrameType.DETAILED_LISTING
        }) {
            Frame f = t == FrameType.HELLO
                    ? json(t, HELLO)
                    : code(t) == 0x21 || code(t) == 0x25 ? new Frame(t, new byte[16]) : jsonOrEmpty(t);
            cases.add(hello(f));
        }
        // A request before the HELLO, and RECV's stream interrupted by another request.
        cases.add(new ArrayList<>(List.of(empty(FrameType.LIST))));
        cases.add(hello(
                json(FrameType.RECV, recv("tank/home", "s1", 101, "null")),
                new Frame(FrameType.DATA, new byte[10]),
                empty(FrameType.LIST)));
        for (List<Frame> frames : cases) {
            Outcome o = run(bytes(frames));
            String what = "frames "
                    + frames.stream().map(f -> Integer.toHexString(f.type())).toList();
            assertSane(o, what);
            assertEquals(1, o.exit(), what);
            assertEquals("protocol", onlyError(o, what).code(), what);
        }
        // Bytes after BYE are never read: the conversation is over.
        Outcome after = run(bytes(hello(empty(FrameType.BYE), new Frame(0xff, 0xffffffffL, new byte[3]))));
        assertSane(after, "bytes after BYE");
        assertEquals(0, after.exit());
        assertHonestRunWorks("frames out of place");
    }

    private static Frame jsonOrEmpty(FrameType t) {
        return switch (t) {
            case END, ABORT, READY -> empty(t);
            default -> json(t, "{}");
        };
    }

    /**
     * Every name field of every request, with every hostile name: refused as {@code jail} (or the series'
     * own {@code stream} check), in one line, no zfs run on it, and the conversation goes on.
     */
    @Test
    void hostileNamesAreRefusedInOneLineAndNeverReachZfs() throws Exception {
        List<Frame> frames = hello();
        int requests = 0;
        for (String bad : HOSTILE_STRINGS) {
            String q = quote(bad);
            frames.add(json(FrameType.RECV, recv(bad, "s1", 101, "null")));
            frames.add(empty(FrameType.END));
            frames.add(json(FrameType.RECV, recv("tank/home", bad, 101, "null")));
            frames.add(empty(FrameType.END));
            frames.add(json(FrameType.RECV_RAW, recv("tank/home", bad, 101, "null")));
            frames.add(json(FrameType.DESTROY, "{\"path\":" + q + ",\"snapshots\":[]}"));
            frames.add(json(
                    FrameType.DESTROY, "{\"path\":\"tank/home\",\"snapshots\":[{\"name\":" + q + ",\"guid\":1}]}"));
            frames.add(json(FrameType.LIST_ROOTS, "{\"roots\":[\"tank\"," + q + "]}"));
            frames.add(json(
                    FrameType.SEND, "{\"path\":" + q + ",\"snapshot\":\"s1\",\"from\":null,\"resumeToken\":null}"));
            frames.add(json(
                    FrameType.SEND, "{\"path\":\"tank\",\"snapshot\":" + q + ",\"from\":null,\"resumeToken\":null}"));
            frames.add(json(
                    FrameType.SEND,
                    "{\"path\":\"tank\",\"snapshot\":\"s1\",\"from\":" + quote("@" + bad) + ",\"resumeToken\":null}"));
            frames.add(json(
                    FrameType.SEND, "{\"path\":\"tank\",\"snapshot\":\"s1\",\"from\":null,\"resumeToken\":" + q + "}"));
            requests += 10;
        }
        frames.add(empty(FrameType.BYE));
        Outcome o = run(bytes(frames));
        assertSane(o, "hostile names");
        assertEquals(0, o.exit(), o.stderr());
        List<ErrorReply> errors = o.errors();
        // "tank@s1" and the like are valid as a snapshot name's neighbours only where they are refused, so count.
        assertTrue(errors.size() >= requests - 2 * 3, errors.size() + " of " + requests + ": " + errors);
        for (ErrorReply e : errors) {
            assertTrue(Set.of("jail", "protocol", "zfs").contains(e.code()), e.toString());
        }
    }

    /** Every wait on the client is bounded: silence inside a frame, a request or a stream ends the process. */
    @Test
    void aClientThatStallsAnywhereIsCutOffByTheStreamTimeout() throws Exception {
        byte[] stream = stream(101, 0, "tank/home@s1");
        List<byte[]> stalls = new ArrayList<>();
        stalls.add(java.util.Arrays.copyOf(MAGIC, 3));
        stalls.add(java.util.Arrays.copyOf(bytes(hello()), MAGIC.length + 3));
        stalls.add(java.util.Arrays.copyOf(bytes(hello()), bytes(hello()).length - 5));
        byte[] recv = bytes(hello(json(FrameType.RECV, recv("tank/home", "s1", 101, "null"))));
        stalls.add(recv);
        stalls.add(bytes(hello(
                json(FrameType.RECV, recv("tank/home", "s1", 101, "null")),
                new Frame(FrameType.DATA, stream).withLength(stream.length + 100))));
        stalls.add(bytes(hello(
                json(FrameType.RECV, recv("tank/home", "s1", 101, "null")),
                new Frame(FrameType.DATA, java.util.Arrays.copyOf(stream, 400)))));
        stalls.add(bytes(hello(
                json(FrameType.RECV_RAW, recv("tank/home", "s1", 101, "null")),
                unframed(java.util.Arrays.copyOf(stream, 200)))));
        stalls.add(bytes(hello(
                json(FrameType.RECV_RAW, recv("tank/home", "s1", 101, "null")),
                unframed(java.util.Arrays.copyOf(stream, 400)))));
        for (byte[] input : stalls) {
            long start = System.nanoTime();
            Outcome o =
                    run(new Stalling(input), STREAM_TIMEOUT.plus(IDLE_TIMEOUT).plusSeconds(5));
            Duration took = Duration.ofNanos(System.nanoTime() - start);
            assertSane(o, "stall after " + input.length + " bytes");
            assertEquals(1, o.exit(), "stall after " + input.length + " bytes");
            assertTrue(o.stderr().contains("closing the channel"), o.stderr());
            assertTrue(took.compareTo(STREAM_TIMEOUT.plusSeconds(3)) < 0, "took " + took);
        }
        // Between requests only the idle timeout counts, and it is bounded too.
        Outcome idle = run(new Stalling(bytes(hello(empty(FrameType.LIST)))), IDLE_TIMEOUT.plusSeconds(5));
        assertEquals(1, idle.exit());
        assertTrue(idle.has(FrameType.LISTING) && idle.stderr().contains("closing the channel"), idle.stderr());
        assertHonestRunWorks("stalled clients");
    }

    /** The client's bytes, then silence with the channel open (a stalled link) until the box's watchdog interrupts. */
    private static final class Stalling extends InputStream {
        private final ByteArrayInputStream in;

        Stalling(byte[] bytes) {
            this.in = new ByteArrayInputStream(bytes);
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            if (in.available() > 0) {
                return in.read(b, off, len);
            }
            try {
                Thread.sleep(60_000);
            } catch (InterruptedException e) {
                throw new java.io.InterruptedIOException("stalled read interrupted");
            }
            throw new IOException("the stall outlived the test");
        }
    }

    /**
     * docs/protocol.md: a request whose JSON does not fit is answered ERROR protocol, then the process exits 1. A
     * series with a null command was answered so and then served the next request. The client keeps its side open,
     * so only the box itself ends the conversation here (at end of input any box exits 1).
     */
    @Test
    void aSeriesWithoutItsCommandEndsTheConversation() throws Exception {
        String series = "{\"command\":null,\"snapshots\":[{\"name\":\"s2\",\"guid\":102}]}";
        List<List<Frame>> cases = List.of(
                hello(json(FrameType.RECV_SERIES, series), empty(FrameType.END), empty(FrameType.LIST)),
                hello(json(FrameType.RECV_SERIES_RAW, series), empty(FrameType.LIST)));
        for (List<Frame> frames : cases) {
            String what = "0x" + Integer.toHexString(frames.get(1).type());
            Outcome o = run(new Stalling(bytes(frames)), IDLE_TIMEOUT.plusSeconds(5));
            assertSane(o, what);
            assertEquals(1, o.exit(), what);
            assertFalse(o.has(FrameType.LISTING), what + ": the request after it was served: " + o.replies());
            assertEquals("protocol", onlyError(o, what).code(), what);
        }
    }

    /** JSON built to hurt a parser: deep nesting, huge numbers, a megabyte of one string. */
    @Test
    void hostileJsonIsAProtocolError() throws Exception {
        String deep = "[".repeat(200_000);
        String[] payloads = {
            "{\"path\":" + deep + "}",
            "{\"zz\":" + deep + "}",
            "{\"zz\":" + "{\"a\":".repeat(100_000) + "}",
            "{\"path\":\"" + "a".repeat((1 << 20) - 20) + "\"}",
            "{\"path\":\"tank\",\"snapshot\":\"s1\",\"toGuid\":1" + "0".repeat(500_000) + "}",
            "{\"path\":\"tank\",\"snapshot\":\"s1\",\"toGuid\":1e999999999}",
            recv("tank/home", "s1", 101, "null") + recv("tank/home", "s1", 101, "null"),
            "[" + recv("tank/home", "s1", 101, "null") + "]",
            "null",
            "",
            "/* */" + recv("tank/home", "s1", 101, "null"),
            recv("tank/home", "s1", 101, "null").replace("\"path\"", "'path'"),
            recv("tank/home", "s1", 101, "null").replace("101", "101,\"toGuid\":101"),
        };
        for (String payload : payloads) {
            byte[] raw = payload.getBytes(StandardCharsets.UTF_8);
            if (raw.length > Wire.MAX_CONTROL_FROM_CLIENT) {
                raw = java.util.Arrays.copyOf(raw, Wire.MAX_CONTROL_FROM_CLIENT);
            }
            for (FrameType type : new FrameType[] {FrameType.HELLO, FrameType.RECV}) {
                List<Frame> frames = type == FrameType.HELLO ? new ArrayList<>() : hello();
                frames.add(new Frame(type, raw));
                Outcome o = run(bytes(frames));
                String what = type + " " + abbreviate(payload);
                assertSane(o, what);
                assertEquals(1, o.exit(), what);
                assertEquals("protocol", onlyError(o, what).code(), what);
            }
        }
        // Invalid UTF-8 inside a string is refused as well, not decoded into something else.
        byte[] invalid = recv("tank/home", "s1", 101, "null").getBytes(StandardCharsets.UTF_8);
        invalid[10] = (byte) 0xc0;
        Outcome o = run(bytes(hello(new Frame(FrameType.RECV, invalid))));
        assertSane(o, "invalid UTF-8");
        assertEquals(1, o.exit());
    }
}
