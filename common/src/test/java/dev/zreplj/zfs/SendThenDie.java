package dev.zreplj.zfs;

import java.nio.file.Path;
import java.util.List;

/**
 * A JVM that starts {@code zfs send -I FS@FIRST FS@LAST}, reads a little of it, and then either dies at once
 * ({@code halt}: no shutdown hooks, as under SIGKILL or the OOM killer) or waits to be told to stop ({@code wait}:
 * SIGTERM, as {@code systemctl stop} sends it): what the agent's JVM does to its zfs send when it is stopped.
 * Arguments: the zfs binary, the filesystem, the first and the last snapshot's names, halt or wait.
 */
final class SendThenDie {
    private SendThenDie() {}

    public static void main(String[] args) throws Exception {
        Zfs zfs = new Zfs(Path.of(args[0]));
        DatasetName fs = DatasetName.of(args[1]);
        List<ZfsVersion> versions = zfs.listVersions(fs).get(fs);
        ZfsVersion first = versions.stream()
                .filter(v -> v.name().equals(args[2]))
                .findFirst()
                .orElseThrow();
        ZfsVersion last = versions.stream()
                .filter(v -> v.name().equals(args[3]))
                .findFirst()
                .orElseThrow();
        ZfsProcess send = zfs.send(SendRequest.intermediates(first, last, false));
        send.stdout().readNBytes(100_000);
        System.out.println("reading");
        System.out.flush();
        if (args[4].equals("halt")) {
            Runtime.getRuntime().halt(9);
        }
        Thread.sleep(Long.MAX_VALUE);
    }
}
