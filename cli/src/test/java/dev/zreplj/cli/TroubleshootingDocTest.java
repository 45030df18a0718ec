package dev.zreplj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.agent.JobStatusStore;
import dev.zreplj.agent.PushPass;
import dev.zreplj.config.ConfigLoader;
import dev.zreplj.config.ConflictResolution.InitialReplication;
import dev.zreplj.config.RecvOptions;
import dev.zreplj.config.ServeLimits;
import dev.zreplj.config.SinkJob;
import dev.zreplj.config.StatusThresholds;
import dev.zreplj.protocol.FrameType;
import dev.zreplj.protocol.FrameWriter;
import dev.zreplj.protocol.Hello;
import dev.zreplj.protocol.RemoteFilesystem;
import dev.zreplj.protocol.RemoteVersion;
import dev.zreplj.protocol.Wire;
import dev.zreplj.replication.Failure;
import dev.zreplj.replication.FilesystemPlan;
import dev.zreplj.replication.Planner;
import dev.zreplj.replication.ReplicationPolicy;
import dev.zreplj.status.StatusCheck;
import dev.zreplj.status.StatusReport;
import dev.zreplj.stdinserver.Revocation;
import dev.zreplj.stdinserver.StdinServer;
import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.VersionType;
import dev.zreplj.zfs.Zfs;
import dev.zreplj.zfs.ZfsException;
import dev.zreplj.zfs.ZfsVersion;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * docs/troubleshooting.md lists messages as printed: each check here makes the message from the code with
 * real values, puts the doc's placeholders in for them, and looks for it in the doc.
 */
class TroubleshootingDocTest {
    private static final Path DOC = Path.of("..", "docs", "troubleshooting.md");

    @TempDir
    Path dir;

    private static String doc() throws Exception {
        return Files.readString(DOC);
    }

    private static void listed(String message) throws Exception {
        assertTrue(doc().contains("`" + message + "`"), "docs/troubleshooting.md does not list: " + message);
    }

    /** What a client whose connection predates {@code box revoke} reads in its ERROR (here: no sshd above it). */
    @Test
    void aRevokedClientsRefusal() throws Exception {
        Path state = dir.resolve("state");
        Path file = Files.writeString(
                dir.resolve("zreplj.yml"),
                TestConfigs.PUSH_AND_SINK.replace("jobs:", "global:\n  zreplj:\n    state_dir: " + state + "\njobs:"));
        Revocation revocation = Revocation.now();
        Revocation.write(state, "laptop", revocation);
        ByteArrayOutputStream hello = new ByteArrayOutputStream();
        FrameWriter w = new FrameWriter(hello, Wire.MAX_CONTROL_FROM_CLIENT);
        w.writeMagic();
        w.control(FrameType.HELLO, new Hello(Wire.PROTOCOL_VERSION, "test", List.of()));
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int exit = new StdinServer(
                        new ConfigLoader().load(file),
                        "laptop",
                        new Zfs(Path.of("/nonexistent/zfs")),
                        new ByteArrayInputStream(hello.toByteArray()),
                        new ByteArrayOutputStream(),
                        new PrintStream(err, true, StandardCharsets.UTF_8))
                .run();
        assertEquals(1, exit);
        String line = err.toString(StandardCharsets.UTF_8).strip();
        String prefix = "zreplj stdinserver: ";
        String suffix = " (refused the channel)";
        assertTrue(line.startsWith(prefix) && line.endsWith(suffix), line);
        String message = line.substring(prefix.length(), line.length() - suffix.length())
                .replace("'laptop'", "'C'")
                .replace(revocation.at().toString(), "TIME");
        listed(message);
        // Under sshd the box finds the connection's start, and the line reads (RevokeIT):
        listed(message.replace(
                "the box cannot tell when this SSH connection was opened (no sshd process found)",
                "this SSH connection was opened before that"));
    }

    /** A sink whose pool is away (a local sink's USB disk unplugged): the pass's line and the box's status. */
    @Test
    void aSinkPoolNotImported() throws Exception {
        listed(StdinServer.poolNotImported(DatasetName.of("usb/zreplj"))
                .replace("usb/zreplj", "R")
                .replace("usb", "P"));
        listed("cannot check that the box still holds @SNAP: " + StatusCommand.poolNotImported("P"));
    }

