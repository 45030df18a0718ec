package dev.zreplj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * bin/zreplj as shipped (cli/src/dist), run with a stand-in {@code java} that records the options it was given:
 * which JVM options go to which command.
 */
class LauncherTest {
    private static final String TRIM = "-XX:TrimNativeHeapInterval=5000";

    /** Answers -version (refusing the trim option when FAKE_JAVA_OLD is set, as Java before 17.0.9 does). */
    private static final String FAKE_JAVA = """
            #!/bin/sh
            for a in "$@"; do
                case $a in -XX:TrimNativeHeapInterval=*) [ -n "$FAKE_JAVA_OLD" ] && exit 1 ;; esac
            done
            for a in "$@"; do [ "$a" = -version ] && exit 0; done
            { echo "MALLOC_ARENA_MAX=$MALLOC_ARENA_MAX"; printf '%s\\n' "$@"; } > "$FAKE_JAVA_ARGS"
            """;

    @TempDir
    Path dir;

    /** MALLOC_ARENA_MAX in the launcher's environment, as an admin may set it; null: unset. */
    private String adminArenas;

    @Test
    void agentRunGivesFreedNativeMemoryBack() throws Exception {
        assertTrue(
                run(false, "--config", "/etc/zreplj/zreplj.yml", "agent", "run").contains(TRIM));
    }

    @Test
    void agentRunHasTheSmallerYoungGeneration() throws Exception {
        List<String> run = run(false, "agent", "run");
        assertTrue(run.contains("-Xmn12m"), run::toString);
        assertFalse(run.contains("-Xmn24m"), run::toString);
        List<String> once = run(false, "agent", "once");
        assertTrue(once.contains("-Xmn24m"), once::toString);
        assertFalse(once.contains("-Xmn12m"), once::toString);
        List<String> box = run(false, "stdinserver", "laptop");
        assertTrue(box.contains("-Xmn2m"), box::toString);
    }

    /** bench/soak: two malloc arenas keep a long agent run's peak lower; only there, and the admin's value stands. */
    @Test
    void agentRunSharesTwoMallocArenas() throws Exception {
        assertTrue(run(false, "agent", "run").contains("MALLOC_ARENA_MAX=2"));
        assertTrue(run(false, "agent", "once").contains("MALLOC_ARENA_MAX="));
        assertTrue(run(false, "stdinserver", "laptop").contains("MALLOC_ARENA_MAX="));
        adminArenas = "4";
        assertTrue(run(false, "agent", "run").contains("MALLOC_ARENA_MAX=4"));
    }

    @Test
    void shortLivedCommandsDoNotAskTheJvm() throws Exception {
        assertFalse(run(false, "agent", "once").contains(TRIM));
        assertFalse(run(false, "stdinserver", "laptop").contains(TRIM));
        assertFalse(run(false, "status", "run").contains(TRIM));
    }

    @Test
    void aJavaWithoutTheOptionStillRunsTheAgent() throws Exception {
        List<String> args = run(true, "agent", "run");
        assertFalse(args.contains(TRIM));
        assertEquals(List.of("dev.zreplj.cli.Main", "agent", "run"), args.subList(args.size() - 3, args.size()));
    }

    private List<String> run(boolean oldJava, String... command) throws IOException, InterruptedException {
        Path home = dir.resolve("zreplj");
        Files.createDirectories(home.resolve("bin"));
        Files.createDirectories(home.resolve("lib"));
        Path launcher = home.resolve("bin/zreplj");
        Files.copy(Path.of("src/dist/bin/zreplj"), launcher, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Path javaHome = dir.resolve("jdk");
        Files.createDirectories(javaHome.resolve("bin"));
        Path java = javaHome.resolve("bin/java");
        Files.writeString(java, FAKE_JAVA, StandardCharsets.UTF_8);
        Files.setPosixFilePermissions(java, PosixFilePermissions.fromString("rwxr-xr-x"));
        Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path recorded = dir.resolve("args");
        Files.deleteIfExists(recorded);
        List<String> cmd = new ArrayList<>(List.of(launcher.toString()));
        cmd.addAll(List.of(command));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("JAVA_HOME", javaHome.toString());
        pb.environment().put("FAKE_JAVA_ARGS", recorded.toString());
        pb.environment().remove("ZREPLJ_JAVA_OPTS");
        pb.environment().remove("MALLOC_ARENA_MAX");
        if (adminArenas != null) {
            pb.environment().put("MALLOC_ARENA_MAX", adminArenas);
        }
        if (oldJava) {
            pb.environment().put("FAKE_JAVA_OLD", "1");
        }
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(30, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), out);
        return Files.readAllLines(recorded);
    }
}
