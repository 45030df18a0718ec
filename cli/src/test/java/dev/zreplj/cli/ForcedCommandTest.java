package dev.zreplj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The box's forced command without picocli: the forms authorized-keys writes, each read as picocli reads it. */
class ForcedCommandTest {
    @Test
    void theFormsAuthorizedKeysWritesAreReadAsPicocliReadsThem() {
        List<String[]> forms = List.of(
                new String[] {"stdinserver", "laptop"},
                new String[] {"stdinserver", "--restore-only", "laptop"},
                new String[] {"--config", "/etc/zreplj/zreplj.yml", "stdinserver", "laptop"},
                new String[] {"--config", "/etc/zreplj/box.yml", "stdinserver", "--restore-only", "db-1.example"},
                // Invalid client ids are the command's to refuse, with its own message.
                new String[] {"stdinserver", "bad/id"});
        for (String[] args : forms) {
            Optional<ForcedCommand> fast = ForcedCommand.parse(args);
            assertTrue(fast.isPresent(), String.join(" ", args));
            Main main = new Main();
            StdinserverCommand command = new StdinserverCommand();
            CommandLine cl = new CommandLine(main);
            cl.addSubcommand(command);
            cl.parseArgs(args);
            assertEquals(
                    new ForcedCommand(main.config, command.restoreOnly, command.clientId),
                    fast.get(),
                    String.join(" ", args));
        }
    }

    @Test
    void everyOtherFormIsLeftToPicocli() {
        List<String[]> others = List.of(
                new String[] {},
                new String[] {"stdinserver"},
                new String[] {"stdinserver", "--help"},
                new String[] {"stdinserver", "-h", "laptop"},
                new String[] {"stdinserver", "laptop", "--restore-only"},
                new String[] {"stdinserver", "laptop", "extra"},
                new String[] {"stdinserver", "--restore-only"},
                new String[] {"stdinserver", "--", "laptop"},
                new String[] {"stdinserver", "--restore-only", "--restore-only", "laptop"},
                new String[] {"-v", "stdinserver", "laptop"},
                new String[] {"-q", "stdinserver", "laptop"},
                new String[] {"--config=/x.yml", "stdinserver", "laptop"},
                new String[] {"--config", "-q", "stdinserver", "laptop"},
                // picocli refuses a value that names a command: "Expected parameter for option '--config'".
                new String[] {"--config", "stdinserver", "stdinserver", "laptop"},
                new String[] {"--config", "/x.yml"},
                new String[] {"--config", "/x.yml", "agent", "once"},
                new String[] {"stdinserver", "--config", "/x.yml", "laptop"},
                new String[] {"laptop", "stdinserver"},
                new String[] {"--version"});
        for (String[] args : others) {
            assertEquals(Optional.empty(), ForcedCommand.parse(args), String.join(" ", args));
        }
    }

    /** What a refused start prints and exits with is the same on either path. */
    @Test
    void aRefusedStartIsReportedAsPicocliReportsIt() {
        CliRun fast = CliRun.of("--config", "/nonexistent/zreplj.yml", "stdinserver", "bad/id");
        CliRun picocli = CliRun.of("--config=/nonexistent/zreplj.yml", "stdinserver", "bad/id");
        assertEquals(2, fast.exitCode());
        assertTrue(fast.err().startsWith("zreplj: stdinserver: invalid CLIENT_ID: "), fast.err());
        assertEquals(picocli, fast);
        CliRun noConfig = CliRun.of("--config", "/nonexistent/zreplj.yml", "stdinserver", "laptop");
        assertEquals(CliRun.of("--config=/nonexistent/zreplj.yml", "stdinserver", "laptop"), noConfig);
        assertEquals(2, noConfig.exitCode());
        assertTrue(noConfig.err().contains("/nonexistent/zreplj.yml"), noConfig.err());
        assertEquals("", noConfig.out());
    }
}
