package dev.zreplj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A host whose /tmp is mounted noexec (CIS hardening): zstd-jni unpacked its native library there and could
 * not load it, so streams silently went uncompressed. An installation on which zreplj-cds-archive ran (every
 * package install, the README's tarball steps) loads it from lib/native instead; one on which it did not
 * still says why in {@code zreplj version}. Needs root, for the noexec tmpfs mount.
 */
@Tag("system")
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class NoexecTmpZstdIT {
    @TempDir
    Path dir;

    @Test
    void anInstalledLibraryLoadsWhereTmpIsNoexec() throws Exception {
        Path home = dir.resolve("zreplj");
        copy(EndToEnd.findLauncher().getParent().getParent(), home);
        // The build tree may have been through zreplj-cds-archive already (by hand, a bench): start as unpacked.
        deleteTree(home.resolve("lib/native"));
        Path tmp = Files.createDirectories(dir.resolve("noexec-tmp"));
        run(List.of("mount", "-t", "tmpfs", "-o", "noexec,size=16m", "tmpfs", tmp.toString()));
        try {
            String before = version(home, tmp);
            assertTrue(
                    before.contains("zstd: unavailable, streams go uncompressed (") && before.contains(tmp.toString()),
                    "without the install step zstd-jni unpacks into the noexec tmpdir and says so:\n" + before);

            run(List.of(home.resolve("bin/zreplj-cds-archive").toString()));
            assertTrue(Files.isRegularFile(home.resolve("lib/native/" + ZstdLibraryUnpack.fileName())));
            String after = version(home, tmp);
            assertTrue(after.contains("\nzstd: available\n"), after);
            try (var left = Files.list(tmp)) {
                assertEquals(List.of(), left.toList(), "nothing unpacked into the tmpdir any more");
            }
        } finally {
            run(List.of("umount", tmp.toString()));
        }
    }

    private static String version(Path home, Path tmp) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(home.resolve("bin/zreplj").toString(), "version");
        pb.environment().put("ZREPLJ_JAVA_OPTS", "-Djava.io.tmpdir=" + tmp);
        return output(pb);
    }

    private static String run(List<String> command) throws IOException, InterruptedException {
        return output(new ProcessBuilder(command));
    }

    private static String output(ProcessBuilder pb) throws IOException, InterruptedException {
        Process p = pb.redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), pb.command() + " did not end");
        assertEquals(0, p.exitValue(), pb.command() + " failed:\n" + out);
        return out;
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (var files = Files.walk(root)) {
            for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    private static void copy(Path from, Path to) throws IOException {
        try (var files = Files.walk(from)) {
            for (Path p : files.toList()) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target, java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
    }
}