    /** The local transport's own command line under sshd, and authorized-keys for a local sink's client. */
    @Test
    void aLocalSinksClientOverSsh() throws Exception {
        Path file = Files.writeString(
                dir.resolve("zreplj.yml"),
                "jobs:\n  - {name: S, type: sink, root_fs: usb/zreplj, serve: {type: local, listener_name: L}}\n"
                        + "  - name: p\n    type: push\n"
                        + "    connect: {type: local, listener_name: L, client_identity: C}\n"
                        + "    filesystems: {\"rpool<\": true}\n    snapshotting: {type: manual}\n"
                        + "    pruning: {keep_sender: [{type: not_replicated}],"
                        + " keep_receiver: [{type: last_n, count: 1}]}\n");
        Path key = Files.writeString(
                dir.resolve("id.pub"),
                "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPWcwdzW8tpZKITNvFb7aCizOzZclR4n6AtqsD7oYowH root@laptop\n");
        CliRun keys = CliRun.of("--config", file.toString(), "authorized-keys", "C", "--key", key.toString());
        assertEquals(2, keys.exitCode(), keys.err());
        listed(keys.err().strip());
        CliRun revoke =
                CliRun.of("--config", file.toString(), "box", "revoke", "C", "--authorized-keys", key.toString());
        assertEquals(2, revoke.exitCode(), revoke.err());
        listed(revoke.err().strip());
        listed("zreplj: stdinserver --local-listener is the agent's local transport and serves no SSH session"
                + " (SSH_CONNECTION is set); remove it from the forced command in authorized_keys");
    }

    @Test
    void yamlSyntaxMessages() throws Exception {
        Path file = dir.resolve("zreplj.yml");
        String[][] cases = {
            {"jobs:\n  - name: p\n   type: push\n", "3:4"},
            {"jobs:\n  - name: p\n      type: push\n", "3:11"},
            {"jobs:\n  - name: p\n    type push\n    x: y\n", "3:5"},
            {"jobs:\n  - name: p\n\ttype: push\n", "3:1"},
        };
        for (String[] c : cases) {
            Files.writeString(file, c[0]);
            CliRun r = CliRun.of("--config", file.toString(), "configcheck");
            assertEquals(2, r.exitCode(), r.err());
            listed(r.err().strip().replace(file + ":" + c[1] + ":", "FILE:LINE:COL:"));
        }
    }

    /** A pass that could not record its status (a full state disk): the failed stage status shows meanwhile. */
    @Test
    void aPassThatCouldNotRecordItsStatus() throws Exception {
        JobStatusStore store = new JobStatusStore(dir);
        store.record(
                new PushPass.Result("laptop", java.util.Optional.empty(), List.of(), null), Instant.ofEpochSecond(100));
        store.markUnrecorded("laptop", Instant.parse("2026-12-07T00:00:00Z"));
        String stage = store.read("laptop").orElseThrow().stageFailures().get(0);
        listed("last pass failed: "
                + stage.replace("2026-12-07T00:00:00Z", "TIME")
                        .replace(store.file("laptop").toString(), "FILE"));
    }

    /** What the box's status says of a revoked client, and of a revocation record it cannot read. */
    @Test
    void theBoxsStatusOnRevocations() throws Exception {
        listed(StatusCheck.revokedNote("TIME"));
        Path record = Revocation.path(dir, "laptop");
        Files.createDirectories(record.getParent());
        Files.writeString(record, "not a record\n");
        IOException damaged = assertThrows(IOException.class, () -> Revocation.read(dir, "laptop"));
        StatusReport.Client c = StatusCommand.unreadableRevocation(
                new StatusCheck(StatusThresholds.DEFAULTS, Instant.now()).unreadableClient("box", "laptop", "x"),
                record,
                damaged);
        listed(c.problems()
                .get(1)
                .replace(record.toString(), "STATE_DIR/revoked/C")
                .replace("box revoke laptop", "box revoke C"));
    }

    /** What the box's status says of a state directory too full to time a receive. */
    @Test
    void theBoxsStatusOnAFullStateDirectory() throws Exception {
        listed(StatusCommand.fullStateDirectory(Path.of("STATE_DIR"), 0).replace("(0 B free", "(N free"));
    }

    /** The box out of space for a client (its jail's quota or its pool full): the step's line as the agent prints it. */
    @Test
    void theBoxOutOfSpace() throws Exception {
        listed("FS: failed after N steps: step @A -> @B: "
                + Failure.noSpace(
                        "'zfs recv POOL/…/FS' failed (exit 1): cannot receive incremental stream: out of space"));
    }

