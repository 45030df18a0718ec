package dev.zreplj.cli;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import dev.zreplj.config.Config;
import dev.zreplj.config.ConfigException;
import dev.zreplj.config.ConfigLoader;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Callable;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The {@code zreplj} command: global options, and the mapping of failures to exit status 0/1/2. Its
 * commands are listed on {@link AllCommands}; a run builds only the command it names (see {@link #run}).
 */
@Command(
        name = "zreplj",
        mixinStandardHelpOptions = true,
        scope = CommandLine.ScopeType.INHERIT,
        versionProvider = Main.Version.class,
        description = "Replicates ZFS filesystems to a backup box over SSH.")
public class Main {
    public static final Path DEFAULT_CONFIG = Path.of("/etc/zreplj/zreplj.yml");

    @Option(
            names = "--config",
            paramLabel = "FILE",
            description = "config file (default: $ZREPLJ_CONFIG, else /etc/zreplj/zreplj.yml)")
    Path config;

    @Option(
            names = {"-v", "--verbose"},
            scope = CommandLine.ScopeType.INHERIT,
            description = "more detail: why each snapshot was kept, debug logs, stack traces of failures")
    boolean verbose;

    @Option(
            names = {"-q", "--quiet"},
            scope = CommandLine.ScopeType.INHERIT,
            description = "print nothing when all went well, the summary when something failed"
                    + " (the default when not on a terminal: cron, systemd)")
    boolean quiet;

    @Option(
            names = "--summary",
            scope = CommandLine.ScopeType.INHERIT,
            description = "print the summary also when all went well and not on a terminal (a log file)")
    boolean summary;

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /**
     * Picocli inspects every command class by reflection when it builds a tree: for the whole tree about
     * 0.3 s of CPU on each start. So a run that names a command builds the root and that command only;
     * help, version, an unknown or missing command build the whole tree, whose listing and errors need every
     * command. The box's forced command and {@code agent once}, which run at every pass, build none
     * ({@link ForcedCommand}, {@link AgentOnceLine}).
     */
    public static int run(String... args) {
        SpawnMechanism.apply();
        Optional<ForcedCommand> forced = ForcedCommand.parse(args);
        if (forced.isPresent()) {
            return forced.get().run();
        }
        Optional<AgentOnceLine> pass = AgentOnceLine.parse(args);
        if (pass.isPresent()) {
            return pass.get().run();
        }
        Class<?> named = AllCommands.named(commandName(args));
        Main main = named == null ? new AllCommands() : new Main();
        CommandLine cl = new CommandLine(main);
        // picocli reads an argument @FILE as the arguments in FILE and prints unmatched ones back: under sudo
        // (docs/monitoring.md's 'status --warn * --crit *') that printed files only root can read.
        cl.setExpandAtFiles(false);
        if (named != null) {
            try {
                cl.addSubcommand(CommandLine.defaultFactory().create(named));
            } catch (Exception e) {
                throw new IllegalStateException("cannot create the command " + named.getSimpleName(), e);
            }
        }
        cl.setExecutionStrategy(parseResult -> {
            if (main.quiet && (main.verbose || main.summary)) {
                List<CommandLine> parsed = parseResult.asCommandLineList();
                throw new CommandLine.ParameterException(
                        parsed.get(parsed.size() - 1),
                        "--quiet cannot be combined with " + (main.verbose ? "--verbose" : "--summary"));
            }
            main.configureLogging();
            return new CommandLine.RunLast().execute(parseResult);
        });
        // status is a monitoring plugin: whatever keeps it from judging (a bad option, the config, a crash) is
        // UNKNOWN (3) with a line on stdout, which is what the monitoring system shows; 2 would read CRITICAL.
        boolean plugin = named == StatusCommand.class;
        cl.setExecutionExceptionHandler(
                (ex, commandLine, parseResult) -> plugin(plugin, main.report(ex), ex.getMessage()));
        cl.setParameterExceptionHandler((ex, args1) -> {
            System.err.println("zreplj: " + ex.getMessage() + " (see '"
                    + ex.getCommandLine().getCommandSpec().qualifiedName() + " --help')");
            return plugin(plugin, ExitCodes.USAGE, ex.getMessage());
        });
        return cl.execute(args);
    }

    private static int plugin(boolean plugin, int code, String message) {
        if (!plugin || code == ExitCodes.OK) {
            return code;
        }
        System.out.println("ZREPLJ UNKNOWN: "
                + (message == null
                        ? "status failed"
                        : message.lines().findFirst().orElse("")));
        System.out.flush();
        return dev.zreplj.status.Level.UNKNOWN.exitCode();
    }

    /**
     * The first argument that is not a global option and names a command, else the first that is not a global
     * option, as picocli would take it for the command; null when there is none or a global option asks for help
     * or the version. A mistyped option's value ({@code --confg FILE status}) is no command: {@code status} behind
     * it must still answer as the monitoring plugin it is, UNKNOWN, not exit 2.
     */
    static String commandName(String... args) {
        String first = null;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            switch (a) {
                case "--config" -> i++;
                case "-h", "--help", "-V", "--version" -> {
                    return null;
                }
                default -> {
                    if (!a.startsWith("-")) {
                        if (AllCommands.named(a) != null || a.equals("help")) {
                            return a;
                        }
                        if (first == null) {
                            first = a;
                        }
                    }
                }
            }
        }
        return first;
    }

    /** A command built without picocli, run as picocli runs one: logging set up, failures reported as exit status. */
    int execute(Callable<Integer> command) {
        configureLogging();
        try {
            return command.call();
        } catch (Exception e) {
            return report(e);
        }
    }

    private int report(Exception ex) {
        int code = ExitCodes.FAILURE;
        String message = ex.getMessage();
        if (ex instanceof CliException ce) {
            code = ce.exitCode();
        } else if (ex instanceof ConfigException) {
            code = ExitCodes.USAGE;
        } else if (message == null || message.isBlank()) {
            message = ex.getClass().getSimpleName();
        }
        System.err.println("zreplj: " + message);
        if (verbose) {
            ex.printStackTrace(System.err);
        }
        return code;
    }

    private void configureLogging() {
        Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.setLevel(
                switch (output()) {
                    case QUIET -> Level.WARN;
                    case SUMMARY -> Level.INFO;
                    case DETAIL -> Level.DEBUG;
                });
    }

    /** The config file in effect: --config, else $ZREPLJ_CONFIG, else the default. */
    Path configPath() {
        if (config != null) return config;
        String env = System.getenv("ZREPLJ_CONFIG");
        return env != null && !env.isBlank() ? Path.of(env) : DEFAULT_CONFIG;
    }

    Config loadConfig() throws ConfigException {
        return new ConfigLoader().load(configPath());
    }

    boolean verbose() {
        return verbose;
    }

    /** What a pass prints: System.console() is null unless stdin and stdout are both a terminal. */
    // zreplj runs on Java 17 to 21, where System.console() is null unless stdin and stdout are a terminal
    // (Java 22 returns a console regardless; there Console.isTerminal() would say it).
    @SuppressWarnings("SystemConsoleNull")
    Output output() {
        return Output.of(quiet, summary, verbose, System.console() != null);
    }

    /** {@code --version}: the one line scripts compare; {@code zreplj version} adds Java and the zfs found. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            return new String[] {"zreplj " + VersionCommand.zrepljVersion()};
        }
    }
}
