package dev.zreplj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.cli.openzfs.LabPools;
import dev.zreplj.cli.openzfs.OpenZfsLab;
import dev.zreplj.zfs.DatasetName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * {@code send.send_properties} ({@code zfs send -p}) and {@code send.backup_properties} ({@code -b}) on
 * OpenZFS 2.3 in the lab guest: the box takes the compound stream, the source's properties arrive as
 * received properties, and the box's mount policy holds ({@code recv -x} of the mount properties: the copy
 * keeps the jail's {@code mountpoint=none} and is not mounted although the source sets a mountpoint).
 */
@Tag("openzfs")
class OpenZfsSendPropertiesIT {

    private static String valueAndSource(LabPools pools, String property, String dataset) {
        return pools.zfs("get", "-H", "-o", "value,source", property, dataset).strip();
    }

    @Test
    void sendAndBackupPropertiesArriveAsReceivedPropertiesAndNothingMounts() {
        String tail = "    send: {send_properties: true}\n" + EndToEnd.DEFAULT_JOB_TAIL;
        try (LabEndToEnd e = new LabEndToEnd(OpenZfsLab.connect(), "\"SRC/data\": true", tail)) {
            LabPools pools = e.pools;
            String mnt = pools.workDir() + "/client-mnt";
            DatasetName data = pools.createFilesystem(
                    e.src.child("data"),
                    "compression=zstd",
                    "recordsize=64K",
                    "org.zreplj:label=src",
                    "mountpoint=" + mnt,
                    "canmount=on");
            pools.writeRandomFile(data, "file", 256 << 10);

            EndToEnd.Run run = e.agent("agent", "once", "--snapshot");
            assertEquals(0, run.exit(), run::toString);
            String snapshot = pools.snapshotNames(data).get(0);
            String copy = e.jail.child(data.value()).value();
            assertEquals(pools.guid(data + "@" + snapshot), pools.guid(copy + "@" + snapshot), "the same snapshot");
            assertEquals("src\treceived", valueAndSource(pools, "org.zreplj:label", copy));
            assertEquals("zstd\treceived", valueAndSource(pools, "compression", copy));
            assertEquals("64K\treceived", valueAndSource(pools, "recordsize", copy));
            assertMountPolicyHolds(pools, copy);

            // An incremental carries the properties again: a change on the source arrives.
            pools.zfs("set", "org.zreplj:label=changed", data.value());
            EndToEnd.Run again = e.agent("agent", "once", "--snapshot");
            assertEquals(0, again.exit(), again::toString);
            assertEquals(2, pools.snapshotNames(DatasetName.of(copy)).size(), "the increment arrived");
            assertEquals("changed\treceived", valueAndSource(pools, "org.zreplj:label", copy));
            assertMountPolicyHolds(pools, copy);

            // -b sends what the source itself received, not what was set on it locally.
            DatasetName restored = e.src.child("restored");
            String latest = data + "@" + pools.snapshotNames(data).get(1);
            e.lab.check("zfs send -p " + OpenZfsLab.quote(latest) + " | zfs recv -u -x mountpoint "
                    + OpenZfsLab.quote(restored.value()));
            pools.zfs("set", "org.zreplj:local=here", restored.value());
            assertEquals("changed\treceived", valueAndSource(pools, "org.zreplj:label", restored.value()));
            e.writeAgentConfig(
                    "\"SRC/restored\": true", "    send: {backup_properties: true}\n" + EndToEnd.DEFAULT_JOB_TAIL);
            EndToEnd.Run backup = e.agent("agent", "once", "--snapshot");
            assertEquals(0, backup.exit(), backup::toString);
            String restoredCopy = e.jail.child(restored.value()).value();
            String newest = pools.snapshotNames(restored)
                    .get(pools.snapshotNames(restored).size() - 1);
            assertEquals(pools.guid(restored + "@" + newest), pools.guid(restoredCopy + "@" + newest));
            assertEquals("changed\treceived", valueAndSource(pools, "org.zreplj:label", restoredCopy));
            assertEquals("zstd\treceived", valueAndSource(pools, "compression", restoredCopy));
            assertEquals("-\t-", valueAndSource(pools, "org.zreplj:local", restoredCopy), "a local one stays home");
            assertMountPolicyHolds(pools, restoredCopy);
        }
    }