    private static ZfsVersion snap(String name, long guid, long txg) {
        return new ZfsVersion(DatasetName.of("tank/fs"), VersionType.SNAPSHOT, name, guid, txg, Instant.EPOCH);
    }

    private static RemoteVersion remote(ZfsVersion v) {
        return new RemoteVersion(v.name(), v.type(), v.guid(), v.createtxg(), 0);
    }

    /** A conflict as the pass's summary prints it, "FS: conflict: WHY", with the filesystem's name as FS. */
    private static String conflict(List<ZfsVersion> sender, List<ZfsVersion> receiver) {
        FilesystemPlan plan = Planner.plan(
                DatasetName.of("tank/fs"),
                sender,
                new RemoteFilesystem(
                        "tank/fs", false, receiver.stream().map(v -> remote(v)).toList(), null),
                new ReplicationPolicy(InitialReplication.MOST_RECENT, false));
        return ("tank/fs: conflict: " + ((FilesystemPlan.Conflict) plan).reason()).replace("tank/fs", "FS");
    }

    /** The source rolled back, or its newest replicated snapshot destroyed: the box has one the source lost. */
    @Test
    void aDivergedReceiver() throws Exception {
        listed(conflict(List.of(snap("A", 1, 10), snap("C", 3, 30)), List.of(snap("A", 1, 10), snap("B", 2, 20))));
    }

    /**
     * A snapshot name the box already gives another snapshot: @B replicated, pruned on the source down to the
     * cursor's bookmark, and a new @B taken there.
     */
    @Test
    void aSnapshotNameTakenAgain() throws Exception {
        ZfsVersion cursor =
                new ZfsVersion(DatasetName.of("tank/fs"), VersionType.BOOKMARK, "zrepl_CURSOR", 2, 20, Instant.EPOCH);
        listed(conflict(List.of(cursor, snap("B", 9, 30)), List.of(snap("A", 1, 10), snap("B", 2, 20))));
    }

    /** A local zfs call that hangs, stopped at the job's replication.timeout (the agent's words for the limit). */
    @Test
    void aLocalZfsCallThatHangs() throws Exception {
        Path fake = dir.resolve("zfs");
        Files.writeString(fake, "#!/bin/sh\nexec sleep 600\n");
        Files.setPosixFilePermissions(fake, PosixFilePermissions.fromString("rwxr-xr-x"));
        Zfs zfs = new Zfs(fake).withCallLimit(Duration.ofMillis(300), "10m0s (the job's replication.timeout)");
        ZfsException e = assertThrows(ZfsException.class, zfs::listAllFilesystems);
        listed(e.getMessage().replace(fake + " list -H -t filesystem,volume -o name", "zfs COMMAND"));
    }

    /** The same on the box, bounded by the sink job's stream_timeout; and a later call of the same process. */
    @Test
    void aBoxZfsCallThatHangsAndTheCallsAfterIt() throws Exception {
        Path fake = dir.resolve("zfs");
        Files.writeString(fake, "#!/bin/sh\nexec sleep 600\n");
        Files.setPosixFilePermissions(fake, PosixFilePermissions.fromString("rwxr-xr-x"));
        SinkJob job = new SinkJob(
                "JOB",
                DatasetName.of("backup/clients"),
                List.of("laptop"),
                RecvOptions.defaults(),
                List.of(),
                ServeLimits.defaults());
        Zfs zfs = new Zfs(fake).withCallLimit(Duration.ofMillis(300), StdinServer.boundText(job));
        ZfsException e = assertThrows(ZfsException.class, zfs::listAllFilesystems);
        String command = fake + " list -H -t filesystem,volume -o name";
        listed(e.getMessage().replace(command, "zfs COMMAND"));
        ZfsException next = assertThrows(ZfsException.class, () -> zfs.exists(DatasetName.of("backup/clients")));
        String line = next.getMessage().replace(fake + " list -H -o name backup/clients", "zfs COMMAND");
        listed(line.substring(0, line.indexOf(" did not end within ")).replace(command, "zfs COMMAND")
                + " did not end within …");
    }

    @Test
    void usageMessages() throws Exception {
        listed(CliRun.of("agent", "once", "--bogus").err().strip());
        listed(CliRun.of("-q", "-v", "agent", "once").err().strip());
        listed(CliRun.of("help", "agent", "nope").err().strip());
    }
}
