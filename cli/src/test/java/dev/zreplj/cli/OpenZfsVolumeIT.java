package dev.zreplj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.zreplj.cli.openzfs.LabPools;
import dev.zreplj.cli.openzfs.OpenZfsLab;
import dev.zreplj.zfs.DatasetName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A client's volume on an OpenZFS box (docs/box.md, "No block devices"): its copy arrives with
 * {@code volmode=none}, so no {@code /dev/zvol} device of client-chosen bytes ever appears on the box, also
 * when the source sets {@code volmode=full} and sends it as a property ({@code send_properties}).
 */
@Tag("openzfs")
class OpenZfsVolumeIT {

    @Test
    void aVolumeArrivesWithoutABlockDeviceOnTheBox() {
        String tail = "    send: {send_properties: true}\n" + EndToEnd.DEFAULT_JOB_TAIL;
        try (LabEndToEnd e = new LabEndToEnd(OpenZfsLab.connect(), "\"SRC/vol\": true", tail)) {
            LabPools pools = e.pools;
            DatasetName vol = e.src.child("vol");
            pools.zfs("create", "-V", "16M", "-o", "volmode=full", vol.value());
            String device = "/dev/zvol/" + vol.value();
            // Bytes the client chooses: a partition table's worth of random data written through its device.
            e.lab.check("udevadm settle && test -b " + OpenZfsLab.quote(device) + " && dd if=/dev/urandom of="
                    + OpenZfsLab.quote(device) + " bs=64k count=8 oflag=direct status=none");

            EndToEnd.Run run = e.agent("agent", "once", "--snapshot");
            assertEquals(0, run.exit(), run::toString);
            String copy = e.jail.child(vol.value()).value();
            String snapshot = pools.snapshotNames(vol).get(0);
            assertEquals(pools.guid(vol + "@" + snapshot), pools.guid(copy + "@" + snapshot), "the same snapshot");
            assertHidden(e, pools, copy);
            assertEquals(
                    "full",
                    pools.zfs("get", "-H", "-o", "received", "volmode", copy).strip(),
                    "the stream's own volmode arrived as a received value, which the box's local one overrides");

            // An incremental receive keeps it hidden.
            e.lab.check("dd if=/dev/urandom of=" + OpenZfsLab.quote(device) + " bs=64k count=4 oflag=direct"
                    + " status=none");
            EndToEnd.Run again = e.agent("agent", "once", "--snapshot");
            assertEquals(0, again.exit(), again::toString);
            String newest = pools.snapshotNames(vol).get(1);
            assertEquals(pools.guid(vol + "@" + newest), pools.guid(copy + "@" + newest), "the increment arrived");
            assertHidden(e, pools, copy);
        }
    }

    private static void assertHidden(LabEndToEnd e, LabPools pools, String copy) {
        assertEquals(
                "none\tlocal",
                pools.zfs("get", "-H", "-o", "value,source", "volmode", copy).strip());
        String device = "/dev/zvol/" + copy;
        assertEquals(
                "absent",
                e.lab.check("udevadm settle; if test -e " + OpenZfsLab.quote(device) + "; then echo present;"
                                + " else echo absent; fi")
                        .strip(),
                "no block device for the client's volume on the box");
    }
}
