package dev.zreplj.cli;

import static dev.zreplj.cli.openzfs.OpenZfsLab.quote;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.cli.openzfs.LabPools;
import dev.zreplj.cli.openzfs.OpenZfsLab;
import dev.zreplj.zfs.DatasetName;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * zrepl's send flags reach {@code zfs send} and show in what arrives, and the sink's
 * {@code recv.properties.override/inherit} work, on OpenZFS 2.3 in the lab guest ({@code send_properties}
 * and {@code backup_properties}: {@link OpenZfsSendPropertiesIT}). The agent's zfs is a
 * wrapper that logs each send's arguments and keeps a copy of the stream for {@code zstream dump}.
 */
@Tag("openzfs")
class OpenZfsSendFlagsIT {
    /** DMU_BACKUP_FEATURE_* bits of the stream's BEGIN record (include/sys/zfs_ioctl.h). */
    private static final long EMBED_DATA = 1L << 16;

    private static final long LARGE_BLOCKS = 1L << 19;
    private static final long COMPRESSED = 1L << 22;

    @Test
    void compressedLargeBlocksAndEmbeddedReachZfsSendAndTheBoxAndRecvOverridesApply() {
        String tail =
                "    send: {compressed: true, large_blocks: true, embedded_data: true}\n" + EndToEnd.DEFAULT_JOB_TAIL;
        try (LabEndToEnd e = new LabEndToEnd(OpenZfsLab.connect(), "\"SRC/data\": true", tail)) {
            LabPools pools = e.pools;
            String dir = pools.workDir();
            String zfs = e.lab.check("command -v zfs").strip();
            e.lab.write(
                    dir + "/zfs-recording",
                    String.join(
                            "\n",
                            "#!/bin/bash",
                            "if [ \"$1\" = send ] && [ \"$2\" != -nvP ]; then",
                            "  echo \"$*\" >> " + dir + "/send.args",
                            "  set -o pipefail",
                            "  " + zfs + " \"$@\" | tee " + dir + "/stream.$$",
                            "  exit $?",
                            "fi",
                            "exec " + zfs + " \"$@\"",
                            ""));
            e.lab.check("chmod +x " + quote(dir + "/zfs-recording"));
            e.replaceInAgentConfig("  zreplj:\n", "  zreplj:\n    zfs_binary: " + dir + "/zfs-recording\n");
            // The box keeps its own compression off (inherit), so only blocks sent compressed stay compressed.
            pools.zfs("set", "compression=off", e.sinkRoot.value());
            e.writeSinkConfig(
                    e.sinkRoot,
                    String.join(
                            "\n",
                            "    recv:",
                            "      properties:",
                            "        override: {\"org.zreplj:label\": box}",
                            "        inherit: [compression]",
                            ""));

            DatasetName data = pools.createFilesystem(
                    e.src.child("data"), "compression=lz4", "recordsize=1M", "org.zreplj:label=src");
            String mnt = pools.get(data.value(), "mountpoint");
            // 8 MiB of text that lz4 shrinks well, in 1 MiB records; and a tiny file, stored embedded
            e.lab.check("yes 'zreplj sends this line compressed, in large blocks' | head -c 8388608 > "
                    + quote(mnt + "/text") + " && printf 'tiny' > " + quote(mnt + "/tiny") + " && sync");

            EndToEnd.Run run = e.agent("agent", "once", "--snapshot");
            assertEquals(0, run.exit(), run::toString);
            String snapshot = pools.snapshotNames(data).get(0);

            List<String> args = e.lab.read(dir + "/send.args").lines().toList();
            assertEquals(List.of("send -c -L -e " + data + "@" + snapshot), args, "the flags reach zfs send");
            String dump = e.lab.check("zstream dump -v $(ls " + dir + "/stream.* | head -n 1) | head -n 20");
            Matcher features = Pattern.compile("features = ([0-9a-f]+)").matcher(dump);
            assertTrue(features.find(), dump);
            long flags = Long.parseLong(features.group(1), 16);
            assertEquals(
                    EMBED_DATA | LARGE_BLOCKS | COMPRESSED,
                    flags & (EMBED_DATA | LARGE_BLOCKS | COMPRESSED),
                    "stream features " + Long.toHexString(flags) + ":\n" + dump);

            String copy = e.jail.child(data.value()).value();
            assertEquals(pools.guid(data + "@" + snapshot), pools.guid(copy + "@" + snapshot), "the same snapshot");
            assertEquals("off", pools.get(copy, "compression"), "recv.properties.inherit: compression");
            double ratio = Double.parseDouble(pools.get(copy, "compressratio").replace("x", ""));
            assertTrue(ratio >= 2.0, "blocks arrived compressed although the copy's compression is off: " + ratio);
            assertEquals("box", pools.get(copy, "org.zreplj:label"), "recv.properties.override");
            assertEquals(
                    "active",
                    e.lab.check("zpool get -H -o value feature@large_blocks " + e.dst)
                            .strip(),
                    "1 MiB blocks arrived as such (-L)");
            assertEquals("no", pools.get(copy, "mounted"));
        }
    }
}
