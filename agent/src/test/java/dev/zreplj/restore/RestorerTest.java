package dev.zreplj.restore;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.ZfsException;
import java.util.List;
import org.junit.jupiter.api.Test;

class RestorerTest {
    private static final DatasetName TO = DatasetName.of("new/home");
    // zfs-fuse's and OpenZFS's wording, as the box's rollback also matches it (ReceiveHandler)
    private static final ZfsException MODIFIED = new ZfsException(
            List.of("zfs", "recv", "-u", "new/home"),
            1,
            "cannot receive incremental stream: destination new/home has been modified\nsince most recent snapshot\n");

    @Test
    void anIncrementalIntoAChangedRestoreSaysWhyAndWhatToDo() {
        RestoreStep step = new RestoreStep("tank/home", TO, RestoreStep.Kind.INCREMENTAL, "c", 13, "@b", null, false);
        ZfsException e = Restorer.explained(step, MODIFIED);
        assertEquals(
                "new/home was changed since its newest snapshot (written to, or read while mounted with atime on),"
                        + " so zfs refuses the incremental restore; to keep those changes restore into a new dataset"
                        + " (--to), or add --force to roll them back and restore",
                e.getMessage());
        assertSame(MODIFIED, e.getCause());
    }

    @Test
    void otherFailuresAndForcedStepsKeepZfsOwnMessage() {
        RestoreStep forced = new RestoreStep("tank/home", TO, RestoreStep.Kind.INCREMENTAL, "c", 13, "@b", null, true);
        assertSame(MODIFIED, Restorer.explained(forced, MODIFIED));
        RestoreStep full = new RestoreStep("tank/home", TO, RestoreStep.Kind.FULL, "c", 13, null, null, false);
        assertSame(MODIFIED, Restorer.explained(full, MODIFIED));
        ZfsException other = new ZfsException(List.of("zfs", "recv"), 1, "cannot receive: out of space\n");
        RestoreStep step = new RestoreStep("tank/home", TO, RestoreStep.Kind.INCREMENTAL, "c", 13, "@b", null, false);
        assertSame(other, Restorer.explained(step, other));
    }
}
