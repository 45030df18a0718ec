package dev.zreplj.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.protocol.StreamCompression;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** zrepl's local transport: a push job and a sink job of one config, joined by the sink's listener_name. */
class LocalTransportConfigTest {
    /** zrepl's own sample (internal/config/samples/local.yml), pruning shortened. Line numbers on the right. */
    private static final String LOCAL = """
            jobs:
              - type: sink
                name: local_sink
                root_fs: storage/zrepl/sink
                serve:
                  type: local
                  listener_name: localsink
              - type: push
                name: backup_system
                connect:
                  type: local
                  listener_name: localsink
                  client_identity: local_backup
                filesystems: {"system<": true}
                snapshotting: {type: periodic, interval: 10m, prefix: zrepl_}
                pruning:
                  keep_sender: [{type: not_replicated}]
                  keep_receiver: [{type: last_n, count: 5}]
            """;
    //  2 sink  4 root_fs  6 serve.type  7 serve.listener_name
    //  8 push  10 connect  11 type  12 listener_name  13 client_identity

    @TempDir
    Path dir;

    private Config load(String yaml) throws IOException, ConfigException {
        Path file = dir.resolve("zreplj.yml");
        Files.writeString(file, yaml);
        return new ConfigLoader().load(file);
    }

    private String error(String yaml) throws IOException {
        Path file = dir.resolve("zreplj.yml");
        Files.writeString(file, yaml);
        ConfigException e = assertThrows(ConfigException.class, () -> new ConfigLoader().load(file));
        String prefix = file + ":";
        assertTrue(e.getMessage().startsWith(prefix), e.getMessage());
        return e.getMessage().substring(prefix.length());
    }

    private static String local(String line, String replacement) {
        assertTrue(LOCAL.contains(line), line);
        return LOCAL.replace(line, replacement);
    }

    @Test
    void zreplsSampleLoads() throws Exception {
        Config config = load(LOCAL);
        assertEquals(List.of(), config.warnings());
        SinkJob sink = config.sinkJobs().get(0);
        assertEquals("localsink", sink.listenerName());
        // Its clients are the push jobs that connect to it: each gets root_fs/client_identity, as in zrepl.
        assertEquals(List.of("local_backup"), sink.clientIdentities());
        assertEquals(
                "storage/zrepl/sink/local_backup", sink.jail("local_backup").value());
        Connect connect = config.pushJobs().get(0).connect();
        assertTrue(connect.isLocal());
        assertEquals(new Connect.Local("localsink", "local_backup", dir.resolve("zreplj.yml")), connect.local());
        assertEquals(StreamCompression.OFF, connect.streamCompression());
        assertEquals(1, connect.channels());
        assertEquals("local listener 'localsink' as client 'local_backup'", connect.target());
    }

    @Test
    void contribSampleLoads() throws Exception {
        Config config = new ConfigLoader().load(Path.of("../contrib/config/local.yml"));
        assertEquals(List.of(), config.warnings());
        assertEquals(List.of("this_machine"), config.sinkJobs().get(0).clientIdentities());
        assertEquals(
                "usb/zreplj/this_machine",
                config.sinkJobs().get(0).jail("this_machine").value());
        assertTrue(config.pushJobs().get(0).connect().isLocal());
    }

    @Test
    void stdinserverSinkHasNoListener() throws Exception {
        Config config = load("""
                jobs:
                  - name: s
                    type: sink
                    root_fs: backup/zreplj
                    serve: {type: stdinserver, client_identities: [laptop]}
                """);
        assertNull(config.sinkJobs().get(0).listenerName());
        assertFalse(config.sinkJobs().get(0).isLocal());
    }

    @Test
    void pushBeforeSinkAndChannelsFromConcurrency() throws Exception {
        String push = LOCAL.substring(LOCAL.indexOf("  - type: push"));
        String sink = LOCAL.substring("jobs:\n".length(), LOCAL.indexOf("  - type: push"));
        Config config = load("jobs:\n" + push + "    replication: {concurrency: {steps: 3}}\n" + sink);
        assertEquals(3, config.pushJobs().get(0).connect().channels());
        assertTrue(config.pushJobs().get(0).connect().isLocal());
        assertEquals(List.of("local_backup"), config.sinkJobs().get(0).clientIdentities());
    }

    @Test
    void twoPushJobsToOneSink() throws Exception {
        String second = LOCAL.substring(LOCAL.indexOf("  - type: push"))
                .replace("backup_system", "backup_home")
                .replace("local_backup", "home")
                .replace("system<", "home<");
        Config config = load(LOCAL + second);
        assertEquals(List.of("local_backup", "home"), config.sinkJobs().get(0).clientIdentities());
        // Two jobs as one client share its jail, as two push jobs of one machine to one SSH sink do.
        String same = LOCAL.substring(LOCAL.indexOf("  - type: push"))
                .replace("backup_system", "backup_home")
                .replace("system<", "home<");
        assertEquals(
                List.of("local_backup"), load(LOCAL + same).sinkJobs().get(0).clientIdentities());
    }

