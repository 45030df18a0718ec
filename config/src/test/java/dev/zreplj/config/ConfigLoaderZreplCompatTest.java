package dev.zreplj.config;

import static dev.zreplj.config.ConfigLoaderGoodTest.rules;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.zreplj.pruning.GridSpec;
import dev.zreplj.pruning.KeepRule;
import dev.zreplj.pruning.KeepRules;
import dev.zreplj.pruning.PruneCandidate;
import dev.zreplj.zfs.DatasetName;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Configs zrepl 0.7 loads load with zrepl's meaning; configs it refuses are refused. Facts from zrepl's
 * internal/config (config.go, retentiongrid.go, samples/include*.yml, samples/invalid/internal_job_name).
 */
class ConfigLoaderZreplCompatTest {
    private static final String PUSH = """
            jobs:
              - name: p
                type: push
                connect:
                  type: ssh+stdinserver
                  host: h
                  user: u
                  port: 22
                  identity_file: /id
                filesystems: {"pool<": true}
                snapshotting:
                  type: periodic
                  prefix: zrepl_
                  interval: 10m
                pruning:
                  keep_sender: [{type: not_replicated}]
                  keep_receiver: [{type: last_n, count: 5}]
            """;

    @TempDir
    Path dir;

    private Path write(String name, String yaml) throws IOException {
        Path file = dir.resolve(name);
        Files.createDirectories(file.getParent());
        Files.writeString(file, yaml);
        return file;
    }

    private Config load(String yaml) throws Exception {
        return new ConfigLoader().load(write("zreplj.yml", yaml));
    }

    private String error(Path file) {
        return assertThrows(ConfigException.class, () -> new ConfigLoader().load(file))
                .getMessage();
    }

    @Test
    void emptyOptionalMappingsMeanTheirDefaultsAsYamlNull() throws Exception {
        String sink = String.join(
                "\n",
                "  - name: s",
                "    type: sink",
                "    root_fs: backup",
                "    serve: {type: stdinserver, client_identities: [c]}",
                "    recv:",
                "      properties:",
                "        inherit:",
                "        override:",
                "      placeholder:",
                "global:",
                "  logging:",
                "  zreplj:",
                "");
        Config c = load(PUSH.replace(
                                "    snapshotting:",
                                String.join(
                                        "\n",
                                        "    send:",
                                        "    replication:",
                                        "    conflict_resolution:",
                                        "    snapshotting:"))
                        .replace("      interval: 10m", "      interval: 10m\n      hooks:")
                + sink);
        PushJob p = c.pushJobs().get(0);
        assertEquals(SendOptions.defaults(), p.send());
        assertEquals(ReplicationOptions.defaults(), p.replication());
        assertEquals(ConflictResolution.defaults(), p.conflictResolution());
        assertEquals(RecvOptions.defaults(), c.sinkJobs().get(0).recv());
        assertEquals(Global.defaults(), c.global());

        Config bare =
                load(PUSH + "    # recv left empty\n  - {name: s, type: sink, root_fs: b, serve: {type: stdinserver, "
                        + "client_identities: [c]}, recv: {properties: }}\n");
        assertEquals(RecvOptions.defaults(), bare.sinkJobs().get(0).recv());
    }

    @Test
    void aRequiredKeyLeftEmptyIsStillAnError() throws Exception {
        Path file = write("zreplj.yml", PUSH.replace("keep_receiver: [{type: last_n, count: 5}]", "keep_receiver:"));
        assertEquals(file + ":17:21: 'keep_receiver' must be a list, not empty", error(file));
    }

    @Test
    void gridSpecsWithPlusSignsAndKeepMinusOne() throws Exception {
        Config c = load(
                PUSH.replace(
                        "keep_receiver: [{type: last_n, count: 5}]",
                        "keep_receiver: [{type: grid, regex: \"^zrepl_\", grid: \"1x1h(keep=-1) | 24x+1h | 14x1d(keep=+1)\"}]"));
        assertEquals(
                "grid(^zrepl_, " + GridSpec.parse("1x1h(keep=all) | 24x1h | 14x1d") + ");",
                rules(c.pushJobs().get(0).pruning().keepReceiver()));
    }

