package dev.zreplj.ssh;

import dev.zreplj.config.Connect.HostKeyPolicy;
import java.io.IOException;
import java.net.SocketAddress;
import java.security.PublicKey;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.sshd.client.keyverifier.ServerKeyVerifier;
import org.apache.sshd.client.session.ClientSession;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks the server's host key against known_hosts under the job's policy. MINA only learns "rejected",
 * so the reason is kept here for the transport to report as the one error line.
 */
final class HostKeyVerifier implements ServerKeyVerifier {
    private static final Logger LOG = LoggerFactory.getLogger(HostKeyVerifier.class);

    private final KnownHosts knownHosts;
    private final HostKeyPolicy policy;
    private final String host;
    private final int port;
    private final AtomicReference<String> refusal = new AtomicReference<>();

    HostKeyVerifier(KnownHosts knownHosts, HostKeyPolicy policy, String host, int port) {
        this.knownHosts = knownHosts;
        this.policy = policy;
        this.host = host;
        this.port = port;
    }

    @Override
    public boolean verifyServerKey(ClientSession session, SocketAddress remoteAddress, PublicKey serverKey) {
        try {
            String why = judge(serverKey);
            refusal.set(why);
            return why == null;
        } catch (IOException e) {
            refusal.set("cannot read known_hosts file " + knownHosts.file() + ": " + e.getMessage());
            return false;
        }
    }

    /** Why the last presented key was refused, if it was. */
    Optional<String> refusal() {
        return Optional.ofNullable(refusal.get());
    }

    private String judge(PublicKey key) throws IOException {
        String shown = KeyUtils.getKeyType(key) + " " + KeyUtils.getFingerPrint(key);
        String where = host + ":" + port;
        String pattern = KnownHosts.lookupName(host, port);
        KnownHosts.Verdict verdict = knownHosts.check(host, port, key);
        return switch (verdict.status()) {
            case MATCH -> null;
            case REVOKED ->
                "host key of " + where + " (" + shown + ") is marked @revoked in " + knownHosts.file() + " line "
                        + verdict.line() + "; refused";
            case CHANGED ->
                "HOST KEY OF " + where + " HAS CHANGED: it now shows " + shown + " but "
                        + knownHosts.file() + " line " + verdict.line() + " records another key (known types: "
                        + String.join(", ", verdict.knownTypes()) + "); this may be a man-in-the-middle attack and is "
                        + "refused under every host_key_policy, accept-new included; if the change is expected, remove "
                        + "the old entry with 'ssh-keygen -R \"" + pattern + "\" -f " + knownHosts.file()
                        + "' and add the new one";
            case CERTIFICATE ->
                "host key of " + where + " (" + shown + ") is to be checked against the @cert-authority line "
                        + verdict.line() + " of " + knownHosts.file() + ", and the built-in ssh client does not check"
                        + " host certificates; refused under every host_key_policy: set connect.ssh_client: openssh,"
                        + " or add the host's own key to " + knownHosts.file();
            case UNKNOWN -> {
                if (policy == HostKeyPolicy.ACCEPT_NEW) {
                    try {
                        knownHosts.add(host, port, key);
                    } catch (IOException e) {
                        // Accepting a key it cannot record would accept whatever key the next pass is shown.
                        yield "host key of " + where + " (" + shown + ") is not known and host_key_policy accept-new"
                                + " cannot record it: cannot write " + knownHosts.file() + ": " + e.getMessage()
                                + "; set connect.known_hosts to a file the agent may write (the systemd units allow"
                                + " /etc/zreplj/ssh), or add the key with 'ssh-keyscan -p " + port + " " + host + " >> "
                                + knownHosts.file() + "' after checking its fingerprint";
                    }
                    LOG.warn(
                            "ssh: accepted new host key of {} ({}) and recorded it in {}",
                            where,
                            shown,
                            knownHosts.file());
                    yield null;
                }
                yield "host key of " + where + " is not known (" + shown + " is not in " + knownHosts.file()
                        + "); check the fingerprint and add it with 'ssh-keyscan -p " + port + " " + host + " >> "
                        + knownHosts.file() + "', or set connect.host_key_policy: accept-new";
            }
        };
    }
}
