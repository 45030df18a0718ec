package dev.zreplj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine.Command;

/** Which command a run builds alone, and when it needs the whole tree. */
class MainDispatchTest {
    @Test
    void theCommandIsTheFirstArgumentThatIsNoGlobalOption() {
        assertEquals("stdinserver", Main.commandName("stdinserver", "laptop"));
        assertEquals("stdinserver", Main.commandName("--config", "/etc/zreplj/zreplj.yml", "stdinserver", "laptop"));
        assertEquals("agent", Main.commandName("-v", "--config=/x.yml", "agent", "once"));
        assertEquals("status", Main.commandName("-q", "--summary", "status", "--json"));
        // A config file named like a command is still the config file.
        assertEquals("agent", Main.commandName("--config", "status", "agent", "once"));
    }

    @Test
    void helpVersionAndNoCommandNeedTheWholeTree() {
        assertNull(Main.commandName());
        assertNull(Main.commandName("--config", "/x.yml"));
        assertNull(Main.commandName("--help"));
        assertNull(Main.commandName("-h", "agent"));
        assertNull(Main.commandName("--version"));
        assertNull(Main.commandName("-V"));
        assertNull(AllCommands.named(null));
        assertNull(AllCommands.named("help"), "help walks the whole tree");
        assertNull(AllCommands.named("bogus"), "an unknown command's error lists every command");
    }

    @Test
    void everyCommandButHelpIsFoundByItsName() {
        for (Class<?> c : AllCommands.class.getAnnotation(Command.class).subcommands()) {
            Command command = c.getAnnotation(Command.class);
            if (command.helpCommand()) {
                assertNull(AllCommands.named(command.name()));
            } else {
                assertEquals(c, AllCommands.named(command.name()));
            }
        }
        assertEquals(StdinserverCommand.class, AllCommands.named("stdinserver"));
    }

    @Test
    void aRunThatNamesItsCommandStillPrintsUsageErrorsAndHelpAsTheWholeTreeDoes() {
        CliRun missing = CliRun.of("stdinserver");
        assertEquals(2, missing.exitCode());
        assertEquals(
                "zreplj: Missing required parameter: 'CLIENT_ID' (see 'zreplj stdinserver --help')\n", missing.err());
        CliRun conflict = CliRun.of("-q", "-v", "agent", "once");
        assertEquals(2, conflict.exitCode());
        assertEquals(
                "zreplj: --quiet cannot be combined with --verbose (see 'zreplj agent once --help')\n", conflict.err());
        CliRun inherited = CliRun.of("--config", "/nonexistent/zreplj.yml", "configcheck", "-q");
        assertEquals(2, inherited.exitCode());
        CliRun unknown = CliRun.of("bogus");
        assertEquals(2, unknown.exitCode());
        assertEquals("zreplj: Unmatched argument at index 0: 'bogus' (see 'zreplj --help')\n", unknown.err());
    }

    /**
     * A mistyped global option before {@code status} (a monitoring command line) is still the check's usage error:
     * UNKNOWN with its line on stdout, not exit 2, which Nagios shows as CRITICAL with no output. Its value, taken
     * for the command, must not hide the command that follows.
     */
    @Test
    void aMistypedGlobalOptionBeforeStatusIsTheChecksUnknown() {
        assertEquals("status", Main.commandName("--confg", "/etc/zreplj/zreplj.yml", "status"));
        assertEquals("agent", Main.commandName("--confg", "/x.yml", "agent", "once"));
        assertEquals("bogus", Main.commandName("bogus", "extra"), "no command named: the first word, as before");
        assertEquals("help", Main.commandName("help", "agent", "once"), "help walks the whole tree");
        CliRun typo = CliRun.of("--confg", "/nonexistent/zreplj.yml", "status");
        assertEquals(3, typo.exitCode(), typo::toString);
        assertEquals("ZREPLJ UNKNOWN: Unknown options: '--confg', '/nonexistent/zreplj.yml'\n", typo.out());
        assertEquals(
                "zreplj: Unknown options: '--confg', '/nonexistent/zreplj.yml' (see 'zreplj --help')\n", typo.err());
    }

    /**
     * docs/monitoring.md confines a monitoring user to {@code sudo zreplj ... status --warn * --crit *}; picocli
     * would read an argument {@code @FILE} as more arguments from that file, as root, and print them back in its
     * "Unmatched arguments" line: /etc/shadow or the agent's key to whoever can reach NRPE.
     */
    @Test
    void anArgumentStartingWithAtIsNeverReadAsAFileOfArguments(@TempDir Path dir) throws Exception {
        Path secret = dir.resolve("secret");
        Files.writeString(secret, "root:$6$SECRET-HASH:19000\n");
        for (String[] args : new String[][] {
            {"--config", "/nonexistent/zreplj.yml", "status", "--warn", "1h", "x", "@" + secret, "--crit", "2h"},
            {"--config", "/nonexistent/zreplj.yml", "status", "--warn", "@" + secret, "--crit", "2h"},
            {"@" + secret},
            {"--config", "/nonexistent/zreplj.yml", "configcheck", "@" + secret},
        }) {
            CliRun run = CliRun.of(args);
            String shown = run.out() + run.err();
            assertFalse(shown.contains("SECRET"), String.join(" ", args) + " printed the file's text: " + shown);
            assertFalse(run.exitCode() == 0, String.join(" ", args) + " succeeded");
        }
    }
}