    @Test
    void anEmptyLastNRegexMatchesEveryNameAsInZrepl() throws Exception {
        // zrepl internal/pruning/keep_last_n_test.go (emptyRegexAllowed): the regex is optional and "" matches all.
        Config c = load(PUSH.replace(
                "keep_receiver: [{type: last_n, count: 5}]", "keep_receiver: [{type: last_n, count: 2, regex: \"\"}]"));
        assertEquals(
                List.of(new KeepRule.LastN(2, null)),
                c.pushJobs().get(0).pruning().keepReceiver());
    }

    @Test
    void blankKeepRuleRegexesArePatternsAsInZrepl() throws Exception {
        // zrepl's keep_regex.go compiles whatever the rule gives ("" matches every name); keep_grid.go refuses
        // only the empty string; last_n compiles a non-empty one. " " is a pattern: names with a space.
        Config c = load(PUSH.replace(
                "keep_receiver: [{type: last_n, count: 5}]",
                "keep_receiver: [{type: regex, regex: \"\", negate: true}, {type: last_n, count: 1, regex: \" \"},"
                        + " {type: grid, grid: 1x1h, regex: \" \"}]"));
        var candidates = List.of(
                new PruneCandidate("a b", Instant.ofEpochSecond(3600), null),
                new PruneCandidate("c", Instant.ofEpochSecond(7200), null));
        List<KeepRule> rules = c.pushJobs().get(0).pruning().keepReceiver();
        assertEquals(3, rules.size());
        assertEquals(List.of(false, false), KeepRules.keep(List.of(rules.get(0)), candidates));
        assertEquals(List.of(true, false), KeepRules.keep(List.of(rules.get(1)), candidates));
        assertEquals(List.of(true, false), KeepRules.keep(List.of(rules.get(2)), candidates));
        assertEquals(
                dir.resolve("zreplj.yml") + ":17:55: 'regex' must not be empty; use '.*' for all snapshots",
                error(write(
                        "zreplj.yml",
                        PUSH.replace(
                                "keep_receiver: [{type: last_n, count: 5}]",
                                "keep_receiver: [{type: grid, grid: 1x1h, regex: \"\"}]"))));
    }

    @Test
    void keepRuleRegexesAreGoRegexps() throws Exception {
        // zrepl docs/configuration/prune.rst: keep-rule regexes are Go regexps, where [[:digit:]] is a class
        // of digits (java.util.regex alone would read it as the letters ':', 'd', 'i', 'g', 't').
        Config c = load(PUSH.replace(
                "keep_receiver: [{type: last_n, count: 5}]",
                "keep_receiver: [{type: regex, regex: \"^zrepl_[[:digit:]]+_[[:digit:]]+\"},"
                        + " {type: last_n, count: 1, regex: \"^manual_[[:alpha:]]+$\"},"
                        + " {type: grid, grid: 1x1h, regex: \"^hourly[[:^alpha:]]\"}]"));
        var candidates = List.of(
                new PruneCandidate("zrepl_20240101_120000_000", Instant.ofEpochSecond(10), null),
                new PruneCandidate("zrepl_digit_tt", Instant.ofEpochSecond(11), null),
                new PruneCandidate("manual_before", Instant.ofEpochSecond(12), null),
                new PruneCandidate("hourly_1", Instant.ofEpochSecond(13), null));
        assertEquals(
                List.of(true, false, true, true),
                KeepRules.keep(c.pushJobs().get(0).pruning().keepReceiver(), candidates));
    }

    @Test
    void rawWithoutEncryptedIsWarnedAboutBecauseZreplRefusesEncryptedFilesystemsThen() throws Exception {
        // zrepl internal/zfs/zfs.go ZFSSendArgsUnvalidated.Validate: with raw and without encrypted, an
        // encrypted filesystem is refused ("policy mandates raw+unencrypted sends"); zreplj sends it raw.
        String raw = PUSH.replace("    pruning:", "    send: {raw: true}\n    pruning:");
        assertEquals(
                List.of(dir.resolve("zreplj.yml") + ":15:12: 'raw: true' without 'encrypted: true' sends encrypted"
                        + " filesystems too in zreplj (raw, so the box never sees their key or plaintext), where zrepl"
                        + " refuses them; remove them from 'filesystems' if they must not reach the box"),
                load(raw).warnings());
        assertEquals(
                List.of(),
                load(raw.replace("{raw: true}", "{raw: true, encrypted: true}")).warnings());
    }

