package dev.zreplj.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.pruning.KeepRule;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** zrepl's {@code type: snap} job: what loads as zrepl loads it, and each refusal's exact line. */
class SnapJobConfigTest {
    /** zrepl's own sample (internal/config/samples/snap.yml), with a grid rule as its guides write them. */
    private static final String SNAP = """
            jobs:
              - name: snapjob
                type: snap
                filesystems: {
                  "tank/frequently_changed<": true,
                }
                snapshotting:
                  type: periodic
                  interval: 2m
                  prefix: zrepl_snapjob_
                pruning:
                  keep:
                    - type: last_n
                      count: 60
            """;
    //  1 jobs:          5 "tank/...<"   9 interval       13 - type: last_n
    //  2 - name         6 }            10 prefix         14 count
    //  3 type: snap     7 snapshotting 11 pruning
    //  4 filesystems    8 type         12 keep

    private static final String PUSH = """
              - name: backup
                type: push
                connect: {type: ssh+stdinserver, host: h, user: u, identity_file: /id}
                filesystems: {"tank<": true}
                snapshotting: {type: manual}
                pruning:
                  keep_sender: [{type: not_replicated}]
                  keep_receiver: [{type: last_n, count: 5}]
            """;

    @TempDir
    Path dir;

    private Config load(String yaml) throws Exception {
        Path file = dir.resolve("zreplj.yml");
        Files.writeString(file, yaml);
        return new ConfigLoader().load(file);
    }

    private String error(String yaml) throws Exception {
        Path file = dir.resolve("zreplj.yml");
        Files.writeString(file, yaml);
        ConfigException e = assertThrows(ConfigException.class, () -> new ConfigLoader().load(file));
        assertTrue(e.getMessage().startsWith(file + ":"), e.getMessage());
        return e.getMessage().substring(file.toString().length() + 1);
    }

    private static String snap(String line, String replacement) {
        assertTrue(SNAP.contains(line), line);
        return SNAP.replace(line, replacement);
    }

    @Test
    void zreplsSampleLoads() throws Exception {
        Config config = load(SNAP);
        assertEquals(List.of(), config.warnings());
        SnapJob job = config.snapJobs().get(0);
        assertEquals("snapjob", job.name());
        assertEquals(Snapshotting.Type.PERIODIC, job.snapshotting().type());
        assertEquals(Duration.ofMinutes(2), job.snapshotting().interval());
        assertEquals("zrepl_snapjob_", job.snapshotting().prefix());
        assertEquals(1, job.keep().size());
        assertEquals(60, ((KeepRule.LastN) job.keep().get(0)).count());
        assertEquals(List.of(), config.pushJobs());
        assertEquals(job, config.job("snapjob").orElseThrow());
    }

    @Test
    void cronManualHooksAndAnEmptyKeepListLoad() throws Exception {
        SnapJob cron = load(snap("  type: periodic\n      interval: 2m", "  type: cron\n      cron: \"*/5 * * * *\""))
                .snapJobs()
                .get(0);
        assertEquals("*/5 * * * *", cron.snapshotting().cron());
        String manual = """
                jobs:
                  - name: m
                    type: snap
                    filesystems: {"tank<": true}
                    snapshotting: {type: manual}
                    pruning: {keep: []}
                """;
        SnapJob m = load(manual).snapJobs().get(0);
        assertEquals(Snapshotting.Type.MANUAL, m.snapshotting().type());
        assertEquals(List.of(), m.keep());
        SnapJob hooked = load(snap(
                        "      prefix: zrepl_snapjob_\n",
                        "      prefix: zrepl_snapjob_\n      hooks: [{type: command, path: /bin/true}]\n"))
                .snapJobs()
                .get(0);
        assertEquals(1, hooked.snapshotting().hooks().size());
    }

    @Test
    void notReplicatedIsRefusedAsZreplRefusesIt() throws Exception {
        assertEquals(
                "13:17: keep rule 'not_replicated' is not allowed in a snap job: it replicates nothing, so no"
                        + " snapshot is ever replicated (zrepl refuses it too); remove it, or prune in the push job's"
                        + " keep_sender instead",
                error(snap("- type: last_n\n          count: 60", "- type: not_replicated")));
    }

