package dev.zreplj.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.protocol.StreamCompression;
import dev.zreplj.pruning.GridSpec;
import dev.zreplj.pruning.KeepRule;
import dev.zreplj.zfs.DatasetName;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Good zrepl-style configs load to exactly the expected records. */
class ConfigLoaderGoodTest {
    static Path resource(String name) throws URISyntaxException {
        return Path.of(ConfigLoaderGoodTest.class.getResource("/good/" + name).toURI());
    }

    /** Keep rules hold Patterns, which have no value equality: compare them as text. */
    static String rules(List<KeepRule> rules) {
        StringBuilder out = new StringBuilder();
        for (KeepRule r : rules) {
            if (r instanceof KeepRule.NotReplicated n) {
                out.append("not_replicated(cursor=")
                        .append(n.keepSnapshotAtCursor())
                        .append(')');
            } else if (r instanceof KeepRule.LastN l) {
                out.append("last_n(")
                        .append(l.count())
                        .append(", ")
                        .append(l.regex() == null ? "-" : l.regex())
                        .append(')');
            } else if (r instanceof KeepRule.Regex x) {
                out.append("regex(")
                        .append(x.regex())
                        .append(", negate=")
                        .append(x.negate())
                        .append(')');
            } else if (r instanceof KeepRule.Grid g) {
                out.append("grid(")
                        .append(g.regex())
                        .append(", ")
                        .append(g.intervals())
                        .append(')');
            }
            out.append(';');
        }
        return out.toString();
    }

    @Test
    void pushConfig() throws Exception {
        Path file = resource("push.yml");
        Config config = new ConfigLoader().load(file);
        assertEquals(file, config.file());
        assertEquals(
                new Global(
                        Path.of("/var/lib/zreplj-test"),
                        Path.of("/sbin/zfs"),
                        StatusThresholds.DEFAULTS,
                        null,
                        List.of(new PrometheusListener(null, 9811, ":9811"))),
                config.global());
        assertEquals(2, config.jobs().size());

        PushJob full = (PushJob) config.job("laptop_to_backup").orElseThrow();
        assertEquals(
                new Connect(
                        "backup.example.org",
                        "root",
                        2222,
                        Path.of("/etc/zreplj/ssh/identity"),
                        List.of("Compression=yes", "ServerAliveInterval=30"),
                        Duration.ofSeconds(20),
                        Path.of("/etc/zreplj/ssh/known_hosts"),
                        Connect.HostKeyPolicy.ACCEPT_NEW,
                        4,
                        StreamCompression.OFF,
                        Connect.SshClient.OPENSSH),
                full.connect());
        assertEquals(
                new FilesystemFilter(Map.of("<", true, "tank/tmp<", false, "tank/tmp/keep", true)), full.filesystems());
        assertEquals(new SendOptions(true, false, false, false, true, false, false, false), full.send());
        assertEquals(
                new Snapshotting(Snapshotting.Type.PERIODIC, "zrepl_", Duration.ofMinutes(10), null, "human"),
                full.snapshotting());
        assertEquals(new ReplicationOptions(3, Duration.ofHours(1), 5, Duration.ofSeconds(30)), full.replication());
        assertEquals(
                new ConflictResolution(ConflictResolution.InitialReplication.ALL, true), full.conflictResolution());
        assertEquals(
                "not_replicated(cursor=true);last_n(10, ^zrepl_);",
                rules(full.pruning().keepSender()));
        assertEquals(
                "regex(^zrepl_, negate=true);last_n(100, -);",
                rules(full.pruning().keepReceiver()));

        PushJob minimal = (PushJob) config.job("minimal").orElseThrow();
        assertEquals(
                new Connect(
                        "192.0.2.7",
                        "zrepl",
                        22,
                        Path.of("/root/.ssh/id_ed25519"),
                        List.of(),
                        Duration.ofSeconds(10),
                        Path.of(System.getProperty("user.home"), ".ssh", "known_hosts"),
                        Connect.HostKeyPolicy.STRICT,
                        1,
                        StreamCompression.AUTO,
                        Connect.SshClient.BUILTIN),
                minimal.connect());
        assertEquals(new FilesystemFilter(Map.of("pool/data", true)), minimal.filesystems());
        assertEquals(new Snapshotting(Snapshotting.Type.MANUAL, null, null, null, null), minimal.snapshotting());
        assertEquals(SendOptions.defaults(), minimal.send());
        assertEquals(
                new ReplicationOptions(1, Duration.ofMinutes(10), 3, Duration.ofSeconds(10)), minimal.replication());
        assertEquals(
                new ConflictResolution(ConflictResolution.InitialReplication.MOST_RECENT, false),
                minimal.conflictResolution());
        assertEquals("", rules(minimal.pruning().keepSender()));
        assertEquals("", rules(minimal.pruning().keepReceiver()));
    }