    @Test
    void aBoxConfigsMonitoringIsWarnedAboutBecauseNothingServesIt() throws Exception {
        // A zrepl box's daemon serves global.monitoring; zreplj's box runs no daemon, so copied over it would
        // never listen. With a push job in the same file, 'agent run' serves it and nothing is said.
        String monitoring = "global:\n  monitoring:\n    - {type: prometheus, listen: ':9811'}\n";
        String sink =
                "jobs:\n  - {name: s, type: sink, root_fs: backup, serve: {type: stdinserver, client_identities: [c]}}\n";
        assertEquals(
                List.of(dir.resolve("zreplj.yml") + ":2:3: 'monitoring' has no effect in zreplj: only"
                        + " 'zreplj agent run' serves metrics, and it runs push and snap jobs, which this config has"
                        + " none of; on the box set"
                        + " global.zreplj.metrics.textfile for node_exporter instead"),
                load(monitoring + sink).warnings());
        assertEquals(List.of(), load(PUSH + monitoring).warnings());
        assertEquals(List.of(), load(sink).warnings());
    }

    @Test
    void plainYAndNAreBooleansAsInZreplsYamlParser() throws Exception {
        Config c = load(PUSH.replace("{\"pool<\": true}", "{\"pool<\": y, \"pool/tmp\": N}")
                .replace("    pruning:", "    send: {send_properties: Y}\n    pruning:"));
        FilesystemFilter f = c.pushJobs().get(0).filesystems();
        assertEquals(true, f.accepts(DatasetName.of("pool/a")));
        assertEquals(false, f.accepts(DatasetName.of("pool/tmp")));
        assertEquals(true, c.pushJobs().get(0).send().sendProperties());
        // Quoted, it is a string in go-yaml too.
        assertEquals(
                dir.resolve("zreplj.yml")
                        + ":10:28: the value of filesystems key 'pool<' must be true or false, not 'y'",
                error(write("zreplj.yml", PUSH.replace("{\"pool<\": true}", "{\"pool<\": \"y\"}"))));
    }

    /**
     * An explicit !!bool takes go-yaml v2's words (zrepl's), y among them; any other value was read as false,
     * silently, where zrepl refuses the config.
     */
    @Test
    void anExplicitBoolTagTakesYaml11sWordsAndNoOthers() throws Exception {
        Config c = load(
                PUSH.replace("    pruning:", "    send: {send_properties: !!bool y, raw: !!bool Off}\n    pruning:"));
        assertEquals(true, c.pushJobs().get(0).send().sendProperties());
        assertEquals(false, c.pushJobs().get(0).send().raw());
        assertEquals(
                dir.resolve("zreplj.yml") + ":15:29: 'send_properties' must be true or false, not '1'",
                error(write(
                        "zreplj.yml",
                        PUSH.replace("    pruning:", "    send: {send_properties: !!bool 1}\n    pruning:"))));
    }

    @Test
    void namesWithSpacesAsZfsAllowsThem() throws Exception {
        Config c = load(PUSH.replace("{\"pool<\": true}", "{\"pool/my docs<\": true, \"pool/my docs/tmp\": false}")
                .replace("prefix: zrepl_", "prefix: \"auto snap_\""));
        FilesystemFilter f = c.pushJobs().get(0).filesystems();
        assertEquals(true, f.accepts(DatasetName.of("pool/my docs/a b")));
        assertEquals(false, f.accepts(DatasetName.of("pool/my docs/tmp")));
        assertEquals("auto snap_", c.pushJobs().get(0).snapshotting().prefix());
    }

    @Test
    void cronAsZreplReadsIt() throws Exception {
        Config c = load(PUSH.replace("      type: periodic", "      type: cron")
                .replace("interval: 10m", "cron: \"0 0 3 ? * *\""));
        assertEquals("0 0 3 ? * *", c.pushJobs().get(0).snapshotting().cron());
    }

