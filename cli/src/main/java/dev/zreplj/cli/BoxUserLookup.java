package dev.zreplj.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/** The box user {@code box setup} prepares, from the password database. */
final class BoxUserLookup {
    private BoxUserLookup() {}

    /** The user from the password database (getent, so NSS users count too). */
    static BoxSetupPlan.User lookUp(String name) throws CliException {
        if (!name.matches("[a-z_][a-z0-9_-]{0,31}")) {
            throw CliException.usage("box setup: --user '" + name + "' is not a valid user name");
        }
        String line;
        try {
            Process p = new ProcessBuilder("getent", "passwd", name)
                    .redirectError(ProcessBuilder.Redirect.DISCARD)
                    .start();
            line = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            p.waitFor(30, TimeUnit.SECONDS);
        } catch (IOException e) {
            throw CliException.failure("box setup: cannot run getent: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw CliException.failure("box setup: interrupted");
        }
        if (line.isEmpty()) {
            throw CliException.failure("box setup: user " + name + " does not exist; the Debian package makes"
                    + " zreplj, elsewhere: adduser --system --group --home /var/lib/zreplj --shell /bin/sh " + name);
        }
        return parsePasswd(line);
    }

    static BoxSetupPlan.User parsePasswd(String line) throws CliException {
        String[] f = line.split(":", -1);
        if (f.length != 7) {
            throw CliException.failure("box setup: unexpected passwd entry: " + line);
        }
        try {
            return new BoxSetupPlan.User(f[0], Integer.parseInt(f[2]), Integer.parseInt(f[3]), Path.of(f[5]), f[6]);
        } catch (NumberFormatException e) {
            throw CliException.failure("box setup: unexpected passwd entry: " + line);
        }
    }
}
