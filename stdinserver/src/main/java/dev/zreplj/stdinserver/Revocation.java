package dev.zreplj.stdinserver;

import dev.zreplj.files.StateFiles;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code zreplj box revoke CLIENT_ID}'s record: SSH connections of that client opened before it no longer act for
 * it. sshd reads authorized_keys only when a connection authenticates, so a connection made with a stolen key before
 * its line was removed can go on opening channels, each one running the forced command again; the box cannot tell
 * which key a connection used, but it can tell when the connection was opened, and a key line removed before that
 * could not have let it in. Times are the kernel's since boot (the clock process start times are kept in), so a
 * wall clock set back or forward plays no part; a record of an earlier boot is void, as every connection since is
 * newer.
 *
 * @param bootId        the kernel's boot id when the record was made
 * @param uptimeCentis  centiseconds since boot when the record was made
 * @param at            the wall-clock time, for messages only
 */
public record Revocation(String bootId, long uptimeCentis, Instant at) {
    private static final Path PROC = Path.of("/proc");
    /**
     * A connection counts as opened before the record unless it began this much after it: process start times are
     * whole clock ticks, and a connection whose sshd was forked just after the key line went could only be refused
     * once (it connects again), while one let through would be the thief's.
     */
    static final long MARGIN_CENTIS = 100;

    /** The record of {@code client}, at {@code <state_dir>/revoked/<CLIENT_ID>}. */
    public static Path path(Path stateDir, String client) {
        return stateDir.resolve("revoked").resolve(client);
    }

    /** Now, by this kernel's boot clock. */
    public static Revocation now() throws IOException {
        return now(PROC, Instant.now().truncatedTo(java.time.temporal.ChronoUnit.SECONDS));
    }

    static Revocation now(Path proc, Instant at) throws IOException {
        return new Revocation(bootId(proc), startOfAFreshThread(proc), at);
    }

    /** Writes the record (replacing an older one of the client), readable by the box user. */
    public static void write(Path stateDir, String client, Revocation r) throws IOException {
        StateFiles.createDirectories(stateDir.resolve("revoked"), PosixFilePermissions.fromString("rwxr-x---"));
        String text = "boot_id " + r.bootId + "\nuptime_centis " + r.uptimeCentis + "\nat " + r.at + "\n";
        StateFiles.replace(
                path(stateDir, client),
                text.getBytes(StandardCharsets.UTF_8),
                PosixFilePermissions.fromString("rw-r-----"));
    }

    /** The client's record, or empty when it has none. */
    public static Optional<Revocation> read(Path stateDir, String client) throws IOException {
        Path file = path(stateDir, client);
        if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
            return Optional.empty();
        }
        String text;
        try {
            text = new String(StateFiles.read(file), StandardCharsets.UTF_8);
        } catch (NoSuchFileException gone) {
            return Optional.empty();
        }
        String boot = null;
        Long uptime = null;
        Instant at = null;
        try {
            for (String line : text.split("\n")) {
                int space = line.indexOf(' ');
                if (space < 0) continue;
                String value = line.substring(space + 1);
                switch (line.substring(0, space)) {
                    case "boot_id" -> boot = value;
                    case "uptime_centis" -> uptime = Long.parseLong(value);
                    case "at" -> at = Instant.parse(value);
                    default -> {}
                }
            }
        } catch (RuntimeException e) {
            boot = null;
        }
        if (boot == null || uptime == null || at == null) {
            throw new IOException(file + ": not a revocation record zreplj wrote; run 'zreplj box revoke " + client
                    + "' again to write it anew");
        }
        return Optional.of(new Revocation(boot, uptime, at));
    }

    /**
     * Whether a connection opened at {@code connectionStartCentis} since boot {@code bootId} (empty: unknown) may
     * have been let in by a key line this record removed. Unknown counts as yes, in this boot.
     */
    public boolean covers(String bootId, OptionalLong connectionStartCentis) {
        if (!this.bootId.equals(bootId)) {
            return false;
        }
        return connectionStartCentis.isEmpty() || connectionStartCentis.getAsLong() < uptimeCentis + MARGIN_CENTIS;
    }

    static String bootId(Path proc) throws IOException {
        return Files.readString(proc.resolve("sys/kernel/random/boot_id")).strip();
    }

    /**
     * Now, in the clock the connections' start times are read in: the start of a thread begun for it, from its own
     * {@code thread-self/stat}. Not {@code /proc/uptime}: in a container under lxcfs (LXC, LXD, Incus, Proxmox)
     * that counts from the container's start while start times count from the host's boot, so a record made by it
     * was older than every connection, and the stolen key's connection went on being served.
     */
    private static long startOfAFreshThread(Path proc) throws IOException {
        AtomicReference<Object> read = new AtomicReference<>();
        Thread t = new Thread(
                () -> {
                    try {
                        read.set(SshConnection.startTicks(
                                Files.readString(proc.resolve("thread-self/stat"), StandardCharsets.UTF_8)));
                    } catch (IOException | RuntimeException e) {
                        read.set(e);
                    }
                },
                "revocation-clock");
        t.start();
        try {
            t.join();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted reading the boot clock", e);
        }
        Object r = read.get();
        if (r instanceof Long start) {
            return start;
        }
        throw new IOException(
                proc.resolve("thread-self/stat") + ": cannot read this thread's start time: " + r, (Exception) r);
    }
}
