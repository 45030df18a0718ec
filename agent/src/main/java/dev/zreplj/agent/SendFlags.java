package dev.zreplj.agent;

import dev.zreplj.config.SendOptions;
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
    /** What a box announces when its zfs can exclude mount properties on receive ({@code recv -x}). */
    static final String BOX_PROPERTY_STREAMS = "property-streams";

    private SendFlags() {
    }

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
     * @param local           this machine's zfs
     * @param boxCapabilities what the box's HELLO announced
     * @throws ZfsException naming every key this zfs or this box cannot honour, and what to do
     */
    public static Set<SendFlag> check(SendOptions send, Capabilities local, List<String> boxCapabilities)
            throws ZfsException {
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
        List<String> properties = flags.stream().filter(SendFlag::carriesProperties)
                .map(f -> "send." + KEYS.get(f)).toList();
        if (!properties.isEmpty() && !boxCapabilities.contains(BOX_PROPERTY_STREAMS)) {
            throw new ZfsException(String.join(" and ", properties) + " put properties into the stream, which the "
                    + "backup box refuses: its zfs cannot keep mount properties out on receive (no 'zfs recv -x'); "
                    + "remove " + (properties.size() == 1 ? "it" : "them") + " or run the box on OpenZFS");
        }
        return flags;
    }
}
