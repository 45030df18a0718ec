package dev.zreplj.zfs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class ZfsExceptionTest {
    private static final List<String> SNAPSHOT = List.of("zfs", "snapshot", "tank/home@s1");
    private static final String DENIED = "cannot create snapshot 'tank/home@s1': permission denied\n";

    @Test
    void aNonRootAccountDeniedAPermissionIsToldTheWayOut() {
        assertEquals(
                "'zfs snapshot tank/home@s1' failed (exit 1): cannot create snapshot 'tank/home@s1': permission"
                        + " denied; zfs ran as 'anna', not root: run zreplj as root, or delegate what it needs with 'zfs allow"
                        + " anna ...' (docs/troubleshooting.md lists the permissions)",
                new ZfsException(SNAPSHOT, 1, DENIED, "anna").getMessage());
    }

    @Test
    void rootAndOtherFailuresKeepZfsOwnLine() {
        assertEquals(
                "'zfs snapshot tank/home@s1' failed (exit 1): cannot create snapshot 'tank/home@s1': permission"
                        + " denied",
                new ZfsException(SNAPSHOT, 1, DENIED, "root").getMessage());
        assertEquals(
                "'zfs snapshot tank/home@s1' failed (exit 1): cannot create snapshot 'tank/home@s1': out of space",
                new ZfsException(SNAPSHOT, 1, "cannot create snapshot 'tank/home@s1': out of space", "anna")
                        .getMessage());
    }
}
