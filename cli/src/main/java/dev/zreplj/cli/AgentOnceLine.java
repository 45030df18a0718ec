package dev.zreplj.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * {@code agent once} as timers and cron run it, {@code [--config FILE] [-v|--verbose] [-q|--quiet] [--summary]
 * agent once [--job NAME]... [--snapshot]}, run without picocli. It starts every pass, and building picocli's
 * model of the root and the agent commands (the process's first reflection on annotations, each annotation
 * type a proxy class spun at run time) took 200-300 ms of the agent's start, before the config is even read.
 * Anything else (another order, {@code --opt=value}, a flag twice, {@code --quiet} with {@code --verbose}, help)
 * goes through picocli, which gives the same command the same values or its own usage error
 * (AgentOnceLineTest holds the two readings equal).
 */
record AgentOnceLine(
        Path config, boolean verbose, boolean quiet, boolean summary, List<String> jobs, boolean snapshot) {
    /** Words picocli would not take as an option's value here: its options and command names. */
    private static final Set<String> RESERVED = Set.of(
            "--config",
            "-v",
            "--verbose",
            "-q",
            "--quiet",
            "--summary",
            "-h",
            "--help",
            "-V",
            "--version",
            "--job",
            "--snapshot",
            "agent",
            "once",
            "run");

    AgentOnceLine {
        jobs = List.copyOf(jobs);
    }

    /** The command these arguments are, exactly; empty for anything else. */
    static Optional<AgentOnceLine> parse(String... args) {
        Path config = null;
        boolean verbose = false;
        boolean quiet = false;
        boolean summary = false;
        int i = 0;
        for (; i < args.length && !args[i].equals("agent"); i++) {
            switch (args[i]) {
                case "--config" -> {
                    if (config != null || i + 1 >= args.length || !value(args[i + 1])) return Optional.empty();
                    config = Path.of(args[++i]);
                }
                case "-v", "--verbose" -> {
                    if (verbose) return Optional.empty();
                    verbose = true;
                }
                case "-q", "--quiet" -> {
                    if (quiet) return Optional.empty();
                    quiet = true;
                }
                case "--summary" -> {
                    if (summary) return Optional.empty();
                    summary = true;
                }
                default -> {
                    return Optional.empty();
                }
            }
        }
        // picocli's own usage error says which two options conflict.
        if (quiet && (verbose || summary)) return Optional.empty();
        if (i + 1 >= args.length || !args[i + 1].equals("once")) return Optional.empty();
        List<String> jobs = new ArrayList<>();
        boolean snapshot = false;
        for (i += 2; i < args.length; i++) {
            switch (args[i]) {
                case "--job" -> {
                    if (i + 1 >= args.length || !value(args[i + 1])) return Optional.empty();
                    jobs.add(args[++i]);
                }
                case "--snapshot" -> {
                    if (snapshot) return Optional.empty();
                    snapshot = true;
                }
                default -> {
                    return Optional.empty();
                }
            }
        }
        return Optional.of(new AgentOnceLine(config, verbose, quiet, summary, jobs, snapshot));
    }

    private static boolean value(String word) {
        return !word.isEmpty() && !word.startsWith("-") && !RESERVED.contains(word);
    }

    /** As picocli would run it. */
    int run() {
        Main main = new Main();
        main.config = config;
        main.verbose = verbose;
        main.quiet = quiet;
        main.summary = summary;
        AgentCommand agent = new AgentCommand();
        agent.parent = main;
        AgentOnceCommand once = new AgentOnceCommand();
        once.parent = agent;
        once.jobs = new ArrayList<>(jobs);
        once.snapshot = snapshot;
        return main.execute(once);
    }
}
