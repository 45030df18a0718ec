package dev.zreplj.stdinserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.VersionType;
import dev.zreplj.zfs.ZfsVersion;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReceiveTimesTest {
    private static final DatasetName FS = DatasetName.of("box/sink/laptop/tank/a");
    private static final Instant NOW = Instant.parse("2026-11-30T12:00:00.5Z");

    @TempDir
    Path state;

    private static ZfsVersion snap(String name, long guid, Instant creation) {
        return new ZfsVersion(FS, VersionType.SNAPSHOT, name, guid, guid, creation);
    }

    @Test
    void theReceivedSnapshotGetsTheBoxClockAndOthersTheirClampedCreationOnce() throws Exception {
        ZfsVersion old = snap("old", 1, Instant.parse("2026-01-01T00:00:00Z"));
        ZfsVersion future = snap("future", -2, Instant.parse("2100-01-01T00:00:00Z"));
        ZfsVersion fresh = snap("fresh", 3, Instant.parse("1970-01-01T00:00:00Z"));
        Map<Long, Instant> times = ReceiveTimes.update(state, FS, List.of(old, future, fresh), 3L, NOW);
        assertEquals(Map.of(1L, old.creation(), -2L, NOW, 3L, NOW), times);
        assertEquals(times, ReceiveTimes.read(state, FS));
        assertTrue(
                Files.readString(ReceiveTimes.path(state, FS)).contains("18446744073709551614\t1796040000.500000000\n"),
                "guids unsigned, times to the nanosecond");

        // Later evaluations keep what was recorded, and drop what is gone.
        Map<Long, Instant> later = ReceiveTimes.update(state, FS, List.of(future, fresh), null, NOW.plusSeconds(3600));
        assertEquals(Map.of(-2L, NOW, 3L, NOW), later);
    }

    @Test
    void aNameTooLongForAFileNameIsKeptUnderItsHash() throws Exception {
        // 143 characters, which a dataset name may have; with each of its 66 slashes as %2F, 275 bytes.
        DatasetName deep = DatasetName.of("box/sink/laptop/" + "p/".repeat(63) + "x");
        ZfsVersion s = new ZfsVersion(deep, VersionType.SNAPSHOT, "s", 7, 7, NOW);
        assertEquals(Map.of(7L, NOW), ReceiveTimes.update(state, deep, List.of(s), 7L, NOW));
        assertEquals(Map.of(7L, NOW), ReceiveTimes.read(state, deep));
        assertTrue(ReceiveTimes.path(state, deep).getFileName().toString().matches("sha256-[0-9a-f]{64}"));
        // Names that fit keep their readable file, as every file written before.
        assertEquals(
                "box%2Fsink%2Flaptop%2Fp%2Fx",
                ReceiveTimes.path(state, DatasetName.of("box/sink/laptop/p/x"))
                        .getFileName()
                        .toString());
    }

    @Test
    void receivesOfOneFilesystemAreStrictlyOrderedWhateverTheClockSays() throws Exception {
        ZfsVersion a = snap("a", 1, NOW);
        ZfsVersion b = snap("b", 2, NOW);
        ReceiveTimes.update(state, FS, List.of(a), 1L, NOW);
        Map<Long, Instant> times = ReceiveTimes.update(state, FS, List.of(a, b), 2L, NOW.minusSeconds(5));
        assertEquals(NOW.plusNanos(1), times.get(2L), "a clock that went back still orders b after a");
        assertEquals(
                Path.of("received", "box%2Fsink%2Flaptop%2Ftank%2Fa"), state.relativize(ReceiveTimes.path(state, FS)));
    }

    /**
     * A byte outside ASCII (disk damage, a hand edit with the wrong editor) failed the whole read, so every
     * receive into the filesystem and every destroy in it was refused from then on, until someone deleted the
     * file; it is a malformed line like any other, and the lines around it still count.
     */
    @Test
    void aLineWithBytesOutsideAsciiIsMalformedNotTheEndOfReceives() throws Exception {
        ZfsVersion a = snap("a", 1, Instant.parse("2026-01-01T00:00:00Z"));
        ZfsVersion b = snap("b", 2, NOW);
        Path file = ReceiveTimes.path(state, FS);
        Files.createDirectories(file.getParent());
        Files.write(file, "1\t1796000000.000000000\n\u00ff\u00fe\t\u0080\n".getBytes(StandardCharsets.ISO_8859_1));
        assertEquals(Map.of(1L, Instant.ofEpochSecond(1796000000)), ReceiveTimes.read(state, FS));
        Map<Long, Instant> times = ReceiveTimes.update(state, FS, List.of(a, b), 2L, NOW);
        assertEquals(Map.of(1L, Instant.ofEpochSecond(1796000000), 2L, NOW), times);
        assertEquals(times, ReceiveTimes.read(state, FS), "rewritten without the damaged line");
    }

    /**
     * The box's JVM takes its locale from the session's LANG/LC_*, which a client can send (Debian's sshd accepts
     * them): written in a locale with other digits, the times became '?' in the file, every line was malformed, and
     * the keep floor went by the client's creation times instead.
     */
    @Test
    void theTimesSurviveALocaleWithOtherDigits() throws Exception {
        Locale before = Locale.getDefault();
        Locale.setDefault(Locale.forLanguageTag("fa-IR"));
        try {
            ZfsVersion a = snap("a", 1, Instant.parse("2026-01-01T00:00:00Z"));
            Map<Long, Instant> times = ReceiveTimes.update(state, FS, List.of(a), 1L, NOW);
            assertEquals(Map.of(1L, NOW), times);
            assertEquals(times, ReceiveTimes.read(state, FS));
        } finally {
            Locale.setDefault(before);
        }
        assertEquals(Map.of(1L, NOW), ReceiveTimes.read(state, FS));
    }

    @Test
    void nothingRecordedIsAnEmptyMap() throws Exception {
        assertEquals(Map.of(), ReceiveTimes.read(state, FS));
    }
}
