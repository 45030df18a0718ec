package dev.zreplj.agent;

import dev.zreplj.config.SendOptions;
import dev.zreplj.protocol.Wire;
import dev.zreplj.zfs.Capabilities;
import dev.zreplj.zfs.SendFlag;
import dev.zreplj.zfs.ZfsException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The {@code zfs send} flags a push job's {@code send} section asks for, checked before anything is sent
 * against what the local zfs offers and what the box accepts, so a job fails with one sentence naming the
 * key rather than step by step with a zfs usage dump. Pure.
 */
public final class SendFlags {
    /** zrepl's key for each flag, as the user wrote it. */
    private static final Map<SendFlag, String> KEYS = Map.of(
            SendFlag.COMPRESSED, "compressed",
            SendFlag.LARGE_BLOCKS, "large_blocks",
            SendFlag.EMBEDDED_DATA, "embedded_data",
            SendFlag.PROPERTIES, "send_properties",
            SendFlag.BACKUP_PROPERTIES, "backup_properties");

    private SendFlags() {}

    /** The flags {@code send} turns on. */
    public static Set<SendFlag> requested(SendOptions send) {
        Set<SendFlag> flags = EnumSet.noneOf(SendFlag.class);
        if (send.compressed()) flags.add(SendFlag.COMPRESSED);
        if (send.largeBlocks()) flags.add(SendFlag.LARGE_BLOCKS);
        if (send.embeddedData()) flags.add(SendFlag.EMBEDDED_DATA);
        if (send.sendProperties()) flags.add(SendFlag.PROPERTIES);
        if (send.backupProperties()) flags.add(SendFlag.BACKUP_PROPERTIES);
        return flags;
    }

    /**
     * @param local this machine's zfs
     * @throws ZfsException naming every key this zfs cannot honour, and what to do
     */
    public static Set<SendFlag> check(SendOptions send, Capabilities local) throws ZfsException {
        Set<SendFlag> flags = requested(send);
        List<String> lacking = new ArrayList<>();
        for (SendFlag f : flags) {
            if (!local.sendFlags().contains(f.option())) {
                lacking.add("send." + KEYS.get(f) + " (zfs send " + f.argument() + ")");
            }
        }
        if (!lacking.isEmpty()) {
            throw new ZfsException(String.join(", ", lacking) + (lacking.size() == 1 ? " is" : " are")
                    + " set but this zfs (" + local.version() + ") cannot do " + (lacking.size() == 1 ? "it" : "them")
                    + "; remove " + (lacking.size() == 1 ? "it" : "them") + " from the job's send section");
        }
        return flags;
    }

    /**
     * {@code -p}/{@code -b} make zfs send wrap the stream with the properties (a compound stream), which a box
     * without {@link Wire#SEND_PROPERTIES} (an older zreplj) refuses stream by stream.
     *
     * @param boxCapabilities what the box's HELLO lists
     * @throws ZfsException naming the keys, when the box cannot take them
     */
    public static void checkBox(Set<SendFlag> flags, List<String> boxCapabilities) throws ZfsException {
        List<String> properties = flags.stream()
                .filter(SendFlag::carriesProperties)
                .map(f -> "send." + KEYS.get(f))
                .sorted()
                .toList();
        if (!properties.isEmpty() && !boxCapabilities.contains(Wire.SEND_PROPERTIES)) {
            throw new ZfsException(String.join(" and ", properties) + (properties.size() == 1 ? " makes" : " make")
                    + " zfs send wrap the stream with the "
                    + "properties (a compound stream), which this backup box does not accept (its zreplj is older); "
                    + "update zreplj on the box, or remove " + (properties.size() == 1 ? "it" : "them")
                    + " and set properties there with recv.properties.override");
        }
    }
}