    @Test
    void jobNamesStartingWithUnderscoreAreReservedAsInZrepl() throws Exception {
        Path file = write("zreplj.yml", PUSH.replace("name: p", "name: _internal_job"));
        assertEquals(
                file + ":2:11: job name '_internal_job' starts with '_', which zrepl reserves for internal "
                        + "jobs; rename the job",
                error(file));
    }

    @Test
    void jobNamesAndClientIdentitiesHaveNoSpaces() throws Exception {
        Path file = write("zreplj.yml", PUSH.replace("name: p", "name: \"my job\""));
        assertEquals(
                file + ":2:11: job name 'my job' contains ' '; allowed are letters, digits and _ - . :", error(file));
        file = write(
                "zreplj.yml",
                "jobs:\n  - {name: s, type: sink, root_fs: b, serve: {type: stdinserver, "
                        + "client_identities: [\"my laptop\"]}}\n");
        assertEquals(
                file + ":2:86: client identity 'my laptop' contains ' '; allowed are letters, digits and _ - . :",
                error(file));
    }

    @Test
    void includeTakesFilesAndDirectoriesRelativeToTheIncludingFile() throws Exception {
        write("conf/jobs.d/b.yml", PUSH.replace("name: p", "name: b"));
        write("conf/jobs.d/a.yml", PUSH.replace("name: p", "name: a"));
        write("conf/jobs.d/ignored.yaml", "this is not read");
        write(
                "conf/one.yml",
                "jobs:\n  - {name: s, type: sink, root_fs: b, serve: {type: stdinserver, "
                        + "client_identities: [c]}}\n");
        Path main = write("conf/zreplj.yml", PUSH + "include:\n  - one.yml\n  - ./jobs.d\n");
        Config c = new ConfigLoader().load(main);
        assertEquals(
                List.of("p", "s", "a", "b"), c.jobs().stream().map(Job::name).toList());

        Path only = write("conf/only-include.yml", "include: [jobs.d]\n");
        assertEquals(
                List.of("a", "b"),
                new ConfigLoader().load(only).jobs().stream().map(Job::name).toList());
        Path absolute = write("elsewhere/z.yml", "include: [\"" + dir.resolve("conf/one.yml") + "\"]\n");
        assertEquals(
                List.of("s"),
                new ConfigLoader().load(absolute).jobs().stream().map(Job::name).toList());
    }

    @Test
    void errorsInAnIncludedFileNameThatFileAndLine() throws Exception {
        Path bad = write("conf/bad.yml", "jobs:\n  - name: x\n    type: pull\n");
        Path main = write("conf/zreplj.yml", PUSH + "include: [bad.yml]\n");
        assertEquals(bad + ":3:11: job type 'pull' is not supported by zreplj (push, sink and snap are)", error(main));

        Path dup = write("conf/dup.yml", PUSH);
        main = write("conf/zreplj.yml", PUSH + "include: [dup.yml]\n");
        assertEquals(dup + ":2:11: duplicate job name 'p' (first used at " + main + " line 2)", error(main));

        Path nested = write("conf/nested.yml", "include: [bad.yml]\n");
        main = write("conf/zreplj.yml", PUSH + "include: [nested.yml]\n");
        assertEquals(nested + ":1:1: an included file must not include other files (as in zrepl)", error(main));

        Path global = write("conf/global.yml", "global: {zreplj: {state_dir: /x}}\n");
        main = write("conf/zreplj.yml", PUSH + "include: [global.yml]\n");
        assertEquals(global + ":1:1: unknown key 'global' (allowed: jobs)", error(main));

        write("conf/jobs.yaml", PUSH);
        main = write("conf/zreplj.yml", PUSH + "include:\n  - jobs.yaml\n");
        assertEquals(main + ":19:5: include 'jobs.yaml': included files must end with .yml (as in zrepl)", error(main));
        main = write("conf/zreplj.yml", PUSH + "include:\n  - missing.yml\n");
        assertEquals(
                main + ":19:5: include 'missing.yml': " + dir.resolve("conf/missing.yml")
                        + " does not exist; give a .yml file or a directory of them",
                error(main));
    }

