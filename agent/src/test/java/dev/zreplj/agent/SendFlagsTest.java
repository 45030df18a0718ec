package dev.zreplj.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.zreplj.config.SendOptions;
import dev.zreplj.protocol.Wire;
import dev.zreplj.zfs.Capabilities;
import dev.zreplj.zfs.SendFlag;
import dev.zreplj.zfs.ZfsException;
import dev.zreplj.zfs.testing.ZfsKinds;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SendFlagsTest {
    private static final Capabilities OPENZFS = ZfsKinds.openZfs("zfs-2.3.1");
    private static final Capabilities FUSE = ZfsKinds.ZFS_FUSE;

    /** encrypted, raw, send_properties, backup_properties, large_blocks, compressed, embedded_data, decrypt */
    private static SendOptions send(
            boolean props, boolean backup, boolean large, boolean compressed, boolean embedded) {
        return new SendOptions(false, false, props, backup, large, compressed, embedded, false);
    }

    @Test
    void eachZreplKeyBecomesItsFlag() throws Exception {
        assertEquals(Set.of(), SendFlags.check(SendOptions.defaults(), FUSE));
        assertEquals(
                EnumSet.of(SendFlag.COMPRESSED, SendFlag.LARGE_BLOCKS, SendFlag.EMBEDDED_DATA),
                SendFlags.check(send(false, false, true, true, true), OPENZFS));
        assertEquals(Set.of(SendFlag.COMPRESSED), SendFlags.requested(send(false, false, false, true, false)));
        assertEquals(
                Set.of(SendFlag.LARGE_BLOCKS, SendFlag.EMBEDDED_DATA),
                SendFlags.requested(send(false, false, true, false, true)));
        assertEquals(Set.of(SendFlag.PROPERTIES), SendFlags.requested(send(true, false, false, false, false)));
        assertEquals(Set.of(SendFlag.BACKUP_PROPERTIES), SendFlags.requested(send(false, true, false, false, false)));
    }

    @Test
    void aFlagTheLocalZfsLacksIsOneClearError() {
        ZfsException e =
                assertThrows(ZfsException.class, () -> SendFlags.check(send(false, false, true, true, false), FUSE));
        assertEquals(
                "send.compressed (zfs send -c), send.large_blocks (zfs send -L) are set but this zfs (zfs-fuse) "
                        + "cannot do them; remove them from the job's send section",
                e.getMessage());
        e = assertThrows(ZfsException.class, () -> SendFlags.check(send(false, false, false, false, true), FUSE));
        assertEquals(
                "send.embedded_data (zfs send -e) is set but this zfs (zfs-fuse) cannot do it; remove it from "
                        + "the job's send section",
                e.getMessage());
    }

    @Test
    void propertiesGoWhereTheLocalZfsHasTheFlag() throws Exception {
        assertEquals(Set.of(SendFlag.PROPERTIES), SendFlags.check(send(true, false, false, false, false), FUSE));
        assertEquals(
                EnumSet.of(SendFlag.PROPERTIES, SendFlag.BACKUP_PROPERTIES),
                SendFlags.check(send(true, true, false, false, false), OPENZFS));
        ZfsException e =
                assertThrows(ZfsException.class, () -> SendFlags.check(send(false, true, false, false, false), FUSE));
        assertEquals(
                "send.backup_properties (zfs send -b) is set but this zfs (zfs-fuse) cannot do it; remove it "
                        + "from the job's send section",
                e.getMessage());
    }

    @Test
    void propertiesNeedABoxThatTakesCompoundStreams() throws Exception {
        SendFlags.checkBox(EnumSet.of(SendFlag.PROPERTIES), List.of("zstd-data", Wire.SEND_PROPERTIES));
        SendFlags.checkBox(EnumSet.of(SendFlag.COMPRESSED), List.of());
        ZfsException e = assertThrows(
                ZfsException.class, () -> SendFlags.checkBox(EnumSet.of(SendFlag.PROPERTIES), List.of("zstd-data")));
        assertEquals(
                "send.send_properties makes zfs send wrap the stream with the properties (a compound stream), "
                        + "which this backup box does not accept (its zreplj is older); update zreplj on the box, or remove "
                        + "it and set properties there with recv.properties.override",
                e.getMessage());
        e = assertThrows(
                ZfsException.class,
                () -> SendFlags.checkBox(EnumSet.of(SendFlag.PROPERTIES, SendFlag.BACKUP_PROPERTIES), List.of()));
        assertEquals(
                "send.backup_properties and send.send_properties make zfs send wrap the stream with the "
                        + "properties (a compound stream), which this backup box does not accept (its zreplj is older); "
                        + "update zreplj on the box, or remove them and set properties there with "
                        + "recv.properties.override",
                e.getMessage());
    }
}
