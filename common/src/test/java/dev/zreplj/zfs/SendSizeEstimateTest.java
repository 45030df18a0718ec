package dev.zreplj.zfs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** Parsing of {@code zfs send -nvP} output (OpenZFS) for the progress display's total. */
class SendSizeEstimateTest {
    @Test
    void fullSendSizeLine() {
        assertEquals(
                OptionalLong.of(1073983512L),
                ZfsOutput.sendSize("full\ttank/home@zrepl_1\t1073983512\nsize\t1073983512\n"));
    }

    @Test
    void incrementalSendSizeLine() {
        assertEquals(
                OptionalLong.of(4198400L),
                ZfsOutput.sendSize("incremental\tzrepl_1\ttank/home@zrepl_2\t4198400\nsize\t4198400\n"));
    }

    @Test
    void noSizeLine() {
        assertEquals(OptionalLong.empty(), ZfsOutput.sendSize(""));
        assertEquals(OptionalLong.empty(), ZfsOutput.sendSize("full send of tank/home@a estimated size is 1.00G\n"));
        assertEquals(
                OptionalLong.empty(), ZfsOutput.sendSize("invalid option 'n'\nusage:\n\tsend [-RDp] <snapshot>\n"));
        assertEquals(OptionalLong.empty(), ZfsOutput.sendSize("size\t12x\n"));
        assertEquals(OptionalLong.empty(), ZfsOutput.sendSize("size\t\n"));
        assertEquals(OptionalLong.empty(), ZfsOutput.sendSize("size\t99999999999999999999\n"));
    }
}
