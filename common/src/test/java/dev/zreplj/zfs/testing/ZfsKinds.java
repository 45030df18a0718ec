package dev.zreplj.zfs.testing;

import dev.zreplj.zfs.Capabilities;
import java.util.Set;

/** What each kind of zfs probes as, for tests that stand a kind in without running it. */
public final class ZfsKinds {
    /** zfs-fuse (pool v23): {@code send -p} and {@code -I}, none of the other probed features. */
    public static final Capabilities ZFS_FUSE = new Capabilities(
            "zfs-fuse", false, false, false, false, false, false, false, false, false, Set.of('p'), true);

    private ZfsKinds() {}

    /** OpenZFS 2.x: every probed feature. */
    public static Capabilities openZfs(String version) {
        return new Capabilities(
                version, true, true, true, true, true, true, true, true, true, Capabilities.ALL_SEND_FLAGS, true);
    }
}
