package dev.zreplj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Every command answers --help, -h and help PATH; usage errors point at the failing command's own help. */
class HelpTest {
    /** Every command path below the root, e.g. ["agent", "once"], found from the command tree itself. */
    private static List<List<String>> commandPaths() {
        List<List<String>> paths = new ArrayList<>();
        collect(new CommandLine(new AllCommands()), new ArrayList<>(), paths);
        return paths;
    }

    private static void collect(CommandLine cl, List<String> prefix, List<List<String>> out) {
        for (Map.Entry<String, CommandLine> e : cl.getSubcommands().entrySet()) {
            List<String> path = new ArrayList<>(prefix);
            path.add(e.getKey());
            out.add(path);
            collect(e.getValue(), path, out);
        }
    }

    @Test
    void everyCommandAnswersHelpAndDashHAndHelpPath() {
        List<List<String>> paths = commandPaths();
        assertTrue(paths.contains(List.of("agent", "once")), "the tree walk found " + paths);
        assertTrue(paths.size() >= 14, "the tree walk found " + paths);
        for (List<String> path : paths) {
            String usage = "Usage: zreplj " + String.join(" ", path);
            for (String flag : List.of("--help", "-h")) {
                List<String> args = new ArrayList<>(path);
                args.add(flag);
                CliRun r = CliRun.of(args.toArray(String[]::new));
                assertEquals(0, r.exitCode(), args + ": " + r.err());
                assertTrue(r.out().startsWith(usage), args + " printed: " + r.out());
                assertEquals("", r.err(), args.toString());
            }
            List<String> help = new ArrayList<>(List.of("help"));
            help.addAll(path);
            CliRun r = CliRun.of(help.toArray(String[]::new));
            assertEquals(0, r.exitCode(), help + ": " + r.err());
            assertTrue(r.out().startsWith(usage), help + " printed: " + r.out());
        }
    }

    @Test
    void theRootHelpListsTheCommandsAndTheirSubcommandsAreDiscoverable() {
        CliRun root = CliRun.of("--help");
        assertEquals(0, root.exitCode());
        for (String command : List.of("agent", "status", "stdinserver", "configcheck", "help", "version")) {
            assertTrue(root.out().contains("  " + command + " "), command + " missing from: " + root.out());
        }
        CliRun once = CliRun.of("help", "agent", "once");
        assertEquals(0, once.exitCode(), once.err());
        assertEquals("", once.err());
        assertTrue(
                once.out()
                        .startsWith("Usage: zreplj agent once [-hqvV] [--snapshot] [--summary] [--job=NAME]...\n"
                                + "One pass for cron/systemd timers: snapshot if due, replicate, prune, exit.\n"),
                once.out());
        assertTrue(once.out().contains("--snapshot") && once.out().contains("--job=NAME"), once.out());
        assertEquals(once, CliRun.of("agent", "once", "--help"), "help PATH prints what PATH --help prints");
    }

    @Test
    void versionIsOneLineOnEveryLevel() {
        for (String[] args :
                List.of(new String[] {"--version"}, new String[] {"-V"}, new String[] {"agent", "once", "--version"})) {
            CliRun r = CliRun.of(args);
            assertEquals(0, r.exitCode());
            assertTrue(r.out().matches("zreplj \\S+\n"), r.out());
        }
    }

    @Test
    void usageErrorsNameTheHelpOfTheCommandThatFailed() {
        CliRun unknownOption = CliRun.of("agent", "once", "--bogus");
        assertEquals(ExitCodes.USAGE, unknownOption.exitCode());
        assertEquals("zreplj: Unknown option: '--bogus' (see 'zreplj agent once --help')\n", unknownOption.err());

        CliRun unknownCommand = CliRun.of("bogus");
        assertEquals(ExitCodes.USAGE, unknownCommand.exitCode());
        assertEquals("zreplj: Unmatched argument at index 0: 'bogus' (see 'zreplj --help')\n", unknownCommand.err());

        CliRun noSubcommand = CliRun.of("agent");
        assertEquals(ExitCodes.USAGE, noSubcommand.exitCode());
        assertEquals("zreplj: Missing required subcommand (see 'zreplj agent --help')\n", noSubcommand.err());

        CliRun missingParameter = CliRun.of("stdinserver");
        assertEquals(ExitCodes.USAGE, missingParameter.exitCode());
        assertEquals(
                "zreplj: Missing required parameter: 'CLIENT_ID' (see 'zreplj stdinserver --help')\n",
                missingParameter.err());

        CliRun quietAndVerbose = CliRun.of("-q", "-v", "agent", "once");
        assertEquals(ExitCodes.USAGE, quietAndVerbose.exitCode());
        assertEquals(
                "zreplj: --quiet cannot be combined with --verbose (see 'zreplj agent once --help')\n",
                quietAndVerbose.err());
        CliRun quietAndSummary = CliRun.of("agent", "once", "--quiet", "--summary");
        assertEquals(
                "zreplj: --quiet cannot be combined with --summary (see 'zreplj agent once --help')\n",
                quietAndSummary.err());

        CliRun oldHint = CliRun.of("help", "zreplj");
        assertEquals(ExitCodes.USAGE, oldHint.exitCode());
        assertEquals("zreplj: unknown command 'zreplj' (see 'zreplj --help')\n", oldHint.err());

        CliRun unknownHelp = CliRun.of("help", "agent", "nope");
        assertEquals(ExitCodes.USAGE, unknownHelp.exitCode());
        assertEquals("zreplj: unknown command 'agent nope' (see 'zreplj --help')\n", unknownHelp.err());
    }
}
