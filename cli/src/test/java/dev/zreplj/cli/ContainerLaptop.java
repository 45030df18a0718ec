package dev.zreplj.cli;

import dev.zreplj.ssh.testing.TestSshd;
import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.testing.TestPools;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/** For the container tests, the host side: a source pool with SRC/home, the laptop's key, the agent through the launcher. */
final class ContainerLaptop implements AutoCloseable {
    final Path dir;
    final TestPools pools = TestPools.open();
    final DatasetName src;
    final DatasetName home;
    final Path key;
    final Path launcher;

    ContainerLaptop(Path dir) throws IOException {
        this.dir = Files.createDirectories(dir);
        try {
            launcher = EndToEnd.findLauncher();
            src = pools.createPool("src");
            home = pools.createFilesystem(src.child("home"));
            key = TestSshd.keygen(dir.resolve("laptop_id"), TestSshd.KeyType.ED25519, "laptop");
        } catch (IOException | RuntimeException e) {
            pools.close();
            throw e;
        }
    }

    Path pub() {
        return Path.of(key + ".pub");
    }

    /** A config with one push job per box, named laptop_to_box, laptop_to_box2, ... */
    Path config(String name, String jobTail, BoxContainer... boxes) throws IOException {
        StringBuilder yaml = new StringBuilder();
        for (int i = 0; i < boxes.length; i++) {
            String one = EndToEnd.agentYaml(
                    dir.resolve("agent-state").toString(),
                    boxes[i].port(),
                    key.toString(),
                    boxes[i].knownHosts().toString(),
                    PushSuite.HOME_FILTER,
                    src,
                    jobTail + EndToEnd.DEFAULT_JOB_TAIL);
            if (i == 0) {
                yaml.append(one);
            } else {
                // the next job, with its own name and snapshot prefix
                yaml.append(one.substring(one.indexOf("jobs:\n") + "jobs:\n".length())
                        .replace("name: laptop_to_box", "name: laptop_to_box" + (i + 1))
                        .replace("prefix: zrepl_", "prefix: box" + (i + 1) + "_"));
            }
        }
        Path file = dir.resolve(name + ".yml");
        Files.writeString(file, yaml.toString());
        return file;
    }

    Process start(Path config, Path log, String... args) throws IOException {
        List<String> command =
                new ArrayList<>(List.of(launcher.toString(), "--config", config.toString(), "--summary"));
        command.addAll(List.of(args));
        return new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
    }

    /** A pass to its end, bounded: its exit, output and seconds. */
    Pass run(Path config, String name, int limitSeconds, String... args) throws IOException, InterruptedException {
        Path log = dir.resolve(name + ".log");
        long t0 = System.nanoTime();
        Process p = start(config, log, args);
        return finish(p, log, t0, limitSeconds);
    }

    static Pass finish(Process p, Path log, long t0, int limitSeconds) throws InterruptedException {
        if (!p.waitFor(limitSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor();
            throw new AssertionError("the pass still ran after " + limitSeconds + " s:\n" + BoxContainer.read(log));
        }
        return new Pass(p.exitValue(), BoxContainer.read(log), (System.nanoTime() - t0) / 1e9);
    }

    String snapshotsWithGuids() {
        return pools.zfs("get", "-Hp", "-r", "-o", "name,value", "guid", home.value())
                .lines()
                .filter(l -> l.contains("@"))
                .sorted()
                .map(l -> l + "\n")
                .collect(Collectors.joining());
    }

    @Override
    public void close() {
        pools.close();
    }

    /** How a pass ended: its exit code, everything it printed, and its seconds. */
    record Pass(int exit, String output, double seconds) {
        @Override
        public String toString() {
            return String.format("exit %d after %.1f s:%n%s", exit, seconds, output);
        }
    }
}
