package dev.zreplj.cli.openzfs;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The running OpenZFS lab guest (contrib/zfs-lab): runs shell commands in it as root through the
 * system ssh client and the ssh_config that {@code contrib/zfs-lab/start} writes. The guest has no
 * network and only a JRE, so everything a test needs is copied in over the same connection.
 */
public final class OpenZfsLab {
    public static final String NOT_RUNNING =
            "OpenZFS lab not running: bash contrib/zfs-lab/build && bash contrib/zfs-lab/start";
    /** TCG emulation makes everything slow; a JVM start alone takes seconds. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(600);

    private static final String DIST_ROOT = "/opt/zreplj-test";

    /** Outcome of one command in the guest. */
    public record Result(int exit, String stdout, String stderr) {
        @Override
        public String toString() {
            return "exit " + exit + "\n--- stdout\n" + stdout + "--- stderr\n" + stderr;
        }
    }

    private final Path sshConfig;

    private OpenZfsLab(Path sshConfig) {
        this.sshConfig = sshConfig;
    }

    /**
     * The lab of {@code $ZFS_LAB_RUN_DIR} (default /var/tmp/zfs-lab); fails with {@link #NOT_RUNNING}
     * unless the guest answers and its zfs module is live.
     */
    public static OpenZfsLab connect() {
        String runDir = System.getenv().getOrDefault("ZFS_LAB_RUN_DIR", "/var/tmp/zfs-lab");
        Path config = Path.of(runDir, "ssh_config");
        if (!Files.isReadable(config)) {
            throw new IllegalStateException(NOT_RUNNING + " (no " + config + ")");
        }
        OpenZfsLab lab = new OpenZfsLab(config);
        Result probe = lab.sh("cat /sys/module/zfs/initstate && zfs version", null, Duration.ofSeconds(60));
        if (probe.exit() != 0 || !probe.stdout().startsWith("live")) {
            throw new IllegalStateException(NOT_RUNNING + " (the guest did not answer: " + probe + ")");
        }
        return lab;
    }

