package dev.zreplj.config;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.zreplj.pruning.KeepRule;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every default docs/config.md states, as the literal value the page names, for a key left out and for its
 * section left empty (YAML null, "the same as leaving it out"). The other tests compare against the records'
 * own {@code defaults()}, which would follow a changed constant silently; a default is a promise to the
 * admin who did not write the key, so it is pinned here in the page's words.
 */
class DocumentedDefaultsTest {
    @TempDir
    Path dir;

    private static final String PUSH = """
            jobs:
              - name: j
                type: push
                connect:
                  type: ssh+stdinserver
                  host: box
                  user: u
                  identity_file: /etc/zreplj/ssh/identity
                filesystems: {"tank<": true}
                snapshotting:
                  type: periodic
                  prefix: zrepl_
                  interval: 10m
            %s
                pruning:
                  keep_sender:
                    - type: not_replicated
                    - type: regex
                      regex: "^manual_"
                  keep_receiver: []
            """;

    private static final String SINK = """
            jobs:
              - name: s
                type: sink
                root_fs: pool/backup
                serve:
                  type: stdinserver
                  client_identities: [c]
            %s
            """;

    private static PushJob push(Config c) {
        return c.pushJobs().get(0);
    }

    private static SinkJob sink(Config c) {
        return c.sinkJobs().get(0);
    }

    private static Arguments row(String docKey, String config, Function<Config, Object> actual, Object documented) {
        return Arguments.of(docKey, config, actual, documented);
    }

