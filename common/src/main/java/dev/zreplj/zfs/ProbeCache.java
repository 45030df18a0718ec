package dev.zreplj.zfs;

import dev.zreplj.files.StateFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the capability probe's three {@code zfs} calls answered, kept in a file between runs: every pass and
 * every stdinserver process probed afresh, about 0.1 s of three processes on the way to the box's first
 * answer. The answers are reused only while nothing they depend on can have changed: the same account, the
 * same {@code zfs} (the configured binary, what it resolves to, and every zfs and zfs-fuse in the system
 * directories, so a wrapper script notices its target's upgrade), the same boot and the same loaded kernel
 * module, and for at most a day. Anything else, or a file that cannot be read, means a fresh probe; a file
 * that cannot be written costs only the next run's probe.
 */
final class ProbeCache {
    private static final Logger log = LoggerFactory.getLogger(ProbeCache.class);
    static final Duration MAX_AGE = Duration.ofDays(1);
    /** A file's time this far ahead of the clock is a clock's step adjustment (NTP), not a clock set back. */
    private static final Duration MAX_AHEAD = Duration.ofMinutes(15);

    private static final String FORMAT = "zreplj zfs probe 1";
    private static final List<Path> WATCHED = List.of(
            Path.of("/sbin/zfs"),
            Path.of("/usr/sbin/zfs"),
            Path.of("/usr/local/sbin/zfs"),
            Path.of("/sbin/zfs-fuse"),
            Path.of("/usr/sbin/zfs-fuse"),
            Path.of("/usr/local/sbin/zfs-fuse"));
    private static final String UNREADABLE = "<unreadable>";
    private static final Path BOOT_ID = Path.of("/proc/sys/kernel/random/boot_id");
    private static final Path MODULE_VERSION = Path.of("/sys/module/zfs/version");

    /** The probe's answers, as the parsers take them. */
    record Answers(String usage, String holds, int versionExit, String versionStdout) {}

    private final Path file;

    ProbeCache(Path file) {
        this.file = file;
    }

    Path file() {
        return file;
    }

    /**
     * Everything the answers depend on, as one string: a cached answer counts only under the same key. Null when
     * a file's attributes cannot be read: then nothing is cached.
     */
    static @Nullable String key(Path binary, String user, Path bootId, Path moduleVersion, List<Path> watched) {
        StringBuilder sb = new StringBuilder(FORMAT).append('|').append(user).append('|');
        sb.append(binary.toAbsolutePath()).append('=').append(stat(binary)).append('|');
        try {
            Path real = binary.toRealPath();
            sb.append(real).append('=').append(stat(real)).append('|');
        } catch (IOException e) {
            sb.append("unresolved|");
        }
        for (Path p : watched) {
            sb.append(p).append('=').append(stat(p)).append('|');
        }
        sb.append(binary.resolveSibling("zfs-fuse")).append('=').append(stat(binary.resolveSibling("zfs-fuse")));
        sb.append("|boot=").append(content(bootId)).append("|module=").append(content(moduleVersion));
        return sb.indexOf(UNREADABLE) >= 0 ? null : sb.toString();
    }

    static @Nullable String key(Path binary) {
        return key(binary, System.getProperty("user.name"), BOOT_ID, MODULE_VERSION, WATCHED);
    }

    /** The cached answers for {@code key}; empty when there are none, they are for another key, or too old. */
    Optional<Answers> read(String key, Instant now) {
        List<String> lines;
        try {
            // Only from a directory of this user's: answers another user wrote (the box user, in the state
            // directory it owns) could tell root's agent that its zfs lacks or has what it does not.
            StateFiles.Own own = StateFiles.readOwn(file);
            Instant written = own.modified().toInstant();
            // Written later than now: the clock was ahead then (and set back since), so the age is unknown.
            if (written.plus(MAX_AGE).isBefore(now) || written.isAfter(now.plus(MAX_AHEAD))) {
                return Optional.empty();
            }
            lines = new String(own.content(), StandardCharsets.US_ASCII).lines().toList();
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            log.debug("zfs probe cache {} unreadable ({}); probing", file, e.getMessage());
            return Optional.empty();
        }
        try {
            if (lines.size() != 6 || !lines.get(0).equals(FORMAT) || !key.equals(decode(lines.get(1)))) {
                return Optional.empty();
            }
            String exit = decode(lines.get(4));
            if (!exit.matches("-?[0-9]{1,9}")) {
                return Optional.empty();
            }
            return Optional.of(new Answers(
                    decode(lines.get(2)), decode(lines.get(3)), Integer.parseInt(exit), decode(lines.get(5))));
        } catch (IllegalArgumentException e) {
            log.debug("zfs probe cache {} damaged ({}); probing", file, e.getMessage());
            return Optional.empty();
        }
    }

    /** Replaces the file atomically (a temporary file beside it, renamed), so a concurrent reader sees one whole. */
    void write(String key, Answers answers) {
        Path dir = file.toAbsolutePath().getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            return;
        }
        // One line per field, each in base64: any text zfs printed comes back exactly, and nothing needs escaping.
        String text = String.join(
                        "\n",
                        FORMAT,
                        encode(key),
                        encode(answers.usage()),
                        encode(answers.holds()),
                        encode(Integer.toString(answers.versionExit())),
                        encode(answers.versionStdout()))
                + "\n";
        try {
            StateFiles.replace(
                    file, text.getBytes(StandardCharsets.US_ASCII), PosixFilePermissions.fromString("rw-------"));
        } catch (IOException e) {
            log.debug("cannot write the zfs probe cache {}: {}", file, e.getMessage());
        }
    }

    private static String encode(String text) {
        return Base64.getEncoder().encodeToString(text.getBytes(StandardCharsets.UTF_8));
    }

    private static String decode(String line) {
        return new String(Base64.getDecoder().decode(line), StandardCharsets.UTF_8);
    }

    private static String stat(Path p) {
        try {
            Map<String, Object> a = Files.readAttributes(p, "unix:size,lastModifiedTime,ctime,ino");
            return a.get("size") + "," + a.get("lastModifiedTime") + "," + a.get("ctime") + "," + a.get("ino");
        } catch (NoSuchFileException e) {
            return "-";
        } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
            return UNREADABLE;
        }
    }

    private static String content(Path p) {
        try {
            return Files.readString(p).strip();
        } catch (IOException e) {
            return "-";
        }
    }
}
