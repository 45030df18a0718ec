package dev.zreplj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Optional;
import org.junit.jupiter.api.Test;

class SpawnMechanismTest {

    @Test
    void vforkOnLinuxFromJava12To20UnlessTheUserChose() {
        assertEquals(Optional.of("VFORK"), SpawnMechanism.choose(17, "Linux", null));
        assertEquals(Optional.of("VFORK"), SpawnMechanism.choose(12, "Linux", null));
        assertEquals(Optional.of("VFORK"), SpawnMechanism.choose(20, "Linux", null));
        assertEquals(Optional.empty(), SpawnMechanism.choose(21, "Linux", null), "the JDK is retiring it");
        assertEquals(Optional.empty(), SpawnMechanism.choose(11, "Linux", null), "already the default there");
        assertEquals(Optional.empty(), SpawnMechanism.choose(17, "Linux", "POSIX_SPAWN"), "an explicit choice stays");
        assertEquals(Optional.empty(), SpawnMechanism.choose(17, "Mac OS X", null));
    }

    /** The JVM the tests run in (Java 17 on Linux) starts processes with it once a command ran. */
    @Test
    void aCommandSetsItBeforeStartingAnything() {
        Main.run("--version");
        assertEquals(
                SpawnMechanism.choose(Runtime.version().feature(), System.getProperty("os.name"), null),
                Optional.ofNullable(System.getProperty(SpawnMechanism.PROPERTY)));
    }
}
