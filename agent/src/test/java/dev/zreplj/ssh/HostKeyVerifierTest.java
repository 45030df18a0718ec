package dev.zreplj.ssh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.config.Connect.HostKeyPolicy;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import org.apache.sshd.common.config.keys.KeyUtils;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HostKeyVerifierTest {
    @TempDir
    Path dir;

    @Test
    void acceptNewRefusesAKeyItCannotRecordAndSaysWhy() throws Exception {
        // Reads as an empty known_hosts, cannot be written (its directory is a dangling symlink); root ignores modes.
        Files.createSymbolicLink(dir.resolve("gone"), dir.resolve("nowhere"));
        Path file = dir.resolve("gone/known_hosts");
        PublicKey key = KnownHostsTest.ec();
        HostKeyVerifier verifier = new HostKeyVerifier(new KnownHosts(file), HostKeyPolicy.ACCEPT_NEW, "box", 2222);
        assertFalse(verifier.verifyServerKey(null, null, key));
        String why = verifier.refusal().orElseThrow();
        String shown = KeyUtils.getKeyType(key) + " " + KeyUtils.getFingerPrint(key);
        assertTrue(
                why.startsWith("host key of box:2222 (" + shown + ") is not known and host_key_policy accept-new cannot"
                        + " record it: cannot write " + file + ": "),
                why);
        assertTrue(
                why.endsWith("; set connect.known_hosts to a file the agent may write (the systemd units allow"
                        + " /etc/zreplj/ssh), or add the key with 'ssh-keyscan -p 2222 box >> " + file
                        + "' after checking its fingerprint"),
                why);
        assertFalse(why.contains("cannot read"), why);
    }

    @Test
    void acceptNewRecordsAnUnknownKey() throws Exception {
        Path file = dir.resolve("known_hosts");
        HostKeyVerifier verifier = new HostKeyVerifier(new KnownHosts(file), HostKeyPolicy.ACCEPT_NEW, "box", 22);
        assertTrue(verifier.verifyServerKey(null, null, KnownHostsTest.ec()));
        assertEquals(1, Files.readAllLines(file).size());
    }
}
