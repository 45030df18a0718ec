package dev.zreplj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.zreplj.protocol.RemoteException;
import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.ZfsException;
import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A restore that failed or was stopped part-way tells the admin that the same command continues it. */
class RestoreAdviceTest {
    private static final DatasetName TO = DatasetName.of("rescue/home");

    @Test
    void aFullPoolSaysWhereToFreeSpaceAndThatARerunContinues() {
        ZfsException full = new ZfsException(
                List.of("zfs", "recv", "rescue/home/b"), 1, "cannot receive new filesystem stream: out of space\n");
        assertEquals(
                full.getMessage() + "; free space in pool rescue (or restore into another pool), then run the same"
                        + " restore command again to continue (the filesystems restored so far stay)",
                RestoreCommand.withAdvice(full.getMessage(), full, TO));
    }

    @Test
    void aCutLinkSaysThatARerunContinues() {
        IOException cut =
                new IOException("the SSH connection to root@box:22 closed (the link or the backup box went" + " away)");
        assertEquals(
                cut.getMessage() + "; run the same restore command again to continue (the filesystems restored so far"
                        + " stay)",
                RestoreCommand.withAdvice(cut.getMessage(), cut, TO));
    }

    @Test
    void aRefusalThatNamesItsOwnWayOutAndTheBoxsErrorsAreLeftAsTheyAre() {
        ZfsException changed = new ZfsException("rescue/home was changed since its newest snapshot ...: restore into"
                + " a new dataset (--to), or add --force to roll them back and restore");
        assertEquals(changed.getMessage(), RestoreCommand.withAdvice(changed.getMessage(), changed, TO));
        RemoteException denied = new RemoteException("forbidden", "this key may only restore", null);
        assertEquals("the box: x", RestoreCommand.withAdvice("the box: x", denied, TO));
    }

    @Test
    void aSignalSaysWhereItStoppedAndThatARerunFinishes() {
        assertEquals(
                "stopped by a signal (at: listing the backup box; sending tank/home@a); the filesystems restored so"
                        + " far stay: run the same restore command again to finish",
                PassStopNotice.restoreLine("listing the backup box; sending tank/home@a"));
    }
}
