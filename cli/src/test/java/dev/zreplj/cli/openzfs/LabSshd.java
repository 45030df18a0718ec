package dev.zreplj.cli.openzfs;

import static dev.zreplj.cli.openzfs.OpenZfsLab.quote;

import java.util.List;

/**
 * A second OpenSSH sshd inside the lab guest, on a free loopback port there, with its own host key and
 * one authorized_keys line holding a forced command: the backup box as production sees it, reachable
 * only from inside the guest. The guest-side counterpart of {@code TestSshd}.
 */
public final class LabSshd implements AutoCloseable {
    private final OpenZfsLab lab;
    private final String dir;
    private final int port;

    private LabSshd(OpenZfsLab lab, String dir, int port) {
        this.lab = lab;
        this.dir = dir;
        this.port = port;
    }

    /**
     * Starts sshd with ed25519 host and client keys in the guest directory {@code dir} (created);
     * {@code environment} ("NAME=VALUE", no spaces) is set in every session, forced command included.
     */
    public static LabSshd start(OpenZfsLab lab, String dir, String forcedCommand, List<String> environment) {
        if (forcedCommand.indexOf('"') >= 0 || forcedCommand.indexOf('\n') >= 0) {
            throw new IllegalArgumentException("forced command must not contain '\"' or a newline: " + forcedCommand);
        }
        for (String variable : environment) {
            if (!variable.matches("[A-Z_][A-Z0-9_]*=\\S*")) {
                throw new IllegalArgumentException("environment entry must be NAME=VALUE without spaces: " + variable);
            }
        }
        String d = quote(dir);
        // sshd picks no port itself: ask the kernel for a free one, then bind it at once.
        String out = lab.check(String.join(
                "\n",
                "set -e",
                "mkdir -p " + d + " && cd " + d,
                "ssh-keygen -q -t ed25519 -N '' -C lab-sink-host -f host_key",
                "ssh-keygen -q -t ed25519 -N '' -C lab-agent -f client_key",
                "printf 'command=\"%s\",restrict %s\\n' " + quote(forcedCommand)
                        + " \"$(cat client_key.pub)\" > authorized_keys",
                "port=$(python3 -c 'import socket; s = socket.socket(); s.bind((\"127.0.0.1\", 0)); print(s.getsockname()[1])')",
                "echo \"[127.0.0.1]:$port $(cut -d' ' -f1-2 host_key.pub)\" > known_hosts",
                "cat > sshd_config <<EOF",
                "Port $port",
                "ListenAddress 127.0.0.1",
                "HostKey $PWD/host_key",
                "PidFile $PWD/sshd.pid",
                "AuthorizedKeysFile $PWD/authorized_keys",
                "StrictModes no",
                "UsePAM no",
                "PubkeyAuthentication yes",
                "PasswordAuthentication no",
                "KbdInteractiveAuthentication no",
                "PermitRootLogin prohibit-password",
                "LogLevel VERBOSE",
                environment.isEmpty() ? "" : "SetEnv " + String.join(" ", environment),
                "EOF",
                "mkdir -p /run/sshd",
                // without -D sshd detaches (so this ssh session can end), then listens and writes its pid file
                "/usr/sbin/sshd -f $PWD/sshd_config -E $PWD/sshd.log",
                "i=0; until [ -s sshd.pid ]; do i=$((i+1)); [ $i -lt 300 ] || { echo 'sink sshd did not start:' >&2; cat sshd.log >&2; exit 1; }; sleep 0.1; done",
                "echo $port"));
        String[] lines = out.strip().split("\n");
        return new LabSshd(lab, dir, Integer.parseInt(lines[lines.length - 1].strip()));
    }

    public int port() {
        return port;
    }

    /** Guest path of the client's private key (for the agent config). */
    public String clientKey() {
        return dir + "/client_key";
    }

    /** Guest path of the known_hosts file pinning this sshd's host key. */
    public String knownHosts() {
        return dir + "/known_hosts";
    }

    public String log() {
        return lab.sh("cat " + quote(dir + "/sshd.log"), null, OpenZfsLab.DEFAULT_TIMEOUT)
                .stdout();
    }

    /** Ends the listener and its per-connection children (found by parent pid, never by name). */
    @Override
    public void close() {
        lab.check("cd " + quote(dir) + " && if [ -r sshd.pid ]; then p=$(cat sshd.pid); "
                + "pkill -KILL -P \"$p\" || true; kill -KILL \"$p\" 2>/dev/null || true; rm -f sshd.pid; fi");
    }
}