    @Test
    void recvPropertiesStillReadWhenGiven() throws Exception {
        Config c = load("jobs:\n  - {name: s, type: sink, root_fs: b, serve: {type: stdinserver, client_identities: "
                + "[c]}, recv: {properties: {override: {compression: zstd}, inherit: }}}\n");
        assertEquals(Map.of("compression", "zstd"), c.sinkJobs().get(0).recv().overrideProperties());
    }

    @Test
    void sendSavedIsRefusedForAPushCannotSendAPartialReceive() throws Exception {
        Path file = write(
                "zreplj.yml",
                PUSH.replace("    snapshotting:", "    send: {compressed: true, saved: true}\n" + "    snapshotting:"));
        assertEquals(
                file + ":11:30: 'saved: true' sends the saved state of a partially received filesystem (zfs send"
                        + " -S); zreplj's push sends only a source's own snapshots and cannot send it (a box that"
                        + " pushes on what it received waits for the receive to complete); remove it",
                error(file));
    }

    @Test
    void commandHooksWithZreplsDefaults() throws Exception {
        Config c = load(PUSH.replace(
                "      interval: 10m",
                String.join(
                        "\n",
                        "      interval: 10m",
                        "      hooks:",
                        "        - type: command",
                        "          path: /etc/zrepl/hooks/zrepl-notify.sh",
                        "          timeout: 30s",
                        "          err_is_fatal: false",
                        "        - type: command",
                        "          path: /etc/zrepl/hooks/special-snapshot.sh",
                        "          err_is_fatal: true",
                        "          filesystems: {",
                        "            \"tank/special\": true",
                        "          }")));
        List<SnapshotHook> hooks = c.pushJobs().get(0).snapshotting().hooks();
        assertEquals(
                new SnapshotHook(
                        Path.of("/etc/zrepl/hooks/zrepl-notify.sh"),
                        java.time.Duration.ofSeconds(30),
                        false,
                        new FilesystemFilter(Map.of("<", true))),
                hooks.get(0));
        assertEquals(
                new SnapshotHook(
                        Path.of("/etc/zrepl/hooks/special-snapshot.sh"),
                        SnapshotHook.DEFAULT_TIMEOUT,
                        true,
                        new FilesystemFilter(Map.of("tank/special", true))),
                hooks.get(1));
    }

    /** zrepl 0.7's timestamp_formatting: UTC by default; another zone only where the format shows the offset. */
    @Test
    void timestampLocationAsZreplReadsIt() throws Exception {
        assertEquals("UTC", load(PUSH).pushJobs().get(0).snapshotting().timestampLocation());
        Config c = load(PUSH.replace(
                "      interval: 10m",
                "      interval: 10m\n      timestamp_format: iso-8601\n" + "      timestamp_location: Europe/Berlin"));
        Snapshotting s = c.pushJobs().get(0).snapshotting();
        assertEquals("Europe/Berlin", s.timestampLocation());
        assertEquals(
                "zrepl_2024-01-02T04:05:06.000_0100", s.naming().name(java.time.Instant.parse("2024-01-02T03:05:06Z")));
        c = load(PUSH.replace("      interval: 10m", "      interval: 10m\n      timestamp_location: UTC"));
        assertEquals(
                "zrepl_20240102_030506_000",
                c.pushJobs().get(0).snapshotting().naming().name(java.time.Instant.parse("2024-01-02T03:05:06Z")));
    }

