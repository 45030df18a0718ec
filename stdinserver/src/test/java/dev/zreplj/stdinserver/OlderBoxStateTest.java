package dev.zreplj.stdinserver;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.VersionType;
import dev.zreplj.zfs.ZfsVersion;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A box upgraded over the state directory an older zreplj wrote: the files under {@code golden/<date>-<commit>/}
 * are what the builds of those commits wrote on zfs-fuse over a real sshd (two passes of a push job, then copied;
 * docs/testing.md). The current code must read every one as that version meant it; above all the receive
 * times, which the keep floor goes by: one not understood would fall back to the creation the client's stream set.
 */
class OlderBoxStateTest {
    @TempDir
    Path state;

    private void install(String version, String resource, Path target) throws IOException {
        try (InputStream in = getClass().getResourceAsStream("/golden/" + version + "/" + resource)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource golden/" + version + "/" + resource);
            }
            Files.createDirectories(target.getParent());
            Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    @Test
    void theKeepFloorGoesByTheReceiveTimesAnOlderBoxRecorded() throws Exception {
        receiveTimes(
                "2026-11-30-d242988",
                "xvrbox/zreplj/laptop/xvrsrc/data",
                "4257267920322167039",
                "1796570105.879240825",
                "11479934225773843446",
                "1796570123.931758957");
        receiveTimes(
                "2026-12-02-c2fc9b4",
                "xvrbox/z2/laptop/xvrsrc/d2",
                "6305817988259123267",
                "1796570208.924706134",
                "3445087427265832834",
                "1796570222.538103828");
    }

    private void receiveTimes(String version, String dataset, String guid1, String time1, String guid2, String time2)
            throws Exception {
        DatasetName fs = DatasetName.of(dataset);
        install(version, "received-times", ReceiveTimes.path(state, fs));
        long g1 = Long.parseUnsignedLong(guid1);
        long g2 = Long.parseUnsignedLong(guid2);
        // Creations a client could have forged, years back: the floor must not see them.
        Instant forged = Instant.parse("2020-01-01T00:00:00Z");
        List<ZfsVersion> versions = List.of(
                new ZfsVersion(fs, VersionType.SNAPSHOT, "a", g1, 1, forged),
                new ZfsVersion(fs, VersionType.SNAPSHOT, "b", g2, 2, forged));
        Map<Long, Instant> expected = Map.of(g1, instant(time1), g2, instant(time2));
        assertEquals(expected, ReceiveTimes.read(state, fs));
        assertEquals(
                expected,
                ReceiveTimes.forFloor(state, fs, versions, instant(time2).plusSeconds(60)));
    }

    @Test
    void theClientStatusAnOlderBoxWroteIsRead() throws Exception {
        clientStatus(
                "2026-11-30-d242988",
                "xvrsrc/data",
                "zrepl_20261206_151519_000",
                "11479934225773843446",
                "2026-12-06T15:15:24.059101784Z");
        clientStatus(
                "2026-12-02-c2fc9b4",
                "xvrsrc/d2",
                "zrepl_20261206_151657_000",
                "3445087427265832834",
                "2026-12-06T15:17:02.706617923Z");
    }

    private void clientStatus(String version, String path, String snapshot, String guid, String received)
            throws Exception {
        install(version, "clients/laptop.json", ClientStatusFile.path(state, "laptop"));
        assertEquals(
                new ClientStatusFile.ClientStatus(
                        "laptop", Map.of(path, new ClientStatusFile.Received(snapshot, guid, received))),
                ClientStatusFile.read(state, "laptop"));
    }

    private static Instant instant(String secondsDotNanos) {
        String[] parts = secondsDotNanos.split("\\.");
        return Instant.ofEpochSecond(Long.parseLong(parts[0]), Long.parseLong(parts[1]));
    }
}
