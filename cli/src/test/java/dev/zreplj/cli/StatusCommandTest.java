package dev.zreplj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.agent.JobStatusStore;
import dev.zreplj.agent.PushPass;
import dev.zreplj.config.StatusThresholds;
import dev.zreplj.files.testing.FullDisk;
import dev.zreplj.replication.Bytes;
import dev.zreplj.replication.FilesystemResult;
import dev.zreplj.replication.FilesystemResult.Outcome;
import dev.zreplj.status.BoxCopies;
import dev.zreplj.status.Level;
import dev.zreplj.status.SenderSelection;
import dev.zreplj.status.StatusCheck;
import dev.zreplj.status.StatusReport;
import dev.zreplj.status.StatusText;
import dev.zreplj.stdinserver.ClientStatusFile.ClientStatus;
import dev.zreplj.stdinserver.ClientStatusFile.Received;
import dev.zreplj.stdinserver.Revocation;
import dev.zreplj.zfs.DatasetName;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StatusCommandTest {
    @TempDir
    Path dir;

    /**
     * A jobs/ of another user's (stop 59's refusal) named the file, then the directory: "ZREPLJ UNKNOWN: job lap:
     * .../jobs/lap.json: .../jobs: it is nobody's, ...". The directory is named once; a message of the system's own
     * gets the file.
     */
    @Test
    void anUnreadableStatusNamesTheFileOrItsDirectoryOnce() throws Exception {
        JobStatusStore store = new JobStatusStore(dir);
        store.record(
                new PushPass.Result(
                        "lap",
                        Optional.empty(),
                        List.of(new FilesystemResult(DatasetName.of("p/a"), Outcome.UP_TO_DATE, 0, 0, "@s")),
                        null),
                Instant.ofEpochSecond(1_800_000_000L));
        Path jobs = store.file("lap").getParent();
        Files.setOwner(
                jobs, jobs.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody"));
        java.io.IOException refused =
                org.junit.jupiter.api.Assertions.assertThrows(java.io.IOException.class, () -> store.read("lap"));
        assertEquals(refused.getMessage(), StatusCommand.unreadable(store.file("lap"), refused));
        assertTrue(refused.getMessage().startsWith(jobs + ": it is nobody's"), refused::getMessage);
        assertEquals(
                store.file("lap") + ": Is a directory",
                StatusCommand.unreadable(store.file("lap"), new java.io.IOException("Is a directory")));
    }

    @Test
    void printsEachFilesystemWithWhatItSentAndItsLag() {
        JobStatusStore.JobStatus laptop = new JobStatusStore.JobStatus(
                "laptop",
                1000,
                null,
                List.of(
                        new JobStatusStore.FilesystemStatus(
                                "rpool/home", "UP_TO_DATE", "rpool/home: up to date (@s)", 1000, 1000),
                        new JobStatusStore.FilesystemStatus(
                                "rpool/photos", "REPLICATED", "", 1000, 1000, 3L << 20, 3_000_000L),
                        new JobStatusStore.FilesystemStatus("rpool/src", "REPLICATED", "", 1000, 1000, 2048L, -1L),
                        new JobStatusStore.FilesystemStatus(
                                "rpool/vm", "FAILED", "rpool/vm: failed after 0 steps: disk full", 1000, 0)),
                List.of());
        StatusCheck check = new StatusCheck(StatusThresholds.DEFAULTS, Instant.ofEpochSecond(1000 + 3 * 3600 + 120));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        StatusText.print(
                check.report(
                        List.of(check.job(
                                "laptop",
                                Optional.of(laptop),
                                new SenderSelection(
                                        laptop.filesystems().stream()
                                                .map(JobStatusStore.FilesystemStatus::filesystem)
                                                .toList(),
                                        null),
                                false)),
                        List.of()),
                new PrintStream(out, true, StandardCharsets.UTF_8));
        assertEquals("""
                ZREPLJ CRITICAL: job laptop rpool/vm: last attempt failed after 0 steps: disk full, never replicated | 'laptop:rpool/home'=10920s;90000;176400;0 'laptop:rpool/photos'=10920s;90000;176400;0 'laptop:rpool/src'=10920s;90000;176400;0 'laptop:rpool/vm'=U;90000;176400;0
                push job laptop: CRITICAL, last run 1970-01-01T00:16:40Z (3h2m ago)
                  rpool/home: OK, up to date, last success 3h2m ago
                  rpool/photos: OK, replicated 3.0 MiB of 2.9 MiB estimated, last success 3h2m ago
                  rpool/src: OK, replicated 2.0 KiB, last success 3h2m ago
                  rpool/vm: CRITICAL, failed, never replicated -- last attempt failed after 0 steps: disk full
                """, out.toString(StandardCharsets.UTF_8));
    }

    /** A pass that replicated both filesystems the fake sender has (rpool and rpool/home), now. */
    /**
     * The shared push and sink config without rpool/tmp/keep, which these tests' zfs does not have: a dataset the
     * filter names and the sender lacks is CRITICAL (below).
     */
    private static final String PUSH_AND_SINK =
            TestConfigs.PUSH_AND_SINK.replace("\"rpool/tmp/keep\": true", "\"rpool/tmp/keep\": false");

    private static void recordBothReplicated(JobStatusStore store) throws Exception {
        store.record(
                new PushPass.Result(
                        "laptop",
                        Optional.of("zrepl_1"),
                        List.of(
                                new FilesystemResult(DatasetName.of("rpool"), Outcome.REPLICATED, 1, 10, ""),
                                new FilesystemResult(DatasetName.of("rpool/home"), Outcome.REPLICATED, 1, 10, "")),
                        null),
                Instant.now());
    }

    /** {@code base}'s push job alone (no sink), with {@code state} and {@code zfs}. */
    private static void writePushConfig(Path config, String base, Path state, Path zfs) throws Exception {
        Files.writeString(
                config,
                base.substring(0, base.indexOf("  - name: box"))
                        .replace(
                                "jobs:",
                                "global:\n  zreplj:\n    state_dir: " + state + "\n    zfs_binary: " + zfs
                                        + "\njobs:"));
    }

    /** A zfs that answers its usage as zfs-fuse does (holds listed), then runs {@code body} on its arguments. */
    private Path fakeZfs(String body) throws Exception {
        Path zfs = dir.resolve("zfs");
        Files.writeString(
                zfs,
                "#!/bin/sh\n"
                        + "[ -z \"$1\" ] && { printf 'usage: zfs command args ...\\n\\tholds [-r] <snapshot> ...\\n' >&2;"
                        + " exit 2; }\n"
                        + body);
        Files.setPosixFilePermissions(zfs, java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
        return zfs;
    }

    /**
     * A state directory the kernel remounted read-only stops every pass at its job lock, and status read the last
     * pass before, all ok, for as long as the disk stayed so.
     */
    @Test
    void aStateDirectoryOnAReadOnlyDiskIsAWarning() throws Exception {
        Path config = dir.resolve("zreplj.yml");
        Path zfs = fakeZfs("[ \"$1\" = list ] && { printf 'rpool\\nrpool/home\\n'; exit 0; }\n" + "exit 1\n");
        try (FullDisk disk = FullDisk.mount(dir.resolve("diskfull-state"))) {
            Path state = disk.dir();
            writePushConfig(config, PUSH_AND_SINK, state, zfs);
            recordBothReplicated(new JobStatusStore(state));
            CliRun ok = CliRun.of("--config", config.toString(), "status");
            assertEquals(0, ok.exitCode(), ok::toString);

            disk.readOnly();
            CliRun run = CliRun.of("--config", config.toString(), "status");
            assertEquals(1, run.exitCode(), run::toString);
            assertTrue(
                    run.out()
                            .startsWith("ZREPLJ WARNING: job laptop: last pass failed: " + state.resolve("jobs")
                                    + " is on a read-only file system: no pass can take its job lock or record its"
                                    + " status there (dmesg says why); repair it and remount it read-write. Until then"
                                    + " this status is the one of the last pass before |"),
                    run::toString);
        }
    }

    /** The box's state directory read-only: every receive is refused, and its client status read all ok. */
    @Test
    void aBoxStateDirectoryOnAReadOnlyDiskIsAWarning() throws Exception {
        Path config = dir.resolve("zreplj.yml");
        // Over 1 MiB, which status calls full.
        try (FullDisk disk = FullDisk.mount(dir.resolve("diskfull-box"), 2048)) {
            Path state = disk.dir();
            writeBoxConfig(config, state);
            receivedAt(state, Instant.now());
            CliRun ok = CliRun.of("--config", config.toString(), "status");
            assertEquals(0, ok.exitCode(), ok::toString);

            disk.readOnly();
            CliRun run = CliRun.of("--config", config.toString(), "status");
            assertEquals(1, run.exitCode(), run::toString);
            assertTrue(
                    run.out()
                            .startsWith("ZREPLJ WARNING: client laptop: " + state + " is on a read-only file system:"
                                    + " the box refuses every receive, which it cannot time there for keep_floor"
                                    + " (dmesg says why); repair it and remount it read-write |"),
                    run::toString);
        }
    }

    /**
     * The box's state directory full (still writable): it refuses every receive ("cannot record the receive time
     * ... No space left on device"), which it cannot record either. Status said OK until the ages ran out.
     */
    @Test
    void aBoxStateDirectoryOnAFullDiskIsAWarning() throws Exception {
        Path config = dir.resolve("zreplj.yml");
        try (FullDisk disk = FullDisk.mount(dir.resolve("diskfull-box"), 2048)) {
            Path state = disk.dir();
            writeBoxConfig(config, state);
            receivedAt(state, Instant.now());
            CliRun ok = CliRun.of("--config", config.toString(), "status");
            assertEquals(0, ok.exitCode(), ok::toString);

            disk.fill();
            long free = Files.getFileStore(state).getUsableSpace();
            CliRun run = CliRun.of("--config", config.toString(), "status");
            assertEquals(1, run.exitCode(), run::toString);
            assertEquals(
                    "ZREPLJ WARNING: client laptop: " + state + " is full (" + Bytes.human(free) + " free, under 1.0"
                            + " MiB): the box refuses every receive, which it cannot time there for keep_floor; free"
                            + " space there (df -h " + state + ")",
                    run.out().lines().findFirst().orElseThrow().replaceFirst(" \\|.*", ""),
                    run::toString);

            disk.free();
            CliRun freed = CliRun.of("--config", config.toString(), "status");
            assertEquals(0, freed.exitCode(), freed::toString);
        }
    }

    /**
     * A client {@code box revoke} cut off three days ago: CRITICAL by its ages, as before, and the line now says
     * why, so that nobody debugs a stolen laptop. The owner's new key's receive ends the note.
     */
    @Test
    void aRevokedClientsStatusSaysItWasRevoked() throws Exception {
        Path config = dir.resolve("zreplj.yml");
        Path state = dir.resolve("state");
        writeBoxConfig(config, state);
        Instant lastReceive = Instant.now().minus(Duration.ofDays(3)).truncatedTo(ChronoUnit.SECONDS);
        receivedAt(state, lastReceive);
        Instant at = lastReceive.plusSeconds(600);
        Revocation.write(state, "laptop", new Revocation("a-boot-id", 12_345, at));

        CliRun run = CliRun.of("--config", config.toString(), "status");
        assertEquals(2, run.exitCode(), run::toString);
        List<String> lines = run.out().lines().toList();
        assertEquals(
                "ZREPLJ CRITICAL: client laptop: revoked on the box at " + at + " (zreplj box revoke); its backups"
                        + " stay; it pushes again only with a newly authorized key (and 1 more)",
                lines.get(0).replaceFirst(" \\|.*", ""),
                run::toString);
        // 3d, or a second or two more by the time status runs.
        assertTrue(lines.get(2).matches(".* -- last received 3d(\\d+s)? ago \\(critical from 2d1h\\)"), run::toString);
        CliRun json = CliRun.of("--config", config.toString(), "status", "--json");
        assertEquals(
                at.toString(),
                StatusCommand.JSON
                        .readTree(json.out())
                        .get("sink")
                        .get(0)
                        .get("revoked")
                        .asText(),
                json::toString);

        receivedAt(state, Instant.now());
        CliRun again = CliRun.of("--config", config.toString(), "status");
        assertEquals(0, again.exitCode(), again::toString);
        assertTrue(!again.out().contains("revoked"), again::toString);
    }

    /** A revocation record the box cannot read: the stdinserver refuses the client's every request meanwhile. */
    @Test
    void aDamagedRevocationRecordIsOneLineAndAWarning() throws Exception {
        Path config = dir.resolve("zreplj.yml");
        Path state = dir.resolve("state");
        writeBoxConfig(config, state);
        receivedAt(state, Instant.now());
        Path record = Revocation.path(state, "laptop");
        Files.createDirectories(record.getParent());
        Files.writeString(record, "boot_id x\nuptime_centis twelve\n");

        CliRun run = CliRun.of("--config", config.toString(), "status");
        assertEquals(1, run.exitCode(), run::toString);
        assertEquals(
                "ZREPLJ WARNING: client laptop: " + record + ": not a revocation record zreplj wrote; run 'zreplj box"
                        + " revoke laptop' again to write it anew; until then the box refuses every request of this"
                        + " client, not knowing whether it was revoked",
                run.out().lines().findFirst().orElseThrow().replaceFirst(" \\|.*", ""),
                run::toString);
        assertEquals("", run.err(), run::toString);
    }

    /**
     * A monitoring account that may not read the record: UNKNOWN, as for a client status file it may not read, not
     * the damaged record's warning (the box user, which the stdinserver runs as, may well read it).
     */
    @Test
    void aRevocationRecordThisAccountMayNotReadIsUnknown() {
        StatusCheck check = new StatusCheck(StatusThresholds.DEFAULTS, Instant.now());
        Path record = Revocation.path(dir, "laptop");
        StatusReport.Client c = StatusCommand.unreadableRevocation(
                check.client("box", "laptop", null, new BoxCopies(java.util.Map.of(), null)),
                record,
                new AccessDeniedException(record.toString()));
        assertEquals(Level.CRITICAL, c.status(), "nothing received is worse");
        assertEquals(
                List.of(
                        "nothing received yet: no backup exists",
                        record + ": permission denied; run 'zreplj status' as the user the forced command runs as"),
                c.problems());
        ClientStatus fresh = new ClientStatus(
                "laptop",
                java.util.Map.of(
                        "rpool/home", new Received("zrepl_1", "1", Instant.now().toString())));
        StatusReport.Client ok = StatusCommand.unreadableRevocation(
                check.client(
                        "box",
                        "laptop",
                        fresh,
                        new BoxCopies(java.util.Map.of("rpool/home", java.util.Set.of("1")), null)),
                record,
                new AccessDeniedException(record.toString()));
        assertEquals(Level.UNKNOWN, ok.status(), "not the warning of a damaged record");
    }

    /** A box config with the one sink job "box" of client laptop, whose zfs holds laptop's rpool/home@zrepl_1. */
    private void writeBoxConfig(Path config, Path state) throws Exception {
        writeBoxConfig(
                config,
                state,
                fakeZfs("[ \"$1\" = get ] || exit 1\n"
                        + "for d in backup/clients/laptop backup/clients/laptop/rpool/home;"
                        + " do printf '%s\\tguid\\t9\\n%s\\tcreatetxg\\t1\\n%s\\tcreation\\t1\\n' $d $d $d; done\n"
                        + "s=backup/clients/laptop/rpool/home@zrepl_1\n"
                        + "printf '%s\\tguid\\t1\\n%s\\tcreatetxg\\t2\\n%s\\tcreation\\t2\\n' $s $s $s\n"));
    }

    private static void writeBoxConfig(Path config, Path state, Path zfs) throws Exception {
        Files.writeString(
                config,
                PUSH_AND_SINK
                        .replace(
                                "jobs:",
                                "global:\n  zreplj:\n    state_dir: " + state + "\n    zfs_binary: " + zfs + "\njobs:")
                        .replaceFirst("(?s)  - name: laptop.*?(  - name: box)", "$1"));
    }

    /** The box's status file of laptop: rpool/home@zrepl_1 received at {@code when}. */
    private static void receivedAt(Path state, Instant when) throws Exception {
        Files.createDirectories(state.resolve("clients"));
        Files.writeString(
                state.resolve("clients/laptop.json"),
                "{\"client\":\"laptop\",\"filesystems\":{\"rpool/home\":"
                        + "{\"snapshot\":\"zrepl_1\",\"guid\":\"1\",\"received\":\"" + when + "\"}}}");
    }

    /**
     * The sink's root_fs renamed or destroyed (its pool still there): the box refuses every pass of the client until
     * it exists again, so the line says how to get it back, not that the client's next pass sends what is missing.
     */
    @Test
    void aSinksMissingRootFsIsCriticalAndSaysHowToGetItBack() throws Exception {
        Path config = dir.resolve("zreplj.yml");
        Path state = dir.resolve("state");
        writeBoxConfig(
                config,
                state,
                fakeZfs("eval \"last=\\${$#}\"\n"
                        + "[ \"$1\" = list ] && [ \"$last\" = backup ] && { echo backup; exit 0; }\n"
                        + "echo \"cannot open '$last': dataset does not exist\" >&2; exit 1\n"));
        receivedAt(state, Instant.now());

        CliRun run = CliRun.of("--config", config.toString(), "status");
        assertEquals(2, run.exitCode(), run::toString);
        assertTrue(
                run.out()
                        .contains(", is no longer on the box: the sink's root_fs backup/clients does not exist (renamed"
                                + " or destroyed?): rename it back, or create it as root with 'zreplj box setup"
                                + " backup/clients', after which the client's next pass sends everything again |"),
                run::toString);
    }

    /**
     * The filter names rpool/tmp/keep, which this machine does not have, and no pass has recorded it (an agent run
     * started before the filter named it): the job read OK, the config promising a backup that does not exist.
     */
    @Test
    void aDatasetTheFilterNamesThatTheSenderLacksIsCritical() throws Exception {
        Path config = dir.resolve("zreplj.yml");
        Path state = dir.resolve("state");
        Path zfs = fakeZfs("[ \"$1\" = list ] && { printf 'rpool\\nrpool/home\\n'; exit 0; }\n" + "exit 1\n");
        writePushConfig(config, TestConfigs.PUSH_AND_SINK, state, zfs);
        recordBothReplicated(new JobStatusStore(state));

        CliRun run = CliRun.of("--config", config.toString(), "status");
        assertEquals(2, run.exitCode(), run::toString);
        assertTrue(
                run.out()
                        .startsWith("ZREPLJ CRITICAL: job laptop: rpool/tmp/keep: never replicated: the filter names"
                                + " it, but it does not exist on the sender (a pool not imported, a dataset renamed or"
                                + " destroyed); import the pool, or take it out of the filter |"),
                run::toString);
    }

    /** The sender's listing shows rpool/-old, which the filter selects and no pass can replicate. */
    @Test
    void aSelectedNameZreplJRefusesIsCritical() throws Exception {
        Path config = dir.resolve("zreplj.yml");
        Path state = dir.resolve("state");
        Path zfs =
                fakeZfs("[ \"$1\" = list ] && { printf 'rpool\\nrpool/-old\\nrpool/home\\n'; exit 0; }\n" + "exit 1\n");
        writePushConfig(config, PUSH_AND_SINK, state, zfs);
        recordBothReplicated(new JobStatusStore(state));

        CliRun run = CliRun.of("--config", config.toString(), "status");
        assertEquals(2, run.exitCode(), run::toString);
        assertTrue(
                run.out()
                        .startsWith("ZREPLJ CRITICAL: job laptop: rpool/-old: never replicated: the filter selects it,"
                                + " but zreplj cannot replicate it: dataset name component '-old' must not start with"
                                + " '-'; rename it (zfs rename) or exclude it in the filter |"),
                run::toString);
    }

    /**
     * The exit codes are the monitoring-plugin ones of DESIGN.md's contract (0 OK, 1 WARNING, 2 CRITICAL,
     * 3 UNKNOWN); before they were 0 and 1 only, and a job never run said 0.
     */
    @Test
    void exitCodesFollowTheMonitoringPluginContract() throws Exception {
        Path config = dir.resolve("zreplj.yml");
        Path state = dir.resolve("state");
        // zfs as zfs-fuse answers (usage; 'list' of names, 'get -Hp' of versions): the sender has rpool and
        // rpool/home, the box's jail rpool/home@zrepl_1, guid 1.
        Path holds = dir.resolve("holds");
        Files.writeString(holds, "1");
        Path zfs = fakeZfs("eval \"root=\\${$#}\"\n"
                + "[ \"$1 $root\" = 'list rpool' ] && { printf 'rpool\\nrpool/home\\n'; exit 0; }\n"
                + "[ \"$1\" = get ] || exit 1\n"
                + "for d in backup/clients/laptop backup/clients/laptop/rpool backup/clients/laptop/rpool/home;"
                + " do printf '%s\\tguid\\t9\\n%s\\tcreatetxg\\t1\\n%s\\tcreation\\t1\\n' $d $d $d; done\n"
                + "s=backup/clients/laptop/rpool/home@zrepl_1\n"
                + "printf '%s\\tguid\\t%s\\n%s\\tcreatetxg\\t2\\n%s\\tcreation\\t2\\n' $s $(cat " + holds
                + ") $s $s\n");
        Files.writeString(
                config,
                PUSH_AND_SINK.replace(
                        "jobs:",
                        "global:\n  zreplj:\n    state_dir: " + state + "\n    zfs_binary: " + zfs + "\njobs:"));
        JobStatusStore store = new JobStatusStore(state);

        CliRun never = CliRun.of("--config", config.toString(), "status");
        assertEquals(2, never.exitCode(), never::toString);
        assertEquals(
                "ZREPLJ CRITICAL: job laptop: never run: no backup exists (and 1 more) | 'laptop'=U;90000;176400;0"
                        + " 'box/laptop'=U;90000;176400;0\n"
                        + "push job laptop: CRITICAL -- never run: no backup exists\n"
                        + "sink job box, client laptop: CRITICAL -- nothing received yet: no backup exists\n",
                never.out());

        Files.createDirectories(state.resolve("clients"));
        Files.writeString(
                state.resolve("clients/laptop.json"),
                "{\"client\":\"laptop\",\"filesystems\":{\"rpool/home\":"
                        + "{\"snapshot\":\"zrepl_1\",\"guid\":\"1\",\"received\":\"" + Instant.now() + "\"}}}");
        recordBothReplicated(store);
        CliRun ok = CliRun.of("--config", config.toString(), "status");
        assertEquals(0, ok.exitCode(), ok::toString);
        assertTrue(
                ok.out().startsWith("ZREPLJ OK: 1 job, 1 client, 3 filesystems backed up within 1d1h | "),
                ok::toString);
        // The box's copy destroyed (or rolled back and received anew) since: the file alone no longer says OK.
        Files.writeString(holds, "2");
        CliRun gone = CliRun.of("--config", config.toString(), "status");
        assertEquals(2, gone.exitCode(), gone::toString);
        assertTrue(
                gone.out().startsWith("ZREPLJ CRITICAL: client laptop rpool/home: @zrepl_1 (guid 1), received "),
                gone::toString);
        Files.writeString(holds, "1");

        store.record(
                new PushPass.Result("laptop", Optional.empty(), List.of(), "ssh: connection refused"), Instant.now());
        CliRun failing = CliRun.of("--config", config.toString(), "status");
        assertEquals(1, failing.exitCode(), failing::toString);
        assertTrue(
                failing.out().startsWith("ZREPLJ WARNING: job laptop: last pass failed: ssh: connection refused"),
                failing::toString);

        Thread.sleep(1100);
        CliRun crit = CliRun.of("--config", config.toString(), "status", "--warn", "1s", "--crit", "1s");
        assertEquals(2, crit.exitCode(), crit::toString);

        // What keeps the check from judging is UNKNOWN with a line on stdout (what the monitoring system
        // shows), never 2, which it would show as CRITICAL.
        CliRun bad = CliRun.of("--config", config.toString(), "status", "--warn", "2d", "--crit", "1d");
        String why = "status: the warning age must be positive and not above the critical"
                + " age (warn 2d, crit 1d); give both --warn and --crit, warn below crit";
        assertEquals(new CliRun(3, "ZREPLJ UNKNOWN: " + why + "\n", "zreplj: " + why + "\n"), bad);
        CliRun option = CliRun.of("--config", config.toString(), "status", "--bogus");
        assertEquals(3, option.exitCode(), option::toString);
        assertTrue(option.out().startsWith("ZREPLJ UNKNOWN: Unknown option: '--bogus'"), option::toString);
        CliRun noConfig = CliRun.of("--config", config + ".missing", "status");
        assertEquals(3, noConfig.exitCode(), noConfig::toString);
        assertTrue(noConfig.out().startsWith("ZREPLJ UNKNOWN: " + config + ".missing"), noConfig::toString);

        Files.writeString(store.file("laptop"), "{ not json");
        CliRun unknown = CliRun.of("--config", config.toString(), "status");
        assertEquals(3, unknown.exitCode(), unknown::toString);
        assertTrue(
                unknown.out()
                        .startsWith("ZREPLJ UNKNOWN: job laptop: " + store.file("laptop") + ": unreadable status file"),
                unknown::toString);

        // JSON that parses but lacks what every pass or receive writes: UNKNOWN too, never a crash (exit 1,
        // which a monitoring system reads as WARNING and which would hide a CRITICAL of another job).
        for (String job : List.of(
                "null",
                "{\"job\":\"laptop\",\"lastRun\":1,\"filesystems\":[{\"filesystem\":\"rpool/home\",\"lastSuccess\":1}]}",
                "{\"job\":\"laptop\",\"lastRun\":1,\"filesystems\":[null]}")) {
            Files.writeString(store.file("laptop"), job);
            CliRun r = CliRun.of("--config", config.toString(), "status");
            assertEquals(3, r.exitCode(), r::toString);
            assertTrue(
                    r.out()
                            .startsWith("ZREPLJ UNKNOWN: job laptop: " + store.file("laptop")
                                    + ": unreadable status file ("),
                    r::toString);
        }
        Files.delete(store.file("laptop"));
        Files.createDirectory(store.file("laptop"));
        CliRun directory = CliRun.of("--config", config.toString(), "status");
        assertEquals(3, directory.exitCode(), directory::toString);
        assertTrue(
                directory.out().startsWith("ZREPLJ UNKNOWN: job laptop: " + store.file("laptop") + ": "),
                directory::toString);
        Files.delete(store.file("laptop"));
        recordBothReplicated(store);
        for (String client : List.of(
                "null",
                "{\"client\":\"laptop\",\"filesystems\":{\"rpool/home\":null}}",
                "{\"client\":\"laptop\",\"filesystems\":{\"rpool/home\":{\"snapshot\":\"s\",\"guid\":\"1\",\"received\":null}}}")) {
            Files.writeString(state.resolve("clients/laptop.json"), client);
            CliRun r = CliRun.of("--config", config.toString(), "status");
            assertEquals(3, r.exitCode(), r::toString);
            assertTrue(r.out().startsWith("ZREPLJ UNKNOWN: client laptop: "), r::toString);
            assertTrue(r.out().contains(": unreadable status file ("), r::toString);
        }
    }

    @Test
    void staleWarnAndCritByTheConfiguredAges() throws Exception {
        Path config = dir.resolve("zreplj.yml");
        Path state = dir.resolve("state");
        Path zfs = fakeZfs("[ \"$1\" = list ] && { printf 'rpool/home\\n'; exit 0; }\n" + "exit 1\n");
        Files.writeString(
                config,
                PUSH_AND_SINK
                        .replace(
                                "jobs:",
                                "global:\n  zreplj:\n    state_dir: " + state + "\n    zfs_binary: " + zfs
                                        + "\n    status:\n      warn: 1h\n      crit: 3h\njobs:")
                        .replaceFirst("(?s)  - name: box.*", ""));
        new JobStatusStore(state)
                .record(
                        new PushPass.Result(
                                "laptop",
                                Optional.of("zrepl_1"),
                                List.of(new FilesystemResult(
                                        DatasetName.of("rpool/home"), Outcome.UP_TO_DATE, 0, 0, "@zrepl_1")),
                                null),
                        Instant.now().minus(Duration.ofHours(2)));
        CliRun warn = CliRun.of("--config", config.toString(), "status");
        assertEquals(1, warn.exitCode(), warn::toString);
        assertTrue(warn.out().startsWith("ZREPLJ WARNING: job laptop rpool/home: last success 2h"), warn::toString);
        CliRun crit = CliRun.of("--config", config.toString(), "status", "--crit", "90m");
        assertEquals(2, crit.exitCode(), crit::toString);
        CliRun ok = CliRun.of("--config", config.toString(), "status", "--warn", "1d", "--crit", "2d");
        assertEquals(0, ok.exitCode(), ok::toString);
    }
}
