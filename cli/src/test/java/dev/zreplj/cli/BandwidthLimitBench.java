package dev.zreplj.cli;

import dev.zreplj.config.BandwidthLimit;
import dev.zreplj.zfs.DatasetName;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Locale;

/**
 * The Java side of bench/bandwidth-limit: for each limit, a fresh zfs-fuse source and box (real sshd,
 * the built launcher, as {@link EndToEndIT}), N seconds' worth of incompressible data at that limit, one
 * {@code agent once --snapshot} with {@code send.bandwidth_limit.max} set. The rate that is held to the
 * limit: stream bytes over the span from the start of the agent's {@code zfs send} to the end of the box's
 * {@code zfs recv}. The lifetimes of both are shown too, but neither is the limited rate: {@code zfs send}
 * ends up to the limiter's read-ahead (1 MiB, reserved but not yet due) before the last byte is handed on,
 * and {@code zfs recv} starts only once the first 1 MiB frame arrived. A wrapper set as {@code zfs_binary}
 * on both sides times them. Not a test: rates are compared and printed.
 *
 * <p>Arguments: SECONDS LIMIT [LIMIT...], each limit in zrepl's syntax (e.g. {@code "2 MiB"}), optionally with
 * a bucket capacity after a slash ({@code "4 MiB/1 MiB"}; default zrepl's 128 KiB); {@code "-1 B"}
 * runs without a limit, to show the rate this machine manages at the moment.
 */
public final class BandwidthLimitBench {
    private BandwidthLimitBench() {}

    public static void main(String[] args) throws Exception {
        int seconds = Integer.parseInt(args[0]);
        System.out.printf(
                Locale.ROOT,
                "%-16s %12s %12s %8s %8s %8s %10s %8s%n",
                "limit[/bucket]",
                "limit B/s",
                "stream B",
                "send s",
                "recv s",
                "span s",
                "span B/s",
                "span/limit");
        boolean allWithin = true;
        for (int i = 1; i < args.length; i++) {
            allWithin &= run(seconds, args[i]);
        }
        System.exit(allWithin ? 0 : 1);
    }

    /** The start and end (epoch seconds) of the last timed run in a "start end" lines file. */
    private static double[] lastRun(Path times) throws java.io.IOException {
        List<String> lines = Files.readAllLines(times);
        String[] t = lines.get(lines.size() - 1).split(" ");
        return new double[] {Double.parseDouble(t[0]), Double.parseDouble(t[1])};
    }

    private static boolean run(int seconds, String spec) throws Exception {
        String limit = spec.contains("/") ? spec.substring(0, spec.indexOf('/')).strip() : spec;
        String bucket = spec.contains("/")
                ? "        bucket_capacity: "
                        + spec.substring(spec.indexOf('/') + 1).strip() + "\n"
                : "";
        long max = (long) BandwidthLimit.parseBytes(limit);
        boolean unlimited = max < 0;
        Path dir = Files.createTempDirectory("zreplj-bwlimit-bench");
        String tail =
                "    send:\n      bandwidth_limit:\n        max: " + limit + "\n" + bucket + EndToEnd.DEFAULT_JOB_TAIL;
        try (EndToEnd e = new EndToEnd(dir, "\"SRC/data\": true", tail, "")) {
            String zfs = new ProcessBuilder("sh", "-c", "command -v zfs")
                    .start()
                    .inputReader()
                    .readLine();
            // The agent's zfs send (the size estimate -nvP aside) and the box's zfs recv, timed.
            Path wrapper = dir.resolve("zfs-timed");
            Files.writeString(
                    wrapper,
                    "#!/bin/sh\ncase \"$1 $2\" in\n  'send -nvP') ;;\n"
                            + "  send*|recv*|receive*)\n"
                            + "    s=$(date +%s.%N); \"" + zfs + "\" \"$@\"; rc=$?; e=$(date +%s.%N)\n"
                            + "    echo \"$s $e\" >> " + dir + "/$1.times; exit $rc ;;\n"
                            + "esac\nexec \"" + zfs + "\" \"$@\"\n");
            Files.setPosixFilePermissions(wrapper, PosixFilePermissions.fromString("rwxr-xr-x"));
            for (Path config : List.of(e.sinkConfig, e.agentConfig)) {
                Files.writeString(
                        config,
                        Files.readString(config)
                                .replace("  zreplj:\n", "  zreplj:\n    zfs_binary: " + wrapper + "\n"));
            }

            DatasetName data = e.createFilesystem(e.src.child("data"));
            // without a limit: what this machine manages now, for 48 MiB (a limit above it cannot be held)
            long bytes = unlimited ? 48L << 20 : max * seconds;
            for (long written = 0, part = 0; written < bytes; part++) {
                int chunk = (int) Math.min(64L << 20, bytes - written);
                e.writeRandomFile(data, "random" + part + ".bin", chunk);
                written += chunk;
            }
            EndToEnd.Run run = e.agent("agent", "once", "--snapshot");
            if (run.exit() != 0) {
                throw new IllegalStateException("agent once failed: " + run);
            }
            String snapshot = e.snapshotNames(data).get(0);
            Process send = new ProcessBuilder(zfs, "send", data + "@" + snapshot).start();
            long streamBytes = send.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
            send.waitFor();
            double[] sent = lastRun(dir.resolve("send.times"));
            double[] received = lastRun(dir.resolve("recv.times"));
            double span = received[1] - sent[0];
            double rate = streamBytes / span;
            double ratio = unlimited ? 1 : rate / max;
            System.out.printf(
                    Locale.ROOT,
                    "%-16s %12d %12d %8.2f %8.2f %8.2f %10.0f %8s%n",
                    spec,
                    max,
                    streamBytes,
                    sent[1] - sent[0],
                    received[1] - received[0],
                    span,
                    rate,
                    unlimited ? "-" : String.format(Locale.ROOT, "%.3f", ratio));
            return ratio >= 0.9 && ratio <= 1.1;
        }
    }
}
