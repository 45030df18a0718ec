package dev.zreplj.zfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProbeCacheTest {

    /**
     * A zfs that answers the probe as OpenZFS 2.3 does (from the recorded usage text) and logs each call:
     * shows which runs probed.
     */
    private static Path fakeZfs(Path dir, Path calls) throws Exception {
        return fakeZfs(dir, calls, "usage-openzfs-2.3.txt");
    }

    static Path fakeZfs(Path dir, Path calls, String usageResource) throws Exception {
        Path usage = dir.resolve("usage.txt");
        Files.writeString(usage, ZfsUsageTest.resource(usageResource));
        Path fake = dir.resolve("zfs");
        Files.writeString(
                fake,
                "#!/bin/sh\necho \"$*\" >> " + calls + "\n"
                        + "case \"$1\" in\n"
                        + "  '') cat " + usage + " >&2; exit 2 ;;\n"
                        + "  holds) printf 'missing snapshot argument\\nusage:\\n\\tholds [-rHp] <snapshot> ...\\n' >&2;"
                        + " exit 2 ;;\n"
                        + "  version) printf 'zfs-2.3.1-1\\nzfs-kmod-2.3.1-1\\n'; exit 0 ;;\n"
                        + "  send) printf 'full\\ttank/a@s1\\t4096\\nsize\\t4096\\n'; exit 0 ;;\n"
                        + "esac\nexit 1\n");
        Files.setPosixFilePermissions(fake, PosixFilePermissions.fromString("rwxr-xr-x"));
        return fake;
    }

    private static long probes(Path calls) throws Exception {
        return Files.exists(calls) ? Files.readAllLines(calls).size() : 0;
    }

    @Test
    void aSecondRunTakesTheAnswersOfTheFirstAndAChangedBinaryIsProbedAgain(@TempDir Path dir) throws Exception {
        Path calls = dir.resolve("calls");
        Path fake = fakeZfs(dir, calls);
        Path cache = dir.resolve("state").resolve("zfs-probe");
        Files.createDirectories(cache.getParent());

        Capabilities first = new Zfs(fake, cache).capabilities();
        assertEquals(3, probes(calls), "the first run probes: usage, holds, version");
        assertTrue(Files.isRegularFile(cache), "and keeps the answers");
        assertEquals("zfs-2.3.1-1", first.version(), "the fake answered the probe");

        Zfs second = new Zfs(fake, cache);
        assertEquals(first, second.capabilities());
        assertEquals(3, probes(calls), "the second run starts no zfs for its capabilities");
        assertEquals(0, second.invocations());

        // An upgrade replaces the binary: another size and time.
        Files.writeString(fake, Files.readString(fake) + "# upgraded\n");
        Files.setLastModifiedTime(fake, FileTime.from(Instant.now().plusSeconds(5)));
        assertEquals(first, new Zfs(fake, cache).capabilities());
        assertEquals(6, probes(calls), "a changed zfs is probed again");

        assertEquals(first, new Zfs(fake).capabilities());
        assertEquals(9, probes(calls), "without a cache file every instance probes");
        try (var listing = Files.list(cache.getParent())) {
            assertEquals(List.of(cache), listing.toList(), "no temporary file is left beside the cache");
        }
    }

    @Test
    void aZfsThatCannotBeReachedIsNotCachedAndStillRefused(@TempDir Path dir) throws Exception {
        Path fake = dir.resolve("zfs");
        Files.writeString(fake, "#!/bin/sh\necho 'connect: No such file or directory' >&2\nexit 1\n");
        Files.setPosixFilePermissions(fake, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path cache = dir.resolve("zfs-probe");
        ZfsException e = assertThrows(ZfsException.class, () -> new Zfs(fake, cache).capabilities());
        assertTrue(e.getMessage().startsWith("zfs did not print its usage"), e.getMessage());
        assertTrue(Files.notExists(cache), "a failed probe is not kept");
    }

    @Test
    void theKeyChangesWithEverythingTheAnswersDependOn(@TempDir Path dir) throws Exception {
        Path zfs = Files.writeString(dir.resolve("zfs"), "#!/bin/sh\n");
        Path boot = Files.writeString(dir.resolve("boot_id"), "aaaa\n");
        Path module = dir.resolve("module-version");
        Path watched = dir.resolve("usr-sbin-zfs");
        String key = ProbeCache.key(zfs, "root", boot, module, List.of(watched));
        assertNotNull(key);
        assertEquals(key, ProbeCache.key(zfs, "root", boot, module, List.of(watched)), "stable while nothing changes");

        assertNotEquals(key, ProbeCache.key(zfs, "zreplj", boot, module, List.of(watched)), "another account");
        Files.writeString(boot, "bbbb\n");
        String rebooted = ProbeCache.key(zfs, "root", boot, module, List.of(watched));
        assertNotEquals(key, rebooted, "a reboot");
        Files.writeString(module, "2.3.1-1\n");
        String moduleLoaded = ProbeCache.key(zfs, "root", boot, module, List.of(watched));
        assertNotEquals(rebooted, moduleLoaded, "a zfs module loaded, or another version of it");
        Files.writeString(watched, "x");
        String systemZfs = ProbeCache.key(zfs, "root", boot, module, List.of(watched));
        assertNotEquals(moduleLoaded, systemZfs, "a zfs installed where a wrapper script may call it");
        Files.setLastModifiedTime(watched, FileTime.from(Instant.parse("2020-01-01T00:00:00Z")));
        assertNotEquals(systemZfs, ProbeCache.key(zfs, "root", boot, module, List.of(watched)), "that zfs upgraded");
        String before = ProbeCache.key(zfs, "root", boot, module, List.of(watched));
        Files.writeString(dir.resolve("zfs-fuse"), "#!/bin/sh\n");
        assertNotEquals(before, ProbeCache.key(zfs, "root", boot, module, List.of(watched)), "zfs-fuse beside it");
    }

    @Test
    void answersComeBackExactlyOnlyForTheirKeyAndForADay(@TempDir Path dir) throws Exception {
        ProbeCache cache = new ProbeCache(dir.resolve("zfs-probe"));
        ProbeCache.Answers answers =
                new ProbeCache.Answers("usage:\n\tsend [-DL] <snapshot>\n\t\tüñí=\\:#!\r\n", "", 127, "");
        Instant now = Instant.now();
        assertEquals(Optional.empty(), cache.read("k", now), "nothing cached yet");
        cache.write("k", answers);
        assertEquals(Optional.of(answers), cache.read("k", now));
        assertEquals(Optional.empty(), cache.read("k2", now), "another key");
        assertEquals(
                Optional.empty(), cache.read("k", now.plus(ProbeCache.MAX_AGE).plusSeconds(60)), "too old");

        List<String> lines = Files.readAllLines(cache.file());
        Files.write(cache.file(), List.of(lines.get(0), lines.get(1), lines.get(2), lines.get(3), "b29wcw==", ""));
        assertEquals(Optional.empty(), cache.read("k", now), "a damaged file (exit 'oops') means a fresh probe");
        Files.write(cache.file(), List.of(lines.get(0), lines.get(1), "not base64!", "", "", ""));
        assertEquals(Optional.empty(), cache.read("k", now), "so does a line that is not base64");
        Files.write(cache.file(), lines.subList(0, 5));
        assertEquals(Optional.empty(), cache.read("k", now), "or a cut one");

        ProbeCache nowhere = new ProbeCache(dir.resolve("missing").resolve("zfs-probe"));
        nowhere.write("k", answers);
        assertEquals(Optional.empty(), nowhere.read("k", now), "no state directory: nothing kept, nothing thrown");
    }

    /**
     * Written while the clock was ahead (a year, before NTP set it back): how old the answers are is unknown, and
     * the day they may be reused for must not become that year and a day.
     */
    @Test
    void answersWrittenAheadOfTheClockAreProbedAgain(@TempDir Path dir) throws Exception {
        ProbeCache cache = new ProbeCache(dir.resolve("zfs-probe"));
        ProbeCache.Answers answers = new ProbeCache.Answers("usage:\n", "", 0, "");
        cache.write("k", answers);
        Instant now = Instant.now();
        Files.setLastModifiedTime(cache.file(), FileTime.from(now.plus(Duration.ofDays(365))));
        assertEquals(Optional.empty(), cache.read("k", now));
        Files.setLastModifiedTime(cache.file(), FileTime.from(now.plusSeconds(60)));
        assertEquals(Optional.of(answers), cache.read("k", now), "a minute ahead is a clock's step, not a year");
    }
}