    @Test
    void dialTimeoutIsReadAndWarned() throws Exception {
        Config config = load(local(
                "      client_identity: local_backup",
                "      client_identity: local_backup\n" + "      dial_timeout: 2s"));
        assertEquals(1, config.warnings().size(), config.warnings().toString());
        assertTrue(
                config.warnings()
                        .get(0)
                        .endsWith(":14:7: 'dial_timeout' has no effect in zreplj: the local transport starts the"
                                + " sink's stdinserver here, bounded by replication.timeout"),
                config.warnings().get(0));
        String bad = error(local(
                "      client_identity: local_backup",
                "      client_identity: local_backup\n      dial_timeout: soon"));
        assertTrue(bad.startsWith("14:21: 'dial_timeout': "), bad);
    }

    @Test
    void sinkWithoutPushIsWarned() throws Exception {
        Config config = load(LOCAL.substring(0, LOCAL.indexOf("  - type: push")));
        assertEquals(1, config.warnings().size());
        assertTrue(
                config.warnings()
                        .get(0)
                        .endsWith(":4:14: sink job 'local_sink' serves local listener 'localsink', which no push"
                                + " job of this config connects to: it receives nothing"),
                config.warnings().get(0));
        assertEquals(List.of(), config.sinkJobs().get(0).clientIdentities());
    }

    @Test
    void listenerNobodyServes() throws Exception {
        assertEquals(
                "12:22: no sink job in this config serves local listener 'elsewhere' (the local transport reaches"
                        + " only a sink of the same config, with serve: {type: local, listener_name: elsewhere});"
                        + " add one or fix the name",
                error(local(
                        "      listener_name: localsink\n      client_identity",
                        "      listener_name: elsewhere\n" + "      client_identity")));
        // A stdinserver sink is no local listener, even when its job name matches.
        assertEquals(
                "12:22: no sink job in this config serves local listener 'localsink' (the local transport reaches"
                        + " only a sink of the same config, with serve: {type: local, listener_name: localsink});"
                        + " add one or fix the name",
                error(local(
                        "      type: local\n      listener_name: localsink\n  - type: push",
                        "      type: stdinserver\n      client_identities: [x]\n  - type: push")));
    }

    @Test
    void duplicateListener() throws Exception {
        String second = LOCAL.substring("jobs:\n".length(), LOCAL.indexOf("  - type: push"))
                .replace("local_sink", "other_sink")
                .replace("storage/zrepl/sink", "other/sink");
        assertEquals(
                "24:22: local listener 'localsink' is already served by sink job 'local_sink'; give each local sink"
                        + " its own listener_name",
                error(LOCAL + second));
    }

    @Test
    void badNames() throws Exception {
        assertEquals(
                "13:24: client identity 'local backup' contains ' '; allowed are letters, digits and _ - . :",
                error(local("client_identity: local_backup", "client_identity: local backup")));
        assertEquals(
                "13:24: client identity 'a/b' contains '/'; allowed are letters, digits and _ - . :",
                error(local("client_identity: local_backup", "client_identity: a/b")));
        assertEquals(
                "11:7: missing required key 'client_identity' in 'connect'",
                error(local("      client_identity: local_backup\n", "")));
        assertEquals(
                "7:22: listener_name 'local sink' contains ' '; allowed are letters, digits and _ - . :",
                error(local(
                        "      type: local\n      listener_name: localsink",
                        "      type: local\n" + "      listener_name: local sink")));
        assertEquals(
                "6:7: missing required key 'listener_name' in 'serve'",
                error(local(
                        "      type: local\n      listener_name: localsink\n  - type: push",
                        "      type: local\n" + "  - type: push")));
    }

    @Test
    void sshKeysWithLocal() throws Exception {
        for (String key : List.of(
                "host: box",
                "user: root",
                "port: 22",
                "identity_file: /id",
                "known_hosts: /k",
                "ssh_client: openssh",
                "stream_compression: on")) {
            String name = key.substring(0, key.indexOf(':'));
            assertEquals(
                    "14:7: '" + name + "' is not a key of connect type local (it takes listener_name,"
                            + " client_identity, dial_timeout, channels); remove it, or use type ssh+stdinserver to"
                            + " reach another machine",
                    error(local(
                            "      client_identity: local_backup",
                            "      client_identity: local_backup\n      " + key)),
                    key);
        }
        assertEquals(
                "8:7: unknown key 'client_identities' (allowed: type, listener_name, restore, zreplj)",
                error(local(
                        "      listener_name: localsink\n  - type: push",
                        "      listener_name: localsink\n" + "      client_identities: [x]\n  - type: push")));
    }