    /** A raw send of an encryption root with -p: the compound stream's substream carries its own crypt payload. */
    @Test
    void aRawSendWithPropertiesArrivesLockedWithItsProperties() {
        String tail = "    send: {encrypted: true, send_properties: true}\n" + EndToEnd.DEFAULT_JOB_TAIL;
        try (LabEndToEnd e = new LabEndToEnd(OpenZfsLab.connect(), "\"SRC/secret\": true", tail)) {
            LabPools pools = e.pools;
            DatasetName secret = e.src.child("secret");
            pools.createEncrypted(secret, "correct horse battery");
            pools.zfs("set", "org.zreplj:label=secret", secret.value());
            pools.writeRandomFile(secret, "a.bin", 256 << 10);

            EndToEnd.Run run = e.agent("agent", "once", "--snapshot");
            assertEquals(0, run.exit(), run::toString);
            String snapshot = pools.snapshotNames(secret).get(0);
            String copy = e.jail.child(secret.value()).value();
            assertEquals(pools.guid(secret + "@" + snapshot), pools.guid(copy + "@" + snapshot), "the same snapshot");
            assertEquals("unavailable", pools.get(copy, "keystatus"), "the box never had the key");
            assertEquals("secret\treceived", valueAndSource(pools, "org.zreplj:label", copy));
            assertMountPolicyHolds(pools, copy);
        }
    }

    /**
     * The shipped contrib/config/sink.yml overrides canmount. zfs recv refuses a name given to both -o and -x
     * ("property 'canmount' specified multiple times"), so the box must not also exclude what an override
     * sets: before, every stream that carried properties failed on such a box.
     */
    @Test
    void aSinkOverrideOfAMountPropertyStillTakesStreamsWithProperties() {
        String tail = "    send: {send_properties: true}\n" + EndToEnd.DEFAULT_JOB_TAIL;
        try (LabEndToEnd e = new LabEndToEnd(OpenZfsLab.connect(), "\"SRC/data\": true", tail)) {
            LabPools pools = e.pools;
            e.writeSinkConfig(
                    e.sinkRoot(), "    recv:\n      properties:\n        override:\n          canmount: \"off\"\n");
            DatasetName data = pools.createFilesystem(
                    e.src.child("data"),
                    "org.zreplj:label=src",
                    "mountpoint=" + pools.workDir() + "/override-mnt",
                    "canmount=on");
            pools.writeRandomFile(data, "file", 64 << 10);

            EndToEnd.Run run = e.agent("agent", "once", "--snapshot");
            assertEquals(0, run.exit(), run::toString);
            String snapshot = pools.snapshotNames(data).get(0);
            String copy = e.jail.child(data.value()).value();
            assertEquals(pools.guid(data + "@" + snapshot), pools.guid(copy + "@" + snapshot), "the same snapshot");
            assertEquals("src\treceived", valueAndSource(pools, "org.zreplj:label", copy));
            assertEquals("off\tlocal", valueAndSource(pools, "canmount", copy), "the box's override");
            String mountpoint = valueAndSource(pools, "mountpoint", copy);
            assertTrue(
                    mountpoint.startsWith("none\tinherited from "), "the jail's mountpoint=none holds: " + mountpoint);
            assertEquals("no", pools.get(copy, "mounted"));
        }
    }

    private static void assertMountPolicyHolds(LabPools pools, String copy) {
        String mountpoint = valueAndSource(pools, "mountpoint", copy);
        assertTrue(mountpoint.startsWith("none\tinherited from "), "the jail's mountpoint=none holds: " + mountpoint);
        assertEquals(
                "",
                pools.zfs("get", "-H", "-o", "value", "-s", "received", "mountpoint,canmount,sharenfs,sharesmb", copy)
                        .strip(),
                "no mount property was received");
        assertEquals("no", pools.get(copy, "mounted"));
    }
}