    /** zrepl's samples/bandwidth_limit.yml and build_jobs_test.go: 54321 B max, 1024 B bucket; default 128 KiB. */
    @Test
    void sendBandwidthLimitAsZreplReadsIt() throws Exception {
        Config c = load(PUSH.replace(
                "    snapshotting:",
                String.join(
                        "\n",
                        "    send:",
                        "      bandwidth_limit:",
                        "        max: 54321 B",
                        "        bucket_capacity: 1024 B",
                        "    snapshotting:")));
        assertEquals(new BandwidthLimit(54321, 1024), c.pushJobs().get(0).send().bandwidthLimit());
        c = load(PUSH.replace("    snapshotting:", "    send: {bandwidth_limit: {max: 23.5 MiB}}\n    snapshotting:"));
        assertEquals(
                new BandwidthLimit(24641536, 131072), c.pushJobs().get(0).send().bandwidthLimit());
        c = load(PUSH.replace("    snapshotting:", "    send: {bandwidth_limit: {max: -1 B}}\n    snapshotting:"));
        assertEquals(false, c.pushJobs().get(0).send().bandwidthLimit().limited());
        assertEquals(
                BandwidthLimit.unlimited(), load(PUSH).pushJobs().get(0).send().bandwidthLimit());

        Path file = write(
                "zreplj.yml",
                PUSH.replace("    snapshotting:", "    send: {bandwidth_limit: {max: 0 B}}\n    snapshotting:"));
        assertEquals(
                file + ":11:35: 'max' is less than one byte per second; give at least 1 B (or -1 B for no limit)",
                error(file));
        file = write(
                "zreplj.yml",
                PUSH.replace("    snapshotting:", "    send: {bandwidth_limit: {max: 10 MB/s}}\n    snapshotting:"));
        assertEquals(
                file + ":11:35: 'max': '10 MB/s' is not a data size: expected a number and a unit such as B, "
                        + "KiB, MiB, GiB, Kb, Mb (bits) or bit, e.g. '23.5 MiB'",
                error(file));
    }

    @Test
    void recvBandwidthLimitAsZreplReadsIt() throws Exception {
        Config c = load("jobs:\n  - {name: s, type: sink, root_fs: b, serve: {type: stdinserver, client_identities: "
                + "[c]}, recv: {bandwidth_limit: {max: 12345 B, bucket_capacity: 2 KiB}}}\n");
        assertEquals(List.of(), c.warnings());
        assertEquals(new BandwidthLimit(12345, 2048), c.sinkJobs().get(0).recv().bandwidthLimit());
        c = load("jobs:\n  - {name: s, type: sink, root_fs: b, serve: {type: stdinserver, client_identities: [c]}}\n");
        assertEquals(BandwidthLimit.unlimited(), c.sinkJobs().get(0).recv().bandwidthLimit());
        Path file = write(
                "zreplj.yml",
                "jobs:\n  - {name: s, type: sink, root_fs: b, serve: {type: stdinserver, "
                        + "client_identities: [c]}, recv: {bandwidth_limit: {max: fast}}}\n");
        assertEquals(
                file + ":2:121: 'max': 'fast' is not a data size: expected a number and a unit such as B, KiB, "
                        + "MiB, GiB, Kb, Mb (bits) or bit, e.g. '23.5 MiB'",
                error(file));
    }

    /**
     * With ssh_client: openssh the options go to ssh as zrepl hands them over, values unjudged (ssh judges them);
     * only those zreplj sets itself for its promises are warned about, as having no effect.
     */
    @Test
    void underOpenSshEveryOptionPassesButThoseZrepljSetsItself() throws Exception {
        Path file = write(
                "zreplj.yml",
                PUSH.replace(
                        "      port: 22",
                        "      port: 22\n      ssh_client: openssh\n      options: [\"Compression=yes\", \"ProxyJump=gw\","
                                + " \"StrictHostKeyChecking=no\", \"IdentityFile /tmp/other\"]"));
        Config c = new ConfigLoader().load(file);
        String fixed =
                "' in 'options' has no effect in zreplj: it sets it for ssh itself (host keys: connect.known_hosts,"
                        + " connect.host_key_policy; key: connect.identity_file; timeout: connect.dial_timeout); remove it";
        assertEquals(
                List.of(file + ":10:52: 'StrictHostKeyChecking" + fixed, file + ":10:80: 'IdentityFile" + fixed),
                c.warnings());
        PushJob job = (PushJob) c.jobs().get(0);
        assertEquals(Connect.SshClient.OPENSSH, job.connect().sshClient());
        assertEquals(
                List.of("Compression=yes", "ProxyJump=gw", "StrictHostKeyChecking=no", "IdentityFile=/tmp/other"),
                job.connect().options());
    }

