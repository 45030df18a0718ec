package dev.zreplj.cli;

import java.nio.file.Path;
import java.util.Optional;

/**
 * The box's forced command in the form {@code authorized-keys} writes, {@code [--config FILE] stdinserver
 * [--restore-only] CLIENT_ID}, run without picocli. sshd starts it at least once per pass, and the agent waits
 * for it before anything else can happen: building picocli's model is the process's first reflection on
 * annotations, 120-180 ms of the box's start on the way to every pass's first stream byte (bench/RESULTS.md).
 * Every other form, options in another order or spelling included, goes through picocli, which gives the same
 * command the same values (ForcedCommandTest holds the two to that).
 */
record ForcedCommand(Path config, boolean restoreOnly, String clientId) {
    /** The forced command these arguments are, exactly; empty for anything else. */
    static Optional<ForcedCommand> parse(String... args) {
        int i = 0;
        Path config = null;
        if (args.length > 1 && args[0].equals("--config")) {
            // picocli takes neither an option nor the command's name for the value: left to it, to refuse.
            if (args[1].startsWith("-") || args[1].equals("stdinserver")) {
                return Optional.empty();
            }
            config = Path.of(args[1]);
            i = 2;
        }
        if (i >= args.length || !args[i].equals("stdinserver")) {
            return Optional.empty();
        }
        i++;
        boolean restoreOnly = i < args.length && args[i].equals("--restore-only");
        if (restoreOnly) {
            i++;
        }
        if (i != args.length - 1 || args[i].startsWith("-")) {
            return Optional.empty();
        }
        return Optional.of(new ForcedCommand(config, restoreOnly, args[i]));
    }

    /** As picocli would run it (no global option given). */
    int run() {
        Main main = new Main();
        main.config = config;
        StdinserverCommand command = new StdinserverCommand();
        command.parent = main;
        command.clientId = clientId;
        command.restoreOnly = restoreOnly;
        return main.execute(command);
    }
}
