package dev.zreplj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AuthorizedKeysCommandTest {
    /** A real ed25519 public key (ssh-keygen output). */
    private static final String KEY =
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPWcwdzW8tpZKITNvFb7aCizOzZclR4n6AtqsD7oYowH " + "root@laptop";

    @TempDir
    Path dir;

    private Path keyFile;
    private String savedLauncher;

    private record Result(int exit, String out, String err) {}

    @BeforeEach
    void setUp() throws Exception {
        keyFile = Files.writeString(dir.resolve("id.pub"), KEY + "\n");
        savedLauncher = System.getProperty(AuthorizedKeysCommand.LAUNCHER_PROPERTY);
        System.clearProperty(AuthorizedKeysCommand.LAUNCHER_PROPERTY);
    }

    @AfterEach
    void restore() {
        if (savedLauncher == null) System.clearProperty(AuthorizedKeysCommand.LAUNCHER_PROPERTY);
        else System.setProperty(AuthorizedKeysCommand.LAUNCHER_PROPERTY, savedLauncher);
    }

    private static Result run(String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
        System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
        try {
            int exit = Main.run(args);
            return new Result(exit, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }

    @Test
    void printsTheForcedCommandLineWithTheLauncherAndConfigInEffect() {
        System.setProperty(AuthorizedKeysCommand.LAUNCHER_PROPERTY, "/opt/zreplj/bin/zreplj");
        Result r = run("--config", "/etc/zreplj/box.yml", "authorized-keys", "laptop-1", "--key", keyFile.toString());
        assertEquals(
                new Result(
                        0,
                        "command=\"/opt/zreplj/bin/zreplj --config /etc/zreplj/box.yml stdinserver laptop-1\","
                                + "restrict " + KEY + "\n",
                        ""),
                r);
    }

    @Test
    void aRestoreOnlyKeysForcedCommandCarriesTheFlagBeforeTheClient() {
        System.setProperty(AuthorizedKeysCommand.LAUNCHER_PROPERTY, "/opt/zreplj/bin/zreplj");
        Result r = run(
                "--config",
                "/etc/zreplj/box.yml",
                "authorized-keys",
                "laptop-1",
                "--key",
                keyFile.toString(),
                "--restore-only");
        assertEquals(
                new Result(
                        0,
                        "command=\"/opt/zreplj/bin/zreplj --config /etc/zreplj/box.yml stdinserver"
                                + " --restore-only laptop-1\",restrict " + KEY + "\n",
                        ""),
                r);
    }

    @Test
    void withoutLauncherPropertyTheCommandIsPlainZrepljAndARelativeConfigIsMadeAbsolute() {
        Result r = run("--config", "conf/z.yml", "authorized-keys", "host.example", "--key", keyFile.toString());
        String config = Path.of("conf/z.yml").toAbsolutePath().normalize().toString();
        assertEquals(
                new Result(
                        0,
                        "command=\"zreplj --config " + config + " stdinserver host.example\",restrict " + KEY + "\n",
                        ""),
                r);
    }

    @Test
    void pathsWithSpacesAreSingleQuotedForTheShell() {
        System.setProperty(AuthorizedKeysCommand.LAUNCHER_PROPERTY, "/opt/my tools/zreplj");
        Result r = run("--config", "/etc/z conf.yml", "authorized-keys", "c1", "--key", keyFile.toString());
        assertEquals(
                "command=\"'/opt/my tools/zreplj' --config '/etc/z conf.yml' stdinserver c1\",restrict " + KEY + "\n",
                r.out());
    }

    @Test
    void pathsWithQuotesOrBackslashesAreRefused() {
        System.setProperty(AuthorizedKeysCommand.LAUNCHER_PROPERTY, "/opt/a\"b/zreplj");
        assertEquals(
                new Result(
                        2,
                        "",
                        "zreplj: authorized-keys: the launcher path '/opt/a\"b/zreplj' contains a quote, "
                                + "backslash or control character that cannot be written safely into authorized_keys; move it\n"),
                run("--config", "/etc/z.yml", "authorized-keys", "c1", "--key", keyFile.toString()));
        System.clearProperty(AuthorizedKeysCommand.LAUNCHER_PROPERTY);
        assertEquals(
                2,
                run("--config", "/etc/a\\b.yml", "authorized-keys", "c1", "--key", keyFile.toString())
                        .exit());
    }

    @Test
    void invalidClientIdsAreUsageErrors() {
        assertEquals(
                new Result(
                        2,
                        "",
                        "zreplj: authorized-keys: client id 'a/b' contains '/'; allowed are letters, "
                                + "digits and _ - . :\n"),
                run("--config", "/c.yml", "authorized-keys", "a/b", "--key", keyFile.toString()));
        assertEquals(
                new Result(2, "", "zreplj: authorized-keys: client id '..' is not allowed\n"),
                run("--config", "/c.yml", "authorized-keys", "..", "--key", keyFile.toString()));
        assertEquals(
                2,
                run("--config", "/c.yml", "authorized-keys", "a\"b", "--key", keyFile.toString())
                        .exit());
    }

    @Test
    void theKeyFileMustHoldExactlyOnePublicKeyLine() throws Exception {
        Path two = Files.writeString(dir.resolve("two.pub"), KEY + "\n" + KEY + "\n");
        assertEquals(
                new Result(
                        2,
                        "",
                        "zreplj: authorized-keys: key file " + two + " must hold exactly one OpenSSH "
                                + "public key line (the client's .pub file), found 2 lines\n"),
                run("--config", "/c.yml", "authorized-keys", "c1", "--key", two.toString()));
        Path priv = Files.writeString(dir.resolve("id"), "-----BEGIN OPENSSH PRIVATE KEY-----\n");
        Result r = run("--config", "/c.yml", "authorized-keys", "c1", "--key", priv.toString());
        assertEquals(2, r.exit());
        assertEquals("", r.out());
        assertEquals(
                true,
                r.err().startsWith("zreplj: authorized-keys: key file " + priv + " is not an OpenSSH public key line"),
                r.err());
        assertEquals(
                true,
                r.err().endsWith("; expected e.g. 'ssh-ed25519 AAAA... comment' (did you give the private key?)\n"),
                r.err());
        // A line copied from another authorized_keys: the error spoke of base64 and private keys.
        for (String options : List.of("command=\"x\" ", "from=\"10.0.0.1,10.0.0.2\",no-pty ", "restrict ")) {
            Path withOptions = Files.writeString(dir.resolve("opt.pub"), options + KEY + "\n");
            assertEquals(
                    new Result(
                            2,
                            "",
                            "zreplj: authorized-keys: key file " + withOptions + " begins with authorized_keys"
                                    + " options (" + options.strip() + "); give the bare key line, e.g. the client's"
                                    + " .pub file: zreplj writes its own command= and restrict\n"),
                    run("--config", "/c.yml", "authorized-keys", "c1", "--key", withOptions.toString()),
                    options);
        }
        assertEquals(
                new Result(2, "", "zreplj: authorized-keys: key file " + dir.resolve("none") + " does not exist\n"),
                run(
                        "--config",
                        "/c.yml",
                        "authorized-keys",
                        "c1",
                        "--key",
                        dir.resolve("none").toString()));
    }
    /** A local push job's client is refused to every forced command: the line it would print could never work. */
    @Test
    void aLocalSinksClientGetsNoLineButWhatToDo() throws Exception {
        Path config = Files.writeString(
                dir.resolve("local.yml"),
                String.join(
                        "\n",
                        "jobs:",
                        "  - {name: usb_sink, type: sink, root_fs: usb/zreplj,"
                                + " serve: {type: local, listener_name: usb}}",
                        "  - name: system_to_usb",
                        "    type: push",
                        "    connect: {type: local, listener_name: usb, client_identity: this_machine}",
                        "    filesystems: {\"rpool<\": true}",
                        "    snapshotting: {type: manual}",
                        "    pruning: {keep_sender: [{type: not_replicated}],"
                                + " keep_receiver: [{type: last_n, count: 1}]}",
                        "  - {name: box, type: sink, root_fs: usb/remote, serve: {type: stdinserver, client_identities:"
                                + " [laptop]}}",
                        ""));
        assertEquals(
                new Result(
                        2,
                        "",
                        "zreplj: authorized-keys: client 'this_machine' is the client_identity of a local push job to"
                                + " sink job 'usb_sink' (local listener 'usb'), which the agent reaches without SSH;"
                                + " no authorized_keys line can serve it: for a remote machine, list its own name in"
                                + " an ssh sink's serve.client_identities\n"),
                run("--config", config.toString(), "authorized-keys", "this_machine", "--key", keyFile.toString()));
        // The same config's SSH clients still get their line.
        Result ssh = run("--config", config.toString(), "authorized-keys", "laptop", "--key", keyFile.toString());
        assertEquals(0, ssh.exit(), ssh::toString);
        assertEquals("command=\"zreplj --config " + config + " stdinserver laptop\",restrict " + KEY + "\n", ssh.out());
    }
}
