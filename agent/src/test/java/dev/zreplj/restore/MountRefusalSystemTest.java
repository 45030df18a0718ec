package dev.zreplj.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.Zfs;
import dev.zreplj.zfs.testing.TestPools;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Where a restore may put a new filesystem on zfs-fuse, which cannot receive without mounting it. */
@Tag("system")
class MountRefusalSystemTest {
    @Test
    void onlyBelowAnExistingParentWithoutMountpoint() throws Exception {
        try (TestPools pools = TestPools.open()) {
            DatasetName pool = pools.createPool("mount");
            Zfs zfs = new Zfs(pools.zfsBinary());
            DatasetName none = pools.createFilesystem(pool.child("none"), "mountpoint=none");
            assertNull(Restorer.mountRefusal(zfs, none.child("home")));

            DatasetName missing = pool.child("missing");
            assertEquals(
                    missing
                            + " does not exist, and this zfs (zfs-fuse) cannot receive without mounting"
                            + " (no 'zfs recv -u'):"
                            + " create it with 'zfs create -o mountpoint=none " + missing + "' (its parents must"
                            + " exist), then mount the restored filesystem where you want it",
                    Restorer.mountRefusal(zfs, missing.child("home")));

            // A mistyped pool: zfs create cannot make one, so the advice is not to create it.
            assertEquals(
                    "there is no pool rsnosuchpool here ('zpool list' shows the pools): restore below an existing one",
                    Restorer.mountRefusal(zfs, DatasetName.of("rsnosuchpool/home")));

            assertEquals(
                    "this zfs (zfs-fuse) cannot receive without mounting (no 'zfs recv -u'), and " + pool.child("home")
                            + " would be mounted at once below " + pool + " (mountpoint "
                            + pools.get(pool.value(), "mountpoint")
                            + "): run 'zfs set"
                            + " mountpoint=none " + pool + "' (or restore below a dataset that has it), then mount the"
                            + " restored filesystem where you want it",
                    Restorer.mountRefusal(zfs, pool.child("home")));
        }
    }
}