    @Test
    void clientOfTwoSinks() throws Exception {
        // The box keeps a client's state (status, locks, revocation) by its name: one name, one client.
        String ssh = """
                  - name: s
                    type: sink
                    root_fs: backup/zreplj
                    serve: {type: stdinserver, client_identities: [local_backup]}
                """;
        assertEquals(
                "13:24: client identity 'local_backup' is already served by sink job 's'; the box keeps a client's"
                        + " state by its name, so give this push job another client_identity",
                error(LOCAL + ssh));
    }

    /** zrepl's rule (documented, not checked there): no filter may select a sink's root_fs. */
    @Test
    void aFilterThatSelectsTheSinksBackups() throws Exception {
        String expected = "14:5: push job 'backup_system' selects storage/zrepl/sink/local_backup, where sink job"
                + " 'local_sink' keeps its backups: each pass would back them up again; exclude the sink's datasets"
                + " (\"storage/zrepl/sink<\": false)";
        assertEquals(expected, error(local("\"system<\": true", "\"<\": true")));
        assertEquals(expected, error(local("\"system<\": true", "\"storage<\": true")));
        assertEquals(expected, error(local("\"system<\": true", "\"storage/zrepl/sink/local_backup/x\": true")));
        // Excluded, it loads.
        load(local("\"system<\": true", "\"<\": true, \"storage/zrepl/sink<\": false"));
    }

    /**
     * zrepl's rule holds for every job of the config, not only a local push into its own jail: a snap job or an SSH
     * push job that selects a sink's root_fs would snapshot and prune the received copies (a snapshot of its own
     * fails the sink's next incremental receive) and send them on.
     */
    @Test
    void noJobsFilterSelectsASinksRootFs() throws Exception {
        String snap = """
                  - name: snaps
                    type: snap
                    filesystems: {"<": true, "storage/zrepl/sink/local_backup<": false}
                    snapshotting: {type: periodic, interval: 1h, prefix: hourly_}
                    pruning: {keep: [{type: last_n, count: 24}]}
                """;
        assertEquals(
                "21:5: snap job 'snaps' selects storage/zrepl/sink, where sink job 'local_sink' keeps its backups: it"
                        + " would snapshot and prune the received copies, and a snapshot of its own there fails the"
                        + " sink's next receive; exclude the sink's datasets (\"storage/zrepl/sink<\": false)",
                error(LOCAL + snap));
        String ssh = """
                  - name: offsite
                    type: push
                    connect: {type: ssh+stdinserver, host: offsite.example.org, user: zreplj, identity_file: /id}
                    filesystems: {"storage<": true, "storage/zrepl/sink": false}
                    snapshotting: {type: periodic, interval: 1h, prefix: zrepl_}
                    pruning: {keep_sender: [{type: not_replicated}], keep_receiver: [{type: last_n, count: 5}]}
                """;
        assertEquals(
                "22:5: push job 'offsite' selects the filesystems below storage/zrepl/sink, where sink job"
                        + " 'local_sink' keeps its backups: each pass would snapshot, prune and send the received"
                        + " copies, and a snapshot of its own there fails the sink's next receive; exclude the sink's"
                        + " datasets (\"storage/zrepl/sink<\": false)",
                error(LOCAL + ssh));
        // A box's sink served over SSH, and a snap job of the same box.
        String box = """
                jobs:
                  - name: sink
                    type: sink
                    root_fs: tank/backups
                    serve: {type: stdinserver, client_identities: [laptop]}
                  - name: snaps
                    type: snap
                    filesystems: {"tank<": true}
                    snapshotting: {type: periodic, interval: 1h, prefix: hourly_}
                    pruning: {keep: [{type: last_n, count: 24}]}
                """;
        assertTrue(error(box).startsWith("8:5: snap job 'snaps' selects tank/backups, where sink job 'sink'"), box);
        // Excluded, they load.
        load(LOCAL + snap.replace("\"storage/zrepl/sink/local_backup<\": false", "\"storage/zrepl/sink<\": false"));
        load(LOCAL + ssh.replace("\"storage/zrepl/sink\": false", "\"storage/zrepl/sink<\": false"));
        load(box.replace("{\"tank<\": true}", "{\"tank<\": true, \"tank/backups<\": false}"));
    }

    @Test
    void jailInsideAnotherClients() throws Exception {
        String ssh = """
                  - name: s
                    type: sink
                    root_fs: storage/zrepl
                    serve: {type: stdinserver, client_identities: [sink]}
                """;
        assertEquals(
                "13:24: client 'local_backup' of sink job 'local_sink' would keep its backups in"
                        + " storage/zrepl/sink/local_backup, inside client 'sink''s part storage/zrepl/sink (sink job"
                        + " 's'), which could then read and destroy them; give the sink jobs root_fs datasets outside"
                        + " each other's client datasets",
                error(LOCAL + ssh));
    }
}
