package dev.zreplj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** {@code agent once} without picocli: the forms timers and people run, each read as picocli reads it. */
class AgentOnceLineTest {
    @Test
    void theUsualFormsAreReadAsPicocliReadsThem() {
        List<String[]> forms = List.of(
                new String[] {"agent", "once"},
                new String[] {"--config", "/etc/zreplj/zreplj.yml", "agent", "once"},
                new String[] {"-v", "agent", "once", "--snapshot"},
                new String[] {"--verbose", "--summary", "agent", "once"},
                new String[] {"-q", "--config", "/x.yml", "agent", "once", "--job", "home"},
                new String[] {"--quiet", "agent", "once", "--job", "home", "--job", "db", "--snapshot"},
                new String[] {"--summary", "agent", "once", "--snapshot", "--job", "a.b_c:d"},
                new String[] {"--config", "/x.yml", "--summary", "agent", "once", "--job", "rand"},
                new String[] {"--config", "status", "agent", "once"},
                new String[] {"agent", "once", "--job", "home", "--job", "home"});
        for (String[] args : forms) {
            Optional<AgentOnceLine> fast = AgentOnceLine.parse(args);
            assertTrue(fast.isPresent(), String.join(" ", args));
            Main main = new Main();
            CommandLine cl = new CommandLine(main);
            cl.addSubcommand(new AgentCommand());
            CommandLine.ParseResult parsed = cl.parseArgs(args);
            AgentOnceCommand once = (AgentOnceCommand)
                    parsed.subcommand().subcommand().commandSpec().userObject();
            assertEquals(
                    new AgentOnceLine(main.config, main.verbose, main.quiet, main.summary, once.jobs, once.snapshot),
                    fast.get(),
                    String.join(" ", args));
        }
    }

    @Test
    void everyOtherFormIsLeftToPicocli() {
        List<String[]> others = List.of(
                new String[] {},
                new String[] {"agent"},
                new String[] {"agent", "run"},
                new String[] {"agent", "once", "-v"},
                new String[] {"agent", "once", "--config", "/x.yml"},
                new String[] {"agent", "-v", "once"},
                new String[] {"agent", "once", "--help"},
                new String[] {"agent", "once", "--job"},
                new String[] {"agent", "once", "--job", "--snapshot"},
                new String[] {"agent", "once", "--job", "once"},
                new String[] {"agent", "once", "--job=home"},
                new String[] {"agent", "once", "--job", ""},
                new String[] {"agent", "once", "--snapshot", "--snapshot"},
                new String[] {"agent", "once", "extra"},
                new String[] {"-v", "-v", "agent", "once"},
                new String[] {"-q", "-v", "agent", "once"},
                new String[] {"-q", "--summary", "agent", "once"},
                new String[] {"--config", "/a.yml", "--config", "/b.yml", "agent", "once"},
                new String[] {"--config=/x.yml", "agent", "once"},
                new String[] {"--config", "agent", "once"},
                new String[] {"--config", "-q", "agent", "once"},
                new String[] {"-vq", "agent", "once"},
                new String[] {"stdinserver", "laptop"},
                new String[] {"once", "agent"},
                new String[] {"--help", "agent", "once"});
        for (String[] args : others) {
            assertEquals(Optional.empty(), AgentOnceLine.parse(args), String.join(" ", args));
        }
    }

    /** What a refused start prints and exits with is the same on either path. */
    @Test
    void aRefusedStartIsReportedAsPicocliReportsIt() {
        CliRun fast = CliRun.of("--config", "/nonexistent/zreplj.yml", "agent", "once", "--job", "home");
        CliRun picocli = CliRun.of("--config=/nonexistent/zreplj.yml", "agent", "once", "--job", "home");
        assertEquals(2, fast.exitCode());
        assertTrue(fast.err().contains("/nonexistent/zreplj.yml"), fast.err());
        assertEquals(picocli, fast);
    }
}