    /** Runs a shell script in the guest (as root, in /root); stdin may be null. */
    public Result sh(String script, byte[] stdin, Duration timeout) {
        Process p = spawn(script);
        try {
            Thread feeder = new Thread(() -> {
                try (OutputStream in = p.getOutputStream()) {
                    if (stdin != null) in.write(stdin);
                } catch (IOException ignored) {
                    // the command may exit before reading everything; its exit status tells
                }
            });
            feeder.start();
            Drain out = Drain.of(p.getInputStream());
            Drain err = Drain.of(p.getErrorStream());
            if (!p.waitFor(timeout.toSeconds(), TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError("in the OpenZFS lab, '" + script + "' did not finish within "
                        + timeout.toSeconds() + " s; stderr so far:\n" + err.text());
            }
            feeder.join();
            return new Result(p.exitValue(), out.text(), err.text());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            throw new AssertionError("interrupted", e);
        }
    }

    /** Runs a shell script in the guest; returns stdout; fails with stderr on a non-zero exit. */
    public String check(String script) {
        Result r = sh(script, null, DEFAULT_TIMEOUT);
        if (r.exit() != 0) {
            throw new IllegalStateException("in the OpenZFS lab, '" + script + "' failed (exit " + r.exit() + "): "
                    + r.stderr().strip());
        }
        return r.stdout();
    }

    /** Starts a shell script in the guest without waiting; the ssh client is the returned process. */
    public Process spawn(String script) {
        try {
            return new ProcessBuilder("ssh", "-F", sshConfig.toString(), "zfs-lab", "--", script).start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run ssh into the OpenZFS lab: " + e.getMessage(), e);
        }
    }

    /** Writes a file in the guest (parent directories are created). */
    public void write(String path, byte[] content) {
        Result r = sh("mkdir -p " + quote(parent(path)) + " && cat > " + quote(path), content, DEFAULT_TIMEOUT);
        if (r.exit() != 0) {
            throw new IllegalStateException("cannot write " + path + " in the OpenZFS lab: "
                    + r.stderr().strip());
        }
    }

    public void write(String path, String content) {
        write(path, content.getBytes(StandardCharsets.UTF_8));
    }

    public String read(String path) {
        return check("cat " + quote(path));
    }

    /**
     * Copies the built distribution (cli/target/zreplj.tar.gz, made by {@code mvn package}) into the
     * guest, unpacks it and makes its AppCDS archive, once per content; returns the guest path of its
     * {@code bin/zreplj}.
     */
    public String installDistribution(Path tarGz) {
        if (!Files.isReadable(tarGz)) {
            throw new IllegalStateException(
                    "no distribution at " + tarGz.toAbsolutePath() + ": the OpenZFS tests run after 'mvn package'");
        }
        try {
            byte[] tar = Files.readAllBytes(tarGz);
            String dir = DIST_ROOT + "/" + sha256(tar).substring(0, 16);
            // Test classes run concurrently in phase 2: the first unpacks and makes the archive under a lock
            // in the guest, the others wait for it; the marker says both are complete.
            String find = "ls -d " + dir + "/zreplj-*/bin/zreplj 2>/dev/null | head -n 1";
            String ready = "[ -e " + dir + "/.installed ] && " + find;
            String existing = sh(ready, null, DEFAULT_TIMEOUT).stdout().strip();
            if (!existing.isEmpty()) return existing;
            // As the quickstart advises users: under TCG a JVM start takes seconds, the archive about
            // halves it (measured in the guest: 'zreplj version' 90 -> 35-42 s on a loaded host), and
            // the lab tests start a few hundred JVMs.
            Result r = sh(
                    String.join(
                            "\n",
                            "set -e",
                            "exec 9>/run/zreplj-test-install.lock",
                            "flock 9",
                            "if [ -e " + dir + "/.installed ]; then cat >/dev/null; else",
                            "  rm -rf " + DIST_ROOT + " && mkdir -p " + dir + " && tar -xzf - -C " + dir,
                            "  l=$(" + find + ")",
                            "  [ -n \"$l\" ] || { echo 'the distribution has no zreplj-*/bin/zreplj' >&2; exit 1; }",
                            "  \"$l-cds-archive\"",
                            "  touch " + dir + "/.installed",
                            "fi",
                            find),
                    tar,
                    DEFAULT_TIMEOUT);
            if (r.exit() != 0) {
                throw new IllegalStateException("cannot install the distribution " + tarGz + " in the OpenZFS lab: "
                        + r.stderr().strip());
            }
            // The archive tool may print; the launcher's path is the script's last line.
            String[] lines = r.stdout().strip().split("\n");
            return lines[lines.length - 1].strip();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + tarGz + ": " + e.getMessage(), e);
        }
    }

    /** Single-quotes a word for the guest's /bin/sh. */
    public static String quote(String word) {
        return "'" + word.replace("'", "'\\''") + "'";
    }

    /** Quotes each word and joins them: a command line for the guest's shell. */
    public static String command(List<String> words) {
        StringBuilder sb = new StringBuilder();
        for (String w : words) {
            if (sb.length() > 0) sb.append(' ');
            sb.append(quote(w));
        }
        return sb.toString();
    }

    private static String parent(String path) {
        int slash = path.lastIndexOf('/');
        return slash <= 0 ? "/" : path.substring(0, slash);
    }

    private static String sha256(byte[] data) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(data));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 missing from this JRE", e);
        }
    }

    private static final class Drain extends Thread {
        private final InputStream in;
        private volatile String text = "";

        private Drain(InputStream in) {
            this.in = in;
        }

        static Drain of(InputStream in) {
            Drain d = new Drain(in);
            d.start();
            return d;
        }

        @Override
        public void run() {
            try {
                text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                text = "(read failed: " + e.getMessage() + ")";
            }
        }

        String text() throws InterruptedException {
            join(10_000);
            return text;
        }
    }
}
