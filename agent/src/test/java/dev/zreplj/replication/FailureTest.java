package dev.zreplj.replication;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import dev.zreplj.protocol.ErrorCodes;
import dev.zreplj.protocol.RemoteException;
import dev.zreplj.zfs.ZfsException;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

class FailureTest {
    private static RemoteException box(String code, String message, String stderr) {
        return new RemoteException(code, message, stderr);
    }

    /** The box's zfs recv failing for lack of space, in the words of zfs-fuse and of OpenZFS (ENOSPC, EDQUOT). */
    @Test
    void theBoxsZfsOutOfSpaceOrOverQuotaIsNoSpace() {
        List<String> stderrs = List.of(
                "cannot receive incremental stream: out of space\n",
                "cannot receive new filesystem stream: out of space\n",
                "cannot receive incremental stream: destination box/laptop/tank/home space quota exceeded.\n",
                "cannot receive resume stream: Disk quota exceeded\n",
                "write error: No space left on device\n");
        for (String stderr : stderrs) {
            RemoteException e =
                    box(ErrorCodes.ZFS, "'/usr/sbin/zfs recv box/laptop/tank/home' failed (exit 1): " + stderr, stderr);
            assertEquals(Failure.NO_SPACE, Failure.of(e), stderr);
        }
        // Without stderr the box's message is all there is.
        assertEquals(
                Failure.NO_SPACE,
                Failure.of(box(ErrorCodes.ZFS, "'zfs recv x' failed (exit 1): cannot receive: out of space", "")));
    }

    /** Another pass of the same stream cannot fit before the pruning that follows replication frees the jail. */
    @Test
    void noSpaceIsNotRetriedWithinThePass() {
        assertFalse(Failure.NO_SPACE.isTransient());
    }

    @Test
    void otherFailuresKeepTheirKind() {
        assertEquals(
                Failure.REFUSED,
                Failure.of(box(
                        ErrorCodes.ZFS,
                        "'zfs recv x' failed (exit 1): cannot receive incremental stream: destination has been modified",
                        "cannot receive incremental stream: destination has been modified\n")));
        // Only the box's zfs can run out of space for a receive; the words in a refusal's name are not its cause.
        assertEquals(
                Failure.REFUSED, Failure.of(box(ErrorCodes.JAIL, "'tank/out of space' lies outside the jail", "")));
        // stderr decides, not the message that holds the client's dataset name.
        assertEquals(
                Failure.REFUSED,
                Failure.of(box(
                        ErrorCodes.ZFS,
                        "'zfs recv box/laptop/out of space' failed (exit 1): cannot receive: invalid backup stream",
                        "cannot receive: invalid backup stream\n")));
        assertEquals(Failure.BUSY, Failure.of(box(ErrorCodes.BUSY, "another receive into x is running", "")));
        assertEquals(Failure.ZFS, Failure.of(new ZfsException(List.of("zfs", "snapshot"), 1, "out of space")));
        assertEquals(Failure.CONNECTION_LOST, Failure.of(new IOException("channel closed")));
    }
}
