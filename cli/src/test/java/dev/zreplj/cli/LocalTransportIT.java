package dev.zreplj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.ssh.testing.TestSshd;
import dev.zreplj.stdinserver.Revocation;
import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.testing.TestPools;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * zrepl's local transport through the built launcher, no sshd anywhere: a push job and a sink job of one config
 * (zrepl's sample local.yml) back a pool up to a second one, as to a USB disk. Replication (full, incremental),
 * receiver pruning, {@code box list}, {@code restore} and the box's {@code status} all go through the local
 * stdinserver; a forced command as SSH would start it cannot reach the local sink.
 */
@Tag("system")
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class LocalTransportIT {
    private static final String CLIENT = "local_backup";
    private static final String JOB = "backup_system";

    @TempDir
    Path tmp;

    @Test
    void pushToALocalSinkPruneListRestoreAndStatus() throws Exception {
        Path launcher = EndToEnd.findLauncher();
        try (TestPools pools = TestPools.open()) {
            DatasetName src = pools.createPool("localxsrc");
            DatasetName usb = pools.createPool("localxusb");
            DatasetName root = pools.createFilesystem(usb.child("sink"));
            DatasetName jail = root.child(CLIENT);
            DatasetName a = pools.createFilesystem(src.child("a"));
            Path config = writeConfig(root, src);

            Run check = run(launcher, Map.of(), "--config", config.toString(), "configcheck");
            assertEquals(new Run(0, "", ""), check);

            pools.writeRandomFile(a, "one", 256 << 10);
            pools.snapshot(a, "s1");
            Run first = run(launcher, Map.of(), "--config", config.toString(), "agent", "once");
            assertEquals(0, first.exit(), first::toString);
            // The pass took its own snapshot (due: none yet) and sent it, the newest, full into
            // root_fs/client_identity.
            String zreplSnap = pools.snapshotNames(a).stream()
                    .filter(n -> n.startsWith("zrepl_"))
                    .findFirst()
                    .orElseThrow();
            assertEquals(guids(pools, a, List.of(zreplSnap)), guids(pools, jail.child(a.value()), null));

            pools.writeRandomFile(a, "two", 128 << 10);
            pools.snapshot(a, "s2");
            pools.snapshot(a, "s3");
            pools.snapshot(a, "s4");
            // A revocation record of the client's name (box revoke, from when it was an SSH client) is about SSH
            // keys: it refused every later local pass ("cannot tell when this SSH connection was opened").
            Revocation.write(tmp.resolve("state"), CLIENT, Revocation.now());
            Run second = run(launcher, Map.of(), "--config", config.toString(), "agent", "once");
            assertEquals(0, second.exit(), second::toString);
            // Incremental with its intermediates onto the same guids, then keep_receiver destroyed exactly s2 (last_n
            // 2 of ^s keeps s3, s4, the regex rule the pass's own); the sender keeps all (last_n 10).
            assertEquals(guids(pools, a, List.of("s3", "s4", zreplSnap)), guids(pools, jail.child(a.value()), null));
            assertEquals(List.of("s1", zreplSnap, "s2", "s3", "s4"), pools.snapshotNames(a));

            Run listed = run(launcher, Map.of(), "--config", config.toString(), "box", "list", "--job", JOB, "--json");
            assertEquals(0, listed.exit(), listed::toString);
            assertTrue(listed.stdout().contains("\"box\" : \"local:localsink\""), listed::toString);
            assertTrue(listed.stdout().contains("\"path\" : \"" + a + "\""), listed::toString);
            assertTrue(listed.stdout().contains("\"name\" : \"s4\""), listed::toString);
            assertTrue(!listed.stdout().contains("\"name\" : \"s2\""), listed::toString);

            // Newer than the last receive: status read it as a revocation ("revoked on the box ...; it pushes again
            // only with a newly authorized key"), though the local channel ignores it and the next pass goes through.
            Revocation.write(tmp.resolve("state"), CLIENT, Revocation.now());
            Run status = run(launcher, Map.of(), "--config", config.toString(), "status");
            assertEquals(0, status.exit(), status::toString);
            // The box's side of the same config: the local client, its last receive by the box's own record.
            assertTrue(
                    status.stdout().contains("\nsink job local_sink, client " + CLIENT + ": OK, 2 filesystems\n"),
                    status::toString);
            assertTrue(status.stdout().contains("\n  " + a + ": OK, @s4 received "), status::toString);

            DatasetName rst = pools.createPool("localxrst");
            // zfs-fuse has no 'zfs recv -u': below a mounted parent a restore refuses rather than mount.
            pools.zfs("set", "mountpoint=none", rst.value());
            Run restored = run(
                    launcher,
                    Map.of(),
                    "--config",
                    config.toString(),
                    "restore",
                    "--job",
                    JOB,
                    a + "@s4",
                    "--to",
                    rst.child("a").value());
            assertEquals(0, restored.exit(), restored::toString);
            assertTrue(
                    restored.stdout().contains("restored " + a + "@s4 -> " + rst.child("a") + " (full)"),
                    restored::toString);
            assertEquals(pools.guid(a + "@s4"), pools.guid(rst.child("a") + "@s4"));

            // An SSH key whose forced command names the local client finds no sink: a local sink's clients are
            // not served by SSH at all.
            Run forced = run(launcher, Map.of(), "--config", config.toString(), "stdinserver", CLIENT);
            assertEquals(1, forced.exit(), forced::toString);
            assertEquals(
                    "zreplj stdinserver: client '" + CLIENT + "' is not listed in any sink job's"
                            + " serve.client_identities in " + config + "\n",
                    forced.stderr());
            // Its greeting only, no job: nothing of the jail.
            assertTrue(
                    forced.stdout().contains("\"job\":null}")
                            && !forced.stdout().contains(src.value()),
                    forced::toString);
            // Nor through the local transport's own option: sshd sets SSH_CONNECTION for every forced command.
            Run viaSsh = run(
                    launcher,
                    Map.of("SSH_CONNECTION", "127.0.0.1 40000 127.0.0.1 22"),
                    "--config",
                    config.toString(),
                    "stdinserver",
                    "--local-listener",
                    "localsink",
                    CLIENT);
            assertEquals(
                    new Run(
                            2,
                            "",
                            "zreplj: stdinserver --local-listener is the agent's local transport and serves no SSH"
                                    + " session (SSH_CONNECTION is set); remove it from the forced command in"
                                    + " authorized_keys\n"),
                    viaSsh);
            // And through a real sshd: a key whose forced command is the local transport's own command line,
            // used by another machine's push job, gets the refusal, not the local client's jail.
            Path sshdDir = Files.createDirectories(tmp.resolve("sshd"));
            try (TestSshd sshd = TestSshd.start(
                    sshdDir, launcher + " --config " + config + " stdinserver --local-listener localsink " + CLIENT)) {
                Path intruder = tmp.resolve("intruder.yml");
                Files.writeString(
                        intruder,
                        EndToEnd.agentYaml(
                                tmp.resolve("intruder-state").toString(),
                                sshd.port(),
                                sshd.clientKey().toString(),
                                sshd.knownHosts().toString(),
                                "\"SRC<\": true",
                                src,
                                EndToEnd.DEFAULT_JOB_TAIL));
                Run overSsh = run(
                        launcher, Map.of(), "--config", intruder.toString(), "box", "list", "--job", "laptop_to_box");
                assertEquals(1, overSsh.exit(), overSsh::toString);
                assertTrue(
                        overSsh.stderr()
                                .contains("zreplj: stdinserver --local-listener is the agent's local transport and"
                                        + " serves no SSH session (SSH_CONNECTION is set); remove it from the forced"
                                        + " command in authorized_keys"),
                        overSsh::toString);
                assertTrue(!overSsh.stdout().contains(a.value()), overSsh::toString);
            }
            // Nothing of theirs changed the box.
            assertEquals(guids(pools, a, List.of("s3", "s4", zreplSnap)), guids(pools, jail.child(a.value()), null));
        }
    }

    /**
     * One config with a local push job (to a USB disk) and an SSH push job (to a box through a real sshd, here the
     * same machine and config): one {@code agent once} replicates both, each into its own sink's jail.
     */
    @Test
    void aLocalAndAnSshPushJobInOneAgentOnce() throws Exception {
        Path launcher = EndToEnd.findLauncher();
        try (TestPools pools = TestPools.open()) {
            DatasetName src = pools.createPool("localxsrc");
            DatasetName usb = pools.createPool("localxusb");
            DatasetName localRoot = pools.createFilesystem(usb.child("local"));
            DatasetName remoteRoot = pools.createFilesystem(usb.child("remote"));
            DatasetName a = pools.createFilesystem(src.child("a"));
            DatasetName b = pools.createFilesystem(src.child("b"));
            pools.snapshot(a, "s1");
            pools.snapshot(b, "s1");
            Path config = tmp.resolve("both.yml");
            try (TestSshd sshd = TestSshd.start(
                    Files.createDirectories(tmp.resolve("sshd-both")),
                    launcher + " --config " + config + " stdinserver laptop")) {
                Files.writeString(
                        config,
                        String.join(
                                "\n",
                                "global:",
                                "  zreplj:",
                                "    state_dir: " + tmp.resolve("state-both"),
                                "jobs:",
                                "  - {type: sink, name: usb_sink, root_fs: " + localRoot + ",",
                                "     serve: {type: local, listener_name: usb}}",
                                "  - {type: sink, name: box_sink, root_fs: " + remoteRoot + ",",
                                "     serve: {type: stdinserver, client_identities: [laptop]}}",
                                "  - type: push",
                                "    name: to_usb",
                                "    connect: {type: local, listener_name: usb, client_identity: " + CLIENT + "}",
                                "    filesystems: {\"" + a + "<\": true}",
                                "    snapshotting: {type: manual}",
                                "    pruning: {keep_sender: [{type: not_replicated}], keep_receiver: [{type: regex,"
                                        + " regex: '.*'}]}",
                                "  - type: push",
                                "    name: to_box",
                                "    connect:",
                                "      type: ssh+stdinserver",
                                "      host: 127.0.0.1",
                                "      port: " + sshd.port(),
                                "      user: root",
                                "      identity_file: " + sshd.clientKey(),
                                "      known_hosts: " + sshd.knownHosts(),
                                "    filesystems: {\"" + b + "<\": true}",
                                "    snapshotting: {type: manual}",
                                "    pruning: {keep_sender: [{type: not_replicated}], keep_receiver: [{type: regex,"
                                        + " regex: '.*'}]}",
                                ""));
                Run once = run(launcher, Map.of(), "--config", config.toString(), "agent", "once");
                assertEquals(0, once.exit(), once::toString);
                assertEquals(
                        guids(pools, a, null),
                        guids(pools, localRoot.child(CLIENT).child(a.value()), null));
                assertEquals(
                        guids(pools, b, null),
                        guids(pools, remoteRoot.child("laptop").child(b.value()), null));
                assertEquals(
                        List.of(),
                        pools.zfs("list", "-H", "-o", "name", "-r", usb.value())
                                .lines()
                                .filter(n -> n.contains("/local/laptop") || n.contains("/remote/" + CLIENT))
                                .toList(),
                        "each job in its own sink's jail");
            }
        }
    }

    /** zrepl's local.yml, shrunk: a push job backing {@code src} up to a local sink at {@code root}. */
    private Path writeConfig(DatasetName root, DatasetName src) throws IOException {
        Path config = tmp.resolve("zreplj.yml");
        Files.writeString(
                config,
                String.join(
                        "\n",
                        "global:",
                        "  zreplj:",
                        "    state_dir: " + tmp.resolve("state"),
                        "jobs:",
                        "  - type: sink",
                        "    name: local_sink",
                        "    root_fs: " + root,
                        "    serve:",
                        "      type: local",
                        "      listener_name: localsink",
                        "  - type: push",
                        "    name: " + JOB,
                        "    connect:",
                        "      type: local",
                        "      listener_name: localsink",
                        "      client_identity: " + CLIENT,
                        "    filesystems: {\"" + src + "<\": true}",
                        "    snapshotting: {type: periodic, interval: 10m, prefix: zrepl_}",
                        "    pruning:",
                        "      keep_sender: [{type: not_replicated}, {type: last_n, count: 10}]",
                        "      keep_receiver:",
                        "        - {type: regex, regex: '^zrepl_'}",
                        "        - {type: last_n, count: 2, regex: '^s'}",
                        ""));
        return config;
    }

    /**
     * The USB disk unplugged (its pool exported) before a pass: one line that names the pool and 'zpool import',
     * where zfs's empty listing made it "root_fs does not exist; zreplj box setup" and the sink's status
     * "destroyed or rolled back there"; no child left; plugged in again, the next pass replicates.
     */
    @Test
    void anUnpluggedDiskFailsThePassWithWhatToDoAndTheNextPassReplicates() throws Exception {
        Path launcher = EndToEnd.findLauncher();
        try (TestPools pools = TestPools.open()) {
            DatasetName src = pools.createPool("localxsrc");
            DatasetName usb = pools.createPool("localxusb");
            DatasetName root = pools.createFilesystem(usb.child("sink"));
            DatasetName jail = root.child(CLIENT);
            DatasetName a = pools.createFilesystem(src.child("a"));
            Path config = writeConfig(root, src);
            pools.snapshot(a, "s1");
            Run first = run(launcher, Map.of(), "--config", config.toString(), "agent", "once");
            assertEquals(0, first.exit(), first::toString);

            pools.exportPool(usb);
            pools.snapshot(a, "s2");
            Run unplugged = run(launcher, Map.of(), "--config", config.toString(), "agent", "once");
            String advice = "the sink's pool " + usb + " (root_fs " + root + ") is not imported on the box (its disk"
                    + " unplugged or exported?); connect the disk and run 'zpool import " + usb + "' as root, then"
                    + " the next pass replicates";
            assertEquals(1, unplugged.exit(), unplugged::toString);
            assertTrue(
                    unplugged
                            .stdout()
                            .contains("\n  " + a + ": failed after 0 steps: talking to the backup box failed: " + advice
                                    + "\n"),
                    unplugged::toString);
            assertTrue(unplugged.stderr().contains(advice), unplugged::toString);
            assertTrue(!unplugged.stdout().contains("box setup"), unplugged::toString);
            assertEquals(
                    List.of(),
                    ProcessHandle.allProcesses()
                            .filter(p -> p.info().commandLine().orElse("").contains(config.toString()))
                            .map(p -> p.info().commandLine().orElse(""))
                            .toList(),
                    "no local stdinserver left running");

            Run status = run(launcher, Map.of(), "--config", config.toString(), "status");
            assertTrue(
                    status.stdout().contains("\nsink job local_sink, client " + CLIENT + ": UNKNOWN, 2 filesystems\n"),
                    status::toString);
            assertTrue(status.stdout().contains("\n  " + a + ": UNKNOWN, @zrepl_"), status::toString);
            // The pass sent its own snapshot, the newest, so the record names it.
            assertTrue(
                    status.stdout()
                            .matches("(?s).*\n  " + a + ": UNKNOWN, @zrepl_\\S+ received \\S+ \\(\\S+ ago\\) -- cannot"
                                    + " check that the box still holds @zrepl_\\S+: the sink's pool " + usb
                                    + " is not imported \\(its disk unplugged or exported\\?\\); connect the disk and"
                                    + " run 'zpool import " + usb + "' as root\n.*"),
                    status::toString);
            assertTrue(!status.stdout().contains("no longer on the box"), status::toString);

            pools.importPool(usb);
            Run again = run(launcher, Map.of(), "--config", config.toString(), "agent", "once");
            assertEquals(0, again.exit(), again::toString);
            // The first pass sent its own snapshot, the newest, full; s2 follows it (s1, older, never goes).
            assertEquals(guids(pools, a, List.of("s2")), guids(pools, jail.child(a.value()), List.of("s1", "s2")));
        }
    }

    record Run(int exit, String stdout, String stderr) {}

    /** "name@snap\tguid" lines (names relative to the dataset) of {@code names} (all when null), sorted. */
    private static String guids(TestPools pools, DatasetName fs, List<String> names) {
        return pools.zfs("get", "-Hp", "-r", "-o", "name,value", "guid", fs.value())
                .lines()
                .filter(l -> l.contains("@"))
                .map(l -> l.substring(l.indexOf('@')))
                .filter(l -> names == null || names.contains(l.substring(1, l.indexOf('\t'))))
                .sorted()
                .collect(Collectors.joining("\n"));
    }

    private static Run run(Path launcher, Map<String, String> env, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of(launcher.toString()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().keySet().removeIf(k -> k.startsWith("SSH_"));
        pb.environment().putAll(env);
        Process p = pb.start();
        p.getOutputStream().close();
        CompletableFuture<String> out = read(p.getInputStream());
        CompletableFuture<String> err = read(p.getErrorStream());
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("zreplj " + List.of(args) + " did not end within 120 s: " + err.getNow(""));
        }
        return new Run(p.exitValue(), out.get(10, TimeUnit.SECONDS), err.get(10, TimeUnit.SECONDS));
    }

    private static CompletableFuture<String> read(java.io.InputStream in) {
        // A thread each: the common pool may have one thread on 2 cores, and both reads block until the end.
        return CompletableFuture.supplyAsync(
                () -> {
                    try {
                        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                },
                r -> new Thread(r).start());
    }
}
