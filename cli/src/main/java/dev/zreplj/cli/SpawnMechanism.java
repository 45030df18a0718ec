package dev.zreplj.cli;

import java.util.Optional;

/**
 * How the JDK starts zfs. Since Java 12 it starts each child through the helper program jspawnhelper
 * (posix_spawn, then an exec of the helper, which execs the command): for every zfs call a second program
 * loaded and linked. A small-step pass starts about ten zfs per filesystem on each side, and on zfs-fuse the
 * two-core bench machine is busy starting processes; jspawnhelper alone was 8% of all its CPU samples
 * ({@code perf}, bench/RESULTS.md). The JDK's vfork launch (its default up to Java 11) execs zfs directly:
 * six interleaved small passes each, the agent's CPU 6.1 -> 5.5 s, wall time 12.6 -> 11.6 s. Java 21 and
 * later are left to their default, as the JDK is retiring that mechanism; so is an explicit
 * {@code -Djdk.lang.Process.launchMechanism}.
 */
final class SpawnMechanism {
    static final String PROPERTY = "jdk.lang.Process.launchMechanism";

    private SpawnMechanism() {}

    /** The mechanism to set for this JVM, if any. */
    static Optional<String> choose(int javaFeature, String osName, String current) {
        if (current != null || !"Linux".equals(osName) || javaFeature < 12 || javaFeature > 20) {
            return Optional.empty();
        }
        return Optional.of("VFORK");
    }

    /** Before the first process is started: the JDK reads the property once. */
    static void apply() {
        Optional<String> mechanism =
                choose(Runtime.version().feature(), System.getProperty("os.name"), System.getProperty(PROPERTY));
        if (mechanism.isPresent()) {
            System.setProperty(PROPERTY, mechanism.get());
        }
    }
}