    @Test
    void maxUnreplicatedIsReadAndDefaults(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path file = dir.resolve("z.yml");
        String job = String.join(
                "\n",
                "jobs:",
                "  - name: p",
                "    type: push",
                "    connect:",
                "      type: ssh+stdinserver",
                "      host: h",
                "      user: u",
                "      identity_file: /id",
                "    filesystems: {\"pool<\": true}",
                "    snapshotting:",
                "      type: %s",
                "      prefix: zrepl_",
                "      %s%s",
                "    pruning:",
                "      keep_sender: []",
                "      keep_receiver: []",
                "");
        Files.writeString(file, job.formatted("periodic", "interval: 10m", "\n      max_unreplicated: 7"));
        assertEquals(
                7,
                new ConfigLoader().load(file).pushJobs().get(0).snapshotting().maxUnreplicated());
        Files.writeString(file, job.formatted("cron", "cron: \"0 * * * *\"", "\n      max_unreplicated: 1"));
        assertEquals(
                1,
                new ConfigLoader().load(file).pushJobs().get(0).snapshotting().maxUnreplicated());
        Files.writeString(file, job.formatted("periodic", "interval: 10m", ""));
        assertEquals(
                Snapshotting.DEFAULT_MAX_UNREPLICATED,
                new ConfigLoader().load(file).pushJobs().get(0).snapshotting().maxUnreplicated());
        assertEquals(500, Snapshotting.DEFAULT_MAX_UNREPLICATED);
        assertThrows(
                IllegalArgumentException.class,
                () -> new Snapshotting(Snapshotting.Type.PERIODIC, "z", Duration.ofMinutes(1), null, "dense", 0));
    }

    @Test
    void sendDecryptIsReadAndDefaultsToFalse(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path file = dir.resolve("z.yml");
        String job = String.join(
                "\n",
                "jobs:",
                "  - name: p",
                "    type: push",
                "    connect:",
                "      type: ssh+stdinserver",
                "      host: h",
                "      user: u",
                "      identity_file: /id",
                "    filesystems: {\"pool<\": true}",
                "    snapshotting: {type: manual}",
                "%s",
                "    pruning:",
                "      keep_sender: []",
                "      keep_receiver: []",
                "");
        Files.writeString(file, job.formatted("    send: {decrypt: true, compressed: true}"));
        assertEquals(
                new SendOptions(false, false, false, false, false, true, false, true),
                new ConfigLoader().load(file).pushJobs().get(0).send());
        Files.writeString(file, job.formatted("    send: {raw: true}"));
        assertEquals(
                new SendOptions(false, true, false, false, false, false, false, false),
                new ConfigLoader().load(file).pushJobs().get(0).send());
    }

    @Test
    void serveRestoreIsReadAndDefaultsToTrue(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path file = dir.resolve("z.yml");
        String sink = String.join(
                "\n",
                "jobs:",
                "  - name: s",
                "    type: sink",
                "    root_fs: pool/sink",
                "    serve:",
                "      type: stdinserver",
                "      client_identities: [laptop]",
                "%s",
                "");
        Files.writeString(file, sink.formatted(""));
        assertEquals(true, new ConfigLoader().load(file).sinkJobs().get(0).restore());
        Files.writeString(file, sink.formatted("      restore: false"));
        assertEquals(false, new ConfigLoader().load(file).sinkJobs().get(0).restore());
        Files.writeString(file, sink.formatted("      restore: nope"));
        assertThrows(ConfigException.class, () -> new ConfigLoader().load(file));
    }

