package dev.zreplj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import dev.zreplj.zfs.Zfs;
import dev.zreplj.zfs.ZfsException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ConfigcheckCommandTest {
    @TempDir
    Path dir;

    @Test
    void validConfigPrintsNothingAndExitsZero() throws Exception {
        Path file = dir.resolve("zreplj.yml");
        Files.writeString(file, TestConfigs.PUSH_AND_SINK);
        assertEquals(new CliRun(0, "", ""), CliRun.of("--config", file.toString(), "configcheck"));
    }

    @Test
    void aPrivateKeyOthersCanReadIsRefusedAsOpenSshRefusesIt() throws Exception {
        Path key = Files.writeString(dir.resolve("identity"), "-----BEGIN OPENSSH PRIVATE KEY-----\n");
        Files.setPosixFilePermissions(key, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
        Path file = dir.resolve("zreplj.yml");
        Files.writeString(file, TestConfigs.PUSH_AND_SINK.replace("/etc/zreplj/ssh/identity", key.toString()));
        assertEquals(
                new CliRun(
                        2,
                        "",
                        "zreplj: " + file + ":4:5: job laptop: ssh: identity file " + key
                                + " is readable or writable by"
                                + " others (mode rw-r--r--); OpenSSH refuses such a key and so does zreplj: chmod 600 "
                                + key + "\n"),
                CliRun.of("--config", file.toString(), "configcheck"));
        Files.setPosixFilePermissions(key, java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
        assertEquals(new CliRun(0, "", ""), CliRun.of("--config", file.toString(), "configcheck"));
    }

    @Test
    void underOpenSshAnOptionSshRefusesFailsConfigcheckNotEveryPass() throws Exception {
        Path file = dir.resolve("zreplj.yml");
        String openssh = TestConfigs.PUSH_AND_SINK.replace(
                "      identity_file: /etc/zreplj/ssh/identity",
                "      identity_file: /etc/zreplj/ssh/identity\n      ssh_client: openssh\n      options: [%s]");
        Files.writeString(file, openssh.formatted("\"ProxyJump=gw.example.org\""));
        assertEquals(new CliRun(0, "", ""), CliRun.of("--config", file.toString(), "configcheck"));
        Files.writeString(file, openssh.formatted("\"NoSuchOption=1\""));
        assertEquals(
                new CliRun(
                        2,
                        "",
                        "zreplj: " + file + ":4:5: job laptop: ssh: ssh refuses this job's connect settings:"
                                + " command-line: line 0: Bad"
                                + " configuration option: nosuchoption\n"),
                CliRun.of("--config", file.toString(), "configcheck"));
    }

    /**
     * The built-in client reads Ciphers and KexAlgorithms as ssh does (+, ^, - lists); a name it does not have
     * would fail every connect, so configcheck refuses it, as ssh -G refuses an unknown cipher.
     */
    @Test
    void underTheBuiltInClientAnAlgorithmItDoesNotHaveFailsConfigcheck() throws Exception {
        Path file = dir.resolve("zreplj.yml");
        String builtin = TestConfigs.PUSH_AND_SINK.replace(
                "      identity_file: /etc/zreplj/ssh/identity",
                "      identity_file: /etc/zreplj/ssh/identity\n      options: [%s]");
        Files.writeString(file, builtin.formatted("\"KexAlgorithms=+curve25519-sha256\", \"Ciphers=-*-cbc,*-ctr\""));
        assertEquals(new CliRun(0, "", ""), CliRun.of("--config", file.toString(), "configcheck"));
        Files.writeString(file, builtin.formatted("\"Ciphers=aes128-gmc@openssh.com\""));
        CliRun typo = CliRun.of("--config", file.toString(), "configcheck");
        assertEquals(2, typo.exitCode(), typo::toString);
        assertTrue(
                typo.err()
                        .startsWith("zreplj: " + file + ":4:5: job laptop: ssh: Ciphers=aes128-gmc@openssh.com:"
                                + " 'aes128-gmc@openssh.com'"
                                + " is not supported by the built-in client; supported are aes128-gcm@openssh.com,"),
                typo::toString);
        assertTrue(typo.err().endsWith(" (or set connect.ssh_client: openssh)\n"), typo::toString);
    }

    @Test
    void invalidConfigPrintsOneLineWithPositionAndExitsTwo() throws Exception {
        Path file = dir.resolve("zreplj.yml");
        Files.writeString(file, TestConfigs.PUSH_AND_SINK.replace("    filesystems:", "    filesytems:"));
        assertEquals(
                new CliRun(
                        2,
                        "",
                        "zreplj: " + file + ":10:5: unknown key 'filesytems' (did you mean " + "'filesystems'?)\n"),
                CliRun.of("--config", file.toString(), "configcheck"));
    }

    @Test
    void aYamlIndentationMistakeIsOneLineThatSaysWhatIsWrongAtConfigcheckAndAtAnyCommand() throws Exception {
        Path file = dir.resolve("zreplj.yml");
        Files.writeString(file, "jobs:\n  - name: p\n   type: push\n");
        String line = "zreplj: " + file + ":3:4: YAML syntax: this line is indented differently from the lines at its"
                + " level: keys (and list items) of one mapping (list) start in the same column; indent with spaces\n";
        assertEquals(new CliRun(2, "", line), CliRun.of("--config", file.toString(), "configcheck"));
        assertEquals(new CliRun(2, "", line), CliRun.of("--config", file.toString(), "agent", "once"));
        // status is a monitoring plugin: UNKNOWN (3) with the same line on stdout for the monitoring system.
        assertEquals(
                new CliRun(3, "ZREPLJ UNKNOWN: " + line.substring("zreplj: ".length()), line),
                CliRun.of("--config", file.toString(), "status"));

        Files.writeString(file, "jobs:\n  - name: p\n      type: push\n");
        assertEquals(
                new CliRun(
                        2,
                        "",
                        "zreplj: " + file + ":3:11: YAML syntax: a ':' where no key can start: this"
                                + " line is indented deeper than the key above it expects, or a value contains ': ' and needs quotes\n"),
                CliRun.of("--config", file.toString(), "configcheck"));
        Files.writeString(file, "jobs:\n  - name: p\n\ttype: push\n");
        assertEquals(
                new CliRun(
                        2,
                        "",
                        "zreplj: " + file + ":3:1: YAML syntax: a tab in the indentation: YAML indents"
                                + " with spaces only\n"),
                CliRun.of("--config", file.toString(), "configcheck"));
    }

    @Test
    void zreplKeysWithoutEffectAreWarnedOneLineEachAndTheConfigStaysValid() throws Exception {
        Path file = dir.resolve("zreplj.yml");
        Files.writeString(
                file,
                "global:\n  monitoring:\n    - {type: prometheus, listen: ':9811', listen_freebind: true}\n"
                        + TestConfigs.PUSH_AND_SINK.replace(
                                "    filesystems:",
                                String.join(
                                        "\n",
                                        "    replication:",
                                        "      concurrency: {steps: 4, size_estimates: 2}",
                                        "    filesystems:")));
        CliRun run = CliRun.of("--config", file.toString(), "configcheck");
        String p = "zreplj: warning: " + file + ":";
        assertEquals(
                new CliRun(
                        0,
                        "",
                        p + "3:43: 'listen_freebind' has no effect in zreplj: the JDK cannot set IP_FREEBIND;"
                                + " start 'agent run' after the address exists (systemd: After=network-online.target)\n"
                                + p
                                + "14:31: 'size_estimates' has no effect in zreplj: zreplj estimates each step's size just "
                                + "before sending it; remove it\n"),
                run);
    }

    @Test
    void missingConfigFileExitsTwo() {
        Path file = dir.resolve("nope.yml");
        assertEquals(
                new CliRun(2, "", "zreplj: " + file + ": cannot read: no such file\n"),
                CliRun.of("--config", file.toString(), "configcheck"));
    }

    /**
     * A box whose zfs has no recv -o/-x (zfs-fuse) cannot apply the sink's recv.properties: configcheck on the box
     * says so, as it does for every key zreplj reads but does not act on.
     */
    @Test
    void recvPropertiesThisBoxsZfsCannotApplyAreWarnedAbout() throws Exception {
        Path zfs;
        try {
            zfs = Zfs.locate().binary();
            assumeFalse(new Zfs(zfs).capabilities().recvProperties(), "this zfs has recv -o/-x");
        } catch (ZfsException e) {
            assumeFalse(true, "no zfs here: " + e.getMessage());
            return;
        }
        Path file = dir.resolve("zreplj.yml");
        String sink = """
                global:
                  zreplj: {state_dir: %s, zfs_binary: %s}
                jobs:
                  - name: sink
                    type: sink
                    root_fs: backup/zreplj
                    serve: {type: stdinserver, client_identities: [laptop]}
                    recv:
                      properties:
                        override: {readonly: "on"}
                """.formatted(dir.resolve("state"), zfs);
        Files.writeString(file, sink);
        CliRun run = CliRun.of("--config", file.toString(), "configcheck");
        assertEquals(0, run.exitCode(), run::toString);
        assertTrue(
                run.err()
                        .startsWith("zreplj: warning: " + file + ":9:7: 'properties' has no effect on this box: its"
                                + " zfs (" + zfs + ", "),
                run::toString);
        assertTrue(
                run.err()
                        .endsWith(") has no 'zfs recv -o/-x'; each receive goes without them (the box's log says so),"
                                + " and a property stream that sets one of them is refused\n"),
                run::toString);
        // Without recv.properties there is nothing to say.
        Files.writeString(file, sink.substring(0, sink.indexOf("    recv:")));
        assertEquals(new CliRun(0, "", ""), CliRun.of("--config", file.toString(), "configcheck"));
    }
}
