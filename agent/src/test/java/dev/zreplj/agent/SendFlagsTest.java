package dev.zreplj.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.zreplj.config.SendOptions;
import dev.zreplj.zfs.Capabilities;
import dev.zreplj.zfs.SendFlag;
import dev.zreplj.zfs.ZfsException;
import java.util.EnumSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SendFlagsTest {
    private static final Capabilities OPENZFS = new Capabilities("zfs-2.3.1", true, true, true, true, true, true);
    private static final Capabilities FUSE = new Capabilities("zfs-fuse", false, false, false, false, false, false,
            false, false, false, Set.of('p'));

    /** encrypted, raw, send_properties, backup_properties, large_blocks, compressed, embedded_data, decrypt */
    private static SendOptions send(boolean props, boolean backup, boolean large, boolean compressed, boolean embedded) {
        return new SendOptions(false, false, props, backup, large, compressed, embedded, false);
    }

    @Test
    void eachZreplKeyBecomesItsFlag() throws Exception {
        assertEquals(Set.of(), SendFlags.check(SendOptions.defaults(), FUSE));
        assertEquals(EnumSet.of(SendFlag.COMPRESSED, SendFlag.LARGE_BLOCKS, SendFlag.EMBEDDED_DATA),
                SendFlags.check(send(false, false, true, true, true), OPENZFS));
        assertEquals(Set.of(SendFlag.COMPRESSED), SendFlags.requested(send(false, false, false, true, false)));
        assertEquals(Set.of(SendFlag.LARGE_BLOCKS, SendFlag.EMBEDDED_DATA),
                SendFlags.requested(send(false, false, true, false, true)));
        assertEquals(Set.of(SendFlag.PROPERTIES), SendFlags.requested(send(true, false, false, false, false)));
        assertEquals(Set.of(SendFlag.BACKUP_PROPERTIES), SendFlags.requested(send(false, true, false, false, false)));
    }

    @Test
    void aFlagTheLocalZfsLacksIsOneClearError() {
        ZfsException e = assertThrows(ZfsException.class,
                () -> SendFlags.check(send(false, false, true, true, false), FUSE));
        assertEquals("send.compressed (zfs send -c), send.large_blocks (zfs send -L) are set but this zfs (zfs-fuse) "
                + "cannot do them; remove them from the job's send section", e.getMessage());
        e = assertThrows(ZfsException.class, () -> SendFlags.check(send(false, false, false, false, true), FUSE));
        assertEquals("send.embedded_data (zfs send -e) is set but this zfs (zfs-fuse) cannot do it; remove it from "
                + "the job's send section", e.getMessage());
    }

    @Test
    void propertiesInTheStreamAreRefusedForTheBoxDoesNotTakeCompoundStreamsYet() {
        ZfsException e = assertThrows(ZfsException.class,
                () -> SendFlags.check(send(true, false, false, false, false), FUSE));
        assertEquals("send.send_properties make zfs send wrap the stream with the properties (a compound stream), "
                + "which the backup box does not accept yet; remove it and set properties on the box with "
                + "recv.properties.override", e.getMessage());
        e = assertThrows(ZfsException.class, () -> SendFlags.check(send(true, true, false, false, false), OPENZFS));
        assertEquals("send.send_properties and send.backup_properties make zfs send wrap the stream with the "
                + "properties (a compound stream), which the backup box does not accept yet; remove them and set "
                + "properties on the box with recv.properties.override", e.getMessage());
    }
}