    @Test
    void sinkConfig() throws Exception {
        Config config = new ConfigLoader().load(resource("sink.yml"));
        assertEquals(Global.defaults(), config.global());
        assertEquals(List.of(), config.pushJobs());
        SinkJob sink = config.sinkJobs().get(0);
        assertEquals("backup_sink", sink.name());
        assertEquals(DatasetName.of("backup/zreplj"), sink.rootFs());
        assertEquals(List.of("laptop", "web-01.example.org"), sink.clientIdentities());
        assertEquals(
                new RecvOptions(
                        Map.of("canmount", "off", "readonly", "on", "org.example:backup", "yes"),
                        List.of("mountpoint"),
                        "inherit"),
                sink.recv());
        assertEquals("regex(^manual_, negate=false);", rules(sink.keepFloor()));
        assertEquals(new ServeLimits(Duration.ofMinutes(30), Duration.ofSeconds(90), 4, 1), sink.limits());
        assertEquals(DatasetName.of("backup/zreplj/laptop"), sink.jail("laptop"));

        SinkJob other = config.sinkJobs().get(1);
        assertEquals(DatasetName.of("pool2"), other.rootFs());
        assertEquals(List.of("desktop"), other.clientIdentities());
        assertEquals(RecvOptions.defaults(), other.recv());
        assertEquals(List.of(), other.keepFloor());
        assertEquals(ServeLimits.defaults(), other.limits());
    }

    @Test
    void anExplicitEmptyKeepFloorKeepsEverythingAnAbsentOneNothing(@org.junit.jupiter.api.io.TempDir Path dir)
            throws Exception {
        Path file = dir.resolve("z.yml");
        String sink = "jobs:\n  - {name: s, type: sink, root_fs: pool, serve: {type: stdinserver, "
                + "client_identities: [c]}%s}\n";
        Files.writeString(file, sink.formatted(", policy: {keep_floor: []}"));
        assertEquals(
                "regex(.*, negate=false);",
                rules(new ConfigLoader().load(file).sinkJobs().get(0).keepFloor()));
        Files.writeString(file, sink.formatted(""));
        assertEquals(List.of(), new ConfigLoader().load(file).sinkJobs().get(0).keepFloor());
    }

    @Test
    void contribSamplesLoadWithTheirGridRules() throws Exception {
        ConfigLoader loader = new ConfigLoader();
        List<KeepRule.GridInterval> pushGrid = GridSpec.parse("1x1h(keep=all) | 24x1h | 30x1d | 12x30d");
        List<KeepRule.GridInterval> floorGrid = GridSpec.parse("7x1d | 4x7d");
        Config push = loader.load(Path.of("../contrib/config/push.yml"));
        PushJob job = push.pushJobs().get(0);
        assertEquals("laptop_to_backup", job.name());
        assertEquals(Path.of("/var/lib/zreplj"), push.global().stateDir());
        assertNull(push.global().zfsBinary());
        assertEquals(
                "not_replicated(cursor=true);last_n(10, ^zrepl_);regex(^zrepl_, negate=true);",
                rules(job.pruning().keepSender()));
        assertEquals(
                "grid(^zrepl_, " + pushGrid + ");regex(^zrepl_, negate=true);",
                rules(job.pruning().keepReceiver()));
        // A multiple of the shipped timer's period (OnCalendar=*:0/10): 15 minutes was taken every 20 under it.
        assertEquals(
                new Snapshotting(Snapshotting.Type.PERIODIC, "zrepl_", Duration.ofMinutes(10), null, "dense"),
                job.snapshotting());
        assertTrue(
                Files.readString(Path.of("../contrib/systemd/zreplj-agent.timer"))
                        .contains("\nOnCalendar=*:0/10\n"),
                "the timer's period the sample's interval is a multiple of");

        Config sink = loader.load(Path.of("../contrib/config/sink.yml"));
        assertEquals(List.of("laptop", "webserver"), sink.sinkJobs().get(0).clientIdentities());
        assertEquals(
                "grid(^zrepl_, " + floorGrid + ");",
                rules(sink.sinkJobs().get(0).keepFloor()));
        assertEquals(ServeLimits.defaults(), sink.sinkJobs().get(0).limits(), "the sample states the defaults");
        assertEquals(Duration.ofDays(30), pushGrid.get(pushGrid.size() - 1).length());
    }

    /** The samples' filters mean what their keys say: scratch space is out, with everything below it. */
    @Test
    void contribSamplesLeaveOutTheScratchSubtree() throws Exception {
        ConfigLoader loader = new ConfigLoader();
        for (String sample : List.of("push.yml", "local.yml")) {
            FilesystemFilter filter = loader.load(Path.of("../contrib/config/" + sample))
                    .pushJobs()
                    .get(0)
                    .filesystems();
            assertTrue(filter.accepts("rpool/home"), sample);
            assertFalse(filter.accepts("rpool/tmp"), sample);
            assertFalse(filter.accepts("rpool/tmp/build"), sample);
        }
    }
}
