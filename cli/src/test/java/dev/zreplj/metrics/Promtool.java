package dev.zreplj.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Debian's {@code promtool} (package prometheus), which the metrics tests need: missing, they fail. */
public final class Promtool {
    static final Path BINARY = Path.of("/usr/bin/promtool");

    private Promtool() {}

    public record Result(int exit, String output) {}

    /** {@code promtool check metrics} on the exposition text (its stdin); exit 0 and no lint line when clean. */
    public static Result checkMetrics(String exposition) throws IOException, InterruptedException {
        return run(List.of("check", "metrics"), exposition, null);
    }

    public static Result run(List<String> args, String stdin, Path dir) throws IOException, InterruptedException {
        assertTrue(
                Files.isExecutable(BINARY),
                BINARY + " is missing: apt-get install prometheus (contrib/dev/run-tests"
                        + " does); the metrics tests need it");
        List<String> command = new java.util.ArrayList<>(List.of(BINARY.toString()));
        command.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        if (dir != null) {
            pb.directory(dir.toFile());
        }
        Process p = pb.start();
        try (var in = p.getOutputStream()) {
            if (stdin != null) {
                in.write(stdin.getBytes(StandardCharsets.UTF_8));
            }
        }
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "promtool " + args + " did not finish");
        return new Result(p.exitValue(), out);
    }

    static void assertClean(String exposition) throws IOException, InterruptedException {
        Result r = checkMetrics(exposition);
        assertEquals(new Result(0, ""), r, () -> "promtool check metrics on:\n" + exposition);
    }
}
