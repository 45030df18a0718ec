package dev.zreplj.ssh.bench;

import dev.zreplj.config.Connect;
import dev.zreplj.ssh.MinaTransport;
import dev.zreplj.ssh.SshChannel;
import dev.zreplj.ssh.SshTransport;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The MINA side of bench/transport: streams a file into exec channels on one session, the file cut into
 * one contiguous part per channel, and prints one line "bytes seconds cpu_seconds" for the transfer alone
 * (JVM start and connect excluded; OpenSSH's figures are taken from the server side for the same reason).
 *
 * <p>Arguments: host port user identity known_hosts file channels write_size_bytes [warmup_bytes]. With
 * warmup_bytes, that much of the file is sent first on its own channel and not measured: the measured
 * transfer then runs mostly on compiled code, which shows the data path's own cost without the JIT's.
 *
 * <p>With {@code -Dbench.threads=true}, each thread's CPU over the whole JVM (from /proc, so the JIT's
 * compiler threads and the GC are in it too) is printed to stderr at the end, the largest first.
 */
public final class TransportBench {
    private TransportBench() {}

    public static void main(String[] args) throws Exception {
        Connect connect = new Connect(
                args[0],
                args[2],
                Integer.parseInt(args[1]),
                Path.of(args[3]),
                List.of(),
                Duration.ofSeconds(30),
                Path.of(args[4]),
                Connect.HostKeyPolicy.STRICT,
                Integer.parseInt(args[6]));
        Path file = Path.of(args[5]);
        int channels = Integer.parseInt(args[6]);
        int writeSize = Integer.parseInt(args[7]);
        long warmup = args.length > 8 ? Long.parseLong(args[8]) : 0;
        com.sun.management.OperatingSystemMXBean os =
                (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        try (MinaTransport transport = MinaTransport.connect(connect);
                FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = in.size();
            if (warmup > 0) {
                int status = send(transport, in, 0, Math.min(warmup, size), writeSize);
                if (status != 0) throw new IllegalStateException("forced command exited with " + status);
            }
            ExecutorService pool = Executors.newFixedThreadPool(channels);
            long cpu0 = os.getProcessCpuTime();
            long t0 = System.nanoTime();
            List<Future<Integer>> results = new ArrayList<>();
            for (int c = 0; c < channels; c++) {
                long from = size * c / channels;
                long to = size * (c + 1) / channels;
                results.add(pool.submit(() -> send(transport, in, from, to, writeSize)));
            }
            for (Future<Integer> r : results) {
                int status = r.get();
                if (status != 0) throw new IllegalStateException("forced command exited with " + status);
            }
            long t1 = System.nanoTime();
            long cpu1 = os.getProcessCpuTime();
            if (Boolean.getBoolean("bench.threads")) printThreadCpu(); // before the pool's threads end
            pool.shutdown();
            System.out.printf(
                    Locale.ROOT, "%d %.3f %.3f %s%n", size, (t1 - t0) / 1e9, (cpu1 - cpu0) / 1e9, transport.cipher());
        }
    }

    /** user and sys seconds of each thread of this JVM, from /proc/self/task/N/stat (clock ticks of 10 ms). */
    private static void printThreadCpu() throws java.io.IOException {
        List<String> rows = new ArrayList<>();
        try (var tasks = java.nio.file.Files.list(Path.of("/proc/self/task"))) {
            for (Path task : tasks.toList()) {
                String stat;
                try {
                    stat = java.nio.file.Files.readString(task.resolve("stat"));
                } catch (java.nio.file.NoSuchFileException ended) {
                    continue;
                }
                String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
                String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                long user = Long.parseLong(f[11]);
                long sys = Long.parseLong(f[12]);
                if (user + sys > 0) {
                    rows.add(String.format(
                            Locale.ROOT,
                            "%07d thread %-24s %6.2f s user %6.2f s sys",
                            user + sys,
                            name,
                            user / 100.0,
                            sys / 100.0));
                }
            }
        }
        rows.sort(java.util.Comparator.reverseOrder());
        for (String row : rows) System.err.println(row.substring(8));
    }

    private static int send(SshTransport transport, FileChannel in, long from, long to, int writeSize)
            throws Exception {
        try (SshChannel channel = transport.openChannel("bench")) {
            byte[] buf = new byte[writeSize];
            ByteBuffer bb = ByteBuffer.wrap(buf);
            try (OutputStream out = channel.stdin()) {
                for (long pos = from; pos < to; ) {
                    bb.clear().limit((int) Math.min(buf.length, to - pos));
                    int n = in.read(bb, pos);
                    out.write(buf, 0, n);
                    pos += n;
                }
            }
            return channel.waitForExit(Duration.ofMinutes(10));
        }
    }
}