    @Test
    void pushKeysAreRefusedSayingWhy() throws Exception {
        assertEquals(
                "4:5: 'connect' is a push job's key: a snap job only snapshots and prunes this machine (zrepl"
                        + " refuses it too); remove it, or make the job type: push",
                error(snap("    filesystems: {", "    connect: {type: local}\n    filesystems: {")));
        assertEquals(
                "12:7: 'keep_sender' is a push job's: a snap job prunes only this machine, by the rules under"
                        + " 'pruning.keep' (as in zrepl); rename it to 'keep'",
                error(snap("      keep:", "      keep_sender:")));
        assertEquals(
                "12:7: 'keep_receiver' is a push job's: a snap job prunes only this machine, by the rules under"
                        + " 'pruning.keep' (as in zrepl); rename it to 'keep'",
                error(snap("      keep:", "      keep_receiver:")));
        assertEquals(
                "11:14: missing required key 'keep' in 'pruning'",
                error(snap(
                        "    pruning:\n      keep:\n        - type: last_n\n          count: 60\n",
                        "    pruning: {}\n")));
        assertEquals(
                "2:5: missing required key 'pruning' in job 'snapjob'",
                error(snap("    pruning:\n      keep:\n        - type: last_n\n          count: 60\n", "")));
        assertEquals(
                "11:7: 'max_unreplicated' has no meaning in a snap job: it caps the snapshots a push job has not"
                        + " replicated yet, and a snap job replicates nothing; remove it",
                error(snap(
                        "      prefix: zrepl_snapjob_\n",
                        "      prefix: zrepl_snapjob_\n      max_unreplicated: 5\n")));
    }

    @Test
    void twoSnapJobsOnOneFilesystemAreWarnedAbout() throws Exception {
        Path file = dir.resolve("zreplj.yml");
        String second = SNAP.substring("jobs:\n".length()).replace("name: snapjob", "name: other");
        Config config = load(SNAP + second);
        assertEquals(
                List.of(file + ":17:5: snap jobs 'other' and 'snapjob' (line 2) both select tank/frequently_changed:"
                        + " each prunes the other's snapshots by its own rules (zrepl, too, requires the jobs'"
                        + " filesystems to be disjoint); exclude it from one of them"),
                config.warnings());
    }

    @Test
    void aSnapAndAPushJobMayShareFilesystemsWhenOnlyOnePrunes() throws Exception {
        Path file = dir.resolve("zreplj.yml");
        assertEquals(
                List.of(file + ":12:5: snap job 'snapjob' and push job 'backup' (line 2) both prune"
                        + " tank/frequently_changed on this machine, each destroying by its own rules what the other"
                        + " keeps; as zrepl requires, let one of them keep everything (the push job's keep_sender:"
                        + " [{type: regex, regex: '.*'}])"),
                load("jobs:\n" + PUSH + SNAP.substring("jobs:\n".length())).warnings());
        // zrepl's external-disk guide: the push job keeps every snapshot on the sender, the snap job prunes them.
        Config guide = load(SNAP + PUSH.replace("[{type: not_replicated}]", "[{type: regex, regex: \".*\"}]"));
        assertEquals(List.of(), guide.warnings());
        assertEquals(1, guide.pushJobs().size());
        assertEquals(1, guide.snapJobs().size());
    }

    /**
     * Each job's schedule counts the newest snapshot its prefix matches: a push job's 'zrepl_' matches the snap
     * job's 'zrepl_snapjob_' snapshots, so the push job (hourly) would never take one of its own while the snap job
     * snapshots every 2 minutes.
     */
    @Test
    void aSnapAndAPushJobWhosePrefixesOverlapOnOneFilesystemAreWarnedAbout() throws Exception {
        Path file = dir.resolve("zreplj.yml");
        String push = PUSH.replace("[{type: not_replicated}]", "[{type: regex, regex: \".*\"}]");
        assertEquals(
                List.of(file + ":12:5: snap job 'snapjob' (prefix 'zrepl_snapjob_') and push job 'backup' (prefix"
                        + " 'zrepl_', line 2) both snapshot tank/frequently_changed: the push job 'backup' counts"
                        + " the snap job 'snapjob''s snapshots as its own when it decides whether one is due, and"
                        + " takes none while they are newer than its schedule; give them prefixes neither of which"
                        + " begins the other"),
                load("jobs:\n"
                                + push.replace(
                                        "snapshotting: {type: manual}",
                                        "snapshotting: {type: periodic, prefix: zrepl_, interval: 1h}")
                                + SNAP.substring("jobs:\n".length()))
                        .warnings());
        // Prefixes that do not begin each other: no warning.
        assertEquals(
                List.of(),
                load(SNAP
                                + push.replace(
                                        "snapshotting: {type: manual}",
                                        "snapshotting: {type: periodic, prefix: zrepl_push_, interval: 1h}"))
                        .warnings());
    }
}
