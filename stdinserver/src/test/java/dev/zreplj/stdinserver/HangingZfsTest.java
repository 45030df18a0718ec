package dev.zreplj.stdinserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.config.Config;
import dev.zreplj.config.Global;
import dev.zreplj.config.RecvOptions;
import dev.zreplj.config.ServeLimits;
import dev.zreplj.config.SinkJob;
import dev.zreplj.protocol.RemoteException;
import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.Zfs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A zfs call of the box that never ends (a suspended pool) is stopped at the sink job's stream_timeout: the client
 * reads why, naming the call and the setting, and the process ends; without the bound it waited for ever.
 */
class HangingZfsTest {

    @Test
    void aHangingListIsStoppedAtTheStreamTimeoutAndTheClientReadsWhy(@TempDir Path dir) throws Exception {
        Path pid = dir.resolve("pid");
        Path fake = dir.resolve("zfs");
        Files.writeString(
                fake,
                "#!/bin/sh\ncase \"$1\" in\n"
                        + "'') printf 'usage: zfs command args ...\\n\\tlist [-H] [-o prop] [fs]\\n' >&2;"
                        + " exit 2;;\n"
                        + "holds|version) exit 1;;\n"
                        + "list) echo $$ > " + pid + "; exec sleep 600;;\n"
                        + "esac\nexit 0\n");
        Files.setPosixFilePermissions(fake, PosixFilePermissions.fromString("rwx------"));
        SinkJob sink = new SinkJob(
                "backups",
                DatasetName.of("backup/sink"),
                List.of("laptop"),
                RecvOptions.defaults(),
                List.of(),
                new ServeLimits(Duration.ofMinutes(1), Duration.ofSeconds(1), 8, 2));
        Config config = new Config(dir.resolve("zreplj.yml"), new Global(dir.resolve("state"), null), List.of(sink));

        long started = System.nanoTime();
        PipedServer box = new PipedServer(config, new Zfs(fake), "laptop");
        box.client.handshake();
        RemoteException e = assertTimeoutPreemptively(
                Duration.ofSeconds(30), () -> assertThrows(RemoteException.class, box.client::listFilesystems));
        assertEquals(
                "cannot create the jail backup/sink/laptop: '" + fake + " list -H -o name backup/sink/laptop'"
                        + " did not end within 1s (serve.zreplj.stream_timeout of sink job 'backups'); zreplj stopped"
                        + " it. A zfs command that hangs usually waits on a suspended pool or a failing disk: see"
                        + " 'zpool status -x' and dmesg",
                e.getMessage());
        assertEquals("zfs", e.code());
        assertEquals(1, box.exitCode());
        long millis = (System.nanoTime() - started) / 1_000_000;
        assertTrue(millis < 10_000, "took " + millis + " ms");
        long hung = Long.parseLong(Files.readString(pid).strip());
        boolean alive = true;
        for (int i = 0; i < 50 && alive; i++) {
            Thread.sleep(100);
            alive = ProcessHandle.of(hung).map(ProcessHandle::isAlive).orElse(false);
        }
        assertFalse(alive, "the hanging zfs list (pid " + hung + ") still runs");
    }
}