    static Stream<Arguments> defaults() {
        String push = PUSH.formatted("");
        String sink = SINK.formatted("");
        return Stream.of(
                // Top level
                row("global.zreplj.state_dir", push, c -> c.global().stateDir(), Path.of("/var/lib/zreplj")),
                row(
                        "global.zreplj.zfs_binary (search PATH)",
                        push,
                        c -> String.valueOf(c.global().zfsBinary()),
                        "null"),
                row(
                        "global.zreplj.metrics.textfile (none)",
                        push,
                        c -> String.valueOf(c.global().metricsTextfile()),
                        "null"),
                row("global.zreplj.status.warn", push, c -> c.global().status().warn(), Duration.ofHours(25)),
                row("global.zreplj.status.crit", push, c -> c.global().status().crit(), Duration.ofHours(49)),
                row(
                        "global.zreplj.status.warn, empty 'zreplj:'",
                        "global:\n  zreplj:\n" + push,
                        c -> c.global().status().warn(),
                        Duration.ofHours(25)),
                row("global.monitoring (none)", push, c -> c.global().monitoring(), List.of()),
                // push job
                row(
                        "send (all false)",
                        push,
                        c -> push(c).send(),
                        new SendOptions(false, false, false, false, false, false, false, false)),
                row(
                        "send (all false), empty 'send:'",
                        PUSH.formatted("    send:"),
                        c -> push(c).send(),
                        new SendOptions(false, false, false, false, false, false, false, false)),
                row(
                        "send.bandwidth_limit.max (-1 B, none)",
                        push,
                        c -> push(c).send().bandwidthLimit().maxBytesPerSecond(),
                        -1L),
                row(
                        "send.bandwidth_limit.bucket_capacity (128 KiB)",
                        PUSH.formatted("    send:\n      bandwidth_limit:\n        max: 1 MiB"),
                        c -> push(c).send().bandwidthLimit().bucketCapacityBytes(),
                        128L * 1024),
                row("send.decrypt", push, c -> push(c).send().decrypt(), false),
                row(
                        "replication.concurrency.steps",
                        push,
                        c -> push(c).replication().concurrencySteps(),
                        1),
                row("replication.attempts", push, c -> push(c).replication().attempts(), 3),
                row(
                        "replication.retry_backoff",
                        push,
                        c -> push(c).replication().retryBackoff(),
                        Duration.ofSeconds(10)),
                row(
                        "replication (defaults), empty 'replication:'",
                        PUSH.formatted("    replication:"),
                        c -> List.of(
                                push(c).replication().concurrencySteps(),
                                push(c).replication().attempts(),
                                push(c).replication().retryBackoff()),
                        List.of(1, 3, Duration.ofSeconds(10))),
                row(
                        "conflict_resolution.initial_replication",
                        push,
                        c -> push(c).conflictResolution().initialReplication(),
                        ConflictResolution.InitialReplication.MOST_RECENT),
                row(
                        "conflict_resolution.allow_rollback",
                        push,
                        c -> push(c).conflictResolution().allowRollback(),
                        false),
                row(
                        "conflict_resolution, empty 'conflict_resolution:'",
                        PUSH.formatted("    conflict_resolution:"),
                        c -> push(c).conflictResolution(),
                        new ConflictResolution(ConflictResolution.InitialReplication.MOST_RECENT, false)),
                // connect
                row("connect.port", push, c -> push(c).connect().port(), 22),
                row("connect.options", push, c -> push(c).connect().options(), List.of()),
                row("connect.dial_timeout", push, c -> push(c).connect().dialTimeout(), Duration.ofSeconds(10)),
                row(
                        "connect.known_hosts",
                        push,
                        c -> push(c).connect().knownHosts(),
                        Path.of(System.getProperty("user.home"), ".ssh", "known_hosts")),
                row(
                        "connect.host_key_policy",
                        push,
                        c -> push(c).connect().hostKeyPolicy(),
                        Connect.HostKeyPolicy.STRICT),
                row("connect.ssh_client", push, c -> push(c).connect().sshClient(), Connect.SshClient.BUILTIN),
                row(
                        "connect.channels (replication.concurrency.steps)",
                        PUSH.formatted("    replication:\n      concurrency:\n        steps: 3"),
                        c -> push(c).connect().channels(),
                        3),
                row(
                        "connect.stream_compression",
                        push,
                        c -> push(c).connect().streamCompression().name(),
                        "AUTO"),
                // snapshotting
                row(
                        "snapshotting.timestamp_format (dense), timestamp_location (UTC)",
                        push,
                        c -> SnapshotNaming.of(
                                        "zrepl_",
                                        push(c).snapshotting().timestampFormat(),
                                        push(c).snapshotting().timestampLocation())
                                .name(Instant.parse("2024-01-02T03:04:05.678Z")),
                        "zrepl_20240102_030405_000"), // zrepl's layout 20060102_150405_000: "_000" is literal in Go
                row(
                        "snapshotting.max_unreplicated",
                        push,
                        c -> push(c).snapshotting().maxUnreplicated(),
                        500),
                row(
                        "snapshotting.hooks (none)",
                        push,
                        c -> push(c).snapshotting().hooks(),
                        List.of()),
                row(
                        "hooks[].timeout, err_is_fatal",
                        PUSH.formatted("")
                                .replace(
                                        "      interval: 10m\n",
                                        "      interval: 10m\n      hooks:\n        - type: command\n"
                                                + "          path: /usr/local/bin/h\n"),
                        c -> List.of(
                                push(c).snapshotting().hooks().get(0).timeout(),
                                push(c).snapshotting().hooks().get(0).errIsFatal()),
                        List.of(Duration.ofSeconds(30), false)),
                row(
                        "hooks[].filesystems (all)",
                        PUSH.formatted("")
                                .replace(
                                        "      interval: 10m\n",
                                        "      interval: 10m\n      hooks:\n        - type: command\n"
                                                + "          path: /usr/local/bin/h\n"),
                        c -> List.of(
                                push(c).snapshotting()
                                        .hooks()
                                        .get(0)
                                        .filesystems()
                                        .accepts("tank"),
                                push(c).snapshotting()
                                        .hooks()
                                        .get(0)
                                        .filesystems()
                                        .accepts("other/deep/fs")),
                        List.of(true, true)),
                // keep rules
                row(
                        "not_replicated.keep_snapshot_at_cursor",
                        push,
                        c -> ((KeepRule.NotReplicated)
                                        push(c).pruning().keepSender().get(0))
                                .keepSnapshotAtCursor(),
                        true),
                row(
                        "regex.negate",
                        push,
                        c -> ((KeepRule.Regex) push(c).pruning().keepSender().get(1)).negate(),
                        false),
                // sink job
                row("serve.restore", sink, c -> sink(c).restore(), true),
                row("recv.properties.override", sink, c -> sink(c).recv().overrideProperties(), Map.of()),
                row("recv.properties.inherit", sink, c -> sink(c).recv().inheritProperties(), List.of()),
                row(
                        "recv.bandwidth_limit (none)",
                        sink,
                        c -> sink(c).recv().bandwidthLimit().maxBytesPerSecond(),
                        -1L),
                row("recv.placeholder.encryption", sink, c -> sink(c).recv().placeholderEncryption(), "unspecified"),
                row(
                        "recv (defaults), empty 'recv:' and 'properties:'",
                        SINK.formatted("    recv:\n      properties:\n      placeholder:"),
                        c -> List.of(
                                sink(c).recv().overrideProperties(),
                                sink(c).recv().inheritProperties(),
                                sink(c).recv().placeholderEncryption()),
                        List.of(Map.of(), List.of(), "unspecified")),
                row("policy.keep_floor (none)", sink, c -> sink(c).keepFloor(), List.of()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("defaults")
    void theDefaultIsTheOneTheDocumentationNames(
            String docKey, String config, Function<Config, Object> actual, Object documented) throws Exception {
        Path file = dir.resolve("zreplj.yml");
        Files.writeString(file, config);
        assertEquals(documented, actual.apply(new ConfigLoader().load(file)), docKey);
    }
}