    /**
     * docs/config.md: a zrepl setting zreplj reads but does not act on is never swallowed; configcheck warns.
     * An ssh -o option MINA cannot honour is such a setting (zrepl hands it to ssh).
     */
    @Test
    void sshOptionsZrepljDoesNotActOnAreWarnedAtLoad() throws Exception {
        Path file = write(
                "zreplj.yml",
                PUSH.replace(
                        "      port: 22",
                        "      port: 22\n      options: [\"Compression=yes\", \"ServerAliveInterval 15\","
                                + " \"StrictHostKeyChecking=no\", \"ciphers=aes256-gcm@openssh.com\"]"));
        Config c = new ConfigLoader().load(file);
        assertEquals(
                List.of(file + ":9:62: 'StrictHostKeyChecking' in 'options' has no effect in zreplj: it honours only"
                        + " Compression, Ciphers, KexAlgorithms, ServerAliveInterval, ServerAliveCountMax and"
                        + " ConnectTimeout; remove it (host keys: connect.known_hosts, connect.host_key_policy)"),
                c.warnings());
        // A value ssh refuses too is an error at load, not a connection that fails at every pass.
        String maybe = PUSH.replace("      port: 22", "      port: 22\n      options: [Compression=maybe]");
        assertEquals(
                dir.resolve("zreplj.yml") + ":9:17: ssh option 'Compression=maybe': Compression takes yes or no",
                assertThrows(ConfigException.class, () -> load(maybe)).getMessage());
        String negative = PUSH.replace("      port: 22", "      port: 22\n      options: [\"ServerAliveInterval -3\"]");
        assertEquals(
                dir.resolve("zreplj.yml") + ":9:17: ssh option 'ServerAliveInterval -3': ServerAliveInterval takes a"
                        + " time (seconds, or with units as ssh reads them: 30s, 1m, 1h30m)",
                assertThrows(ConfigException.class, () -> load(negative)).getMessage());
        // ssh takes ServerAliveCountMax=0; zreplj needs at least one, so it says that it ignores it.
        assertEquals(
                List.of(dir.resolve("zreplj.yml") + ":9:17: 'ServerAliveCountMax=0' in 'options' has no effect in"
                        + " zreplj: it takes 1 or more; remove it"),
                load(PUSH.replace("      port: 22", "      port: 22\n      options: [ServerAliveCountMax=0]"))
                        .warnings());
        // ssh takes the first value of each option: a second Ciphers (even one ssh would refuse) changes nothing.
        assertEquals(
                List.of(
                        dir.resolve("zreplj.yml") + ":9:37: 'ciphers bogus' in 'options' has no effect in zreplj:"
                                + " 'Ciphers=aes128-ctr' comes first, and ssh takes the first value of each option; remove one"),
                load(PUSH.replace(
                                "      port: 22",
                                "      port: 22\n      options: [Ciphers=aes128-ctr, \"ciphers bogus\"]"))
                        .warnings());
        // ConnectTimeout loses to dial_timeout, whose default is 10s; only dial_timeout: 0s hands it over.
        String timeout = PUSH.replace("      port: 22", "      port: 22\n      options: [ConnectTimeout=5]");
        assertEquals(
                List.of(dir.resolve("zreplj.yml") + ":9:17: 'ConnectTimeout' in 'options' has no effect in zreplj:"
                        + " dial_timeout (default 10s) is the connect timeout; set that instead"),
                load(timeout).warnings());
        assertEquals(
                List.of(),
                load(timeout.replace("      port: 22", "      port: 22\n      dial_timeout: 0s"))
                        .warnings());
        assertEquals(List.of(), load(PUSH).warnings());
    }

    /** Each step is one SSH channel and so one stdinserver JVM on the box: one unless the config asks for more. */
    @Test
    void concurrencyStepsSetTheChannelsUnlessConnectChannelsIs() throws Exception {
        assertEquals(1, load(PUSH).pushJobs().get(0).connect().channels());
        String steps = PUSH.replace("    pruning:", "    replication: {concurrency: {steps: 3}}\n    pruning:");
        Config c = load(steps);
        assertEquals(3, c.pushJobs().get(0).connect().channels());
        assertEquals(List.of(), c.warnings());
        assertEquals(
                2,
                load(steps.replace("      port: 22", "      port: 22\n      channels: 2"))
                        .pushJobs()
                        .get(0)
                        .connect()
                        .channels());
    }
}
