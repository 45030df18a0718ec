package dev.zreplj.ssh;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.apache.sshd.common.config.keys.PublicKeyEntry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class KnownHostsTest {
    @TempDir
    Path dir;

    static PublicKey ec() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
        g.initialize(256);
        return g.generateKeyPair().getPublic();
    }

    private static PublicKey rsa() throws Exception {
        KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
        g.initialize(2048);
        return g.generateKeyPair().getPublic();
    }

    private static String line(String hosts, PublicKey key) {
        return hosts + " " + PublicKeyEntry.toString(key);
    }

    /** OpenSSH's HashKnownHosts form: |1|base64(salt)|base64(HMAC-SHA1(salt, host)). */
    private static String hashed(String host) throws Exception {
        byte[] salt = new byte[20];
        for (int i = 0; i < salt.length; i++) salt[i] = (byte) (i * 7 + 3);
        Mac mac = Mac.getInstance("HmacSHA1");
        mac.init(new SecretKeySpec(salt, "HmacSHA1"));
        byte[] hash = mac.doFinal(host.getBytes(StandardCharsets.US_ASCII));
        return "|1|" + Base64.getEncoder().encodeToString(salt) + "|"
                + Base64.getEncoder().encodeToString(hash);
    }

    private KnownHosts file(String... lines) throws Exception {
        Path p = dir.resolve("known_hosts");
        Files.writeString(p, String.join("\n", lines) + "\n");
        return new KnownHosts(p);
    }

    @Test
    void plainEntryOnPort22Matches() throws Exception {
        PublicKey key = ec();
        KnownHosts kh = file("# comment", "", line("other.example,box.example", key));
        assertEquals(
                new KnownHosts.Verdict(KnownHosts.Status.MATCH, Set.of("ecdsa-sha2-nistp256"), 3),
                kh.check("box.example", 22, key));
        assertEquals(
                KnownHosts.Status.UNKNOWN, kh.check("box.example", 2222, key).status());
    }

    @Test
    void bracketedPortEntryMatchesOnlyThatPort() throws Exception {
        PublicKey key = ec();
        KnownHosts kh = file(line("[box.example]:2222", key));
        assertEquals(KnownHosts.Status.MATCH, kh.check("box.example", 2222, key).status());
        assertEquals(KnownHosts.Status.UNKNOWN, kh.check("box.example", 22, key).status());
    }

    @Test
    void hashedEntriesMatchTheirHostAndPort() throws Exception {
        PublicKey key = ec();
        KnownHosts kh = file(line(hashed("box.example"), key), line(hashed("[box.example]:2222"), key));
        assertEquals(1, kh.check("box.example", 22, key).line());
        assertEquals(2, kh.check("box.example", 2222, key).line());
        assertEquals(
                KnownHosts.Status.UNKNOWN, kh.check("other.example", 22, key).status());
    }

    @Test
    void anotherKeyForTheHostIsAChangedKeyWhateverItsType() throws Exception {
        PublicKey known = ec();
        KnownHosts kh = file(line("unrelated", ec()), line("box.example", known));
        assertEquals(
                new KnownHosts.Verdict(KnownHosts.Status.CHANGED, Set.of("ecdsa-sha2-nistp256"), 2),
                kh.check("box.example", 22, ec()));
        assertEquals(
                KnownHosts.Status.CHANGED, kh.check("box.example", 22, rsa()).status());
    }

    @Test
    void oneMatchingKeyAmongSeveralIsEnough() throws Exception {
        PublicKey rsa = rsa();
        KnownHosts kh = file(line("box.example", ec()), line("box.example", rsa));
        assertEquals(
                new KnownHosts.Verdict(KnownHosts.Status.MATCH, Set.of("ecdsa-sha2-nistp256", "ssh-rsa"), 2),
                kh.check("box.example", 22, rsa));
        assertEquals(List.of("ecdsa-sha2-nistp256", "ssh-rsa"), kh.knownTypes("box.example", 22));
    }

    @Test
    void revokedKeyIsRefusedEvenWhenAlsoListedAsKnown() throws Exception {
        PublicKey key = ec();
        KnownHosts kh = file(line("box.example", key), "@revoked " + line("*", key));
        assertEquals(new KnownHosts.Verdict(KnownHosts.Status.REVOKED, Set.of(), 2), kh.check("box.example", 22, key));
    }

    @Test
    void malformedLinesAndCertAuthoritiesAreSkipped() throws Exception {
        PublicKey key = ec();
        KnownHosts kh = file(
                "garbage",
                "box.example ssh-ed25519 !!!notbase64",
                "@cert-authority " + line("box.example", ec()),
                line("box.example", key));
        assertEquals(4, kh.check("box.example", 22, key).line());
    }

    /** OpenSSH looks "[host]:port" up against every pattern: sshd(8)'s "@revoked * KEY" covers every port. */
    @Test
    void aRevokedWildcardCoversEveryPort() throws Exception {
        PublicKey key = ec();
        KnownHosts kh = file(line("[box.example]:2222", key), "@revoked " + line("*", key));
        assertEquals(
                new KnownHosts.Verdict(KnownHosts.Status.REVOKED, Set.of(), 2), kh.check("box.example", 2222, key));
        assertEquals(
                KnownHosts.Status.MATCH,
                file(line("*", key)).check("box.example", 2222, key).status());
        // As for ssh: "*.example" ends where "[box.example]:2222" does not; the bracketed form covers the port.
        KnownHosts domain = file(line("*.example", key));
        assertEquals(
                KnownHosts.Status.MATCH, domain.check("box.example", 22, key).status());
        assertEquals(
                KnownHosts.Status.UNKNOWN,
                domain.check("box.example", 2222, key).status());
        assertEquals(
                KnownHosts.Status.MATCH,
                file(line("[*.example]:2222", key))
                        .check("box.example", 2222, key)
                        .status());
    }

    /** Lines ssh reads (ssh-keygen -F finds them) are read here too, whatever the blanks between fields. */
    @Test
    void anyRunOfBlanksSeparatesTheFields() throws Exception {
        PublicKey key = ec();
        String[] parts = PublicKeyEntry.toString(key).split(" ");
        KnownHosts kh = file("box.example  " + parts[0] + "  \t" + parts[1] + "   a comment\r");
        assertEquals(KnownHosts.Status.MATCH, kh.check("box.example", 22, key).status());
        KnownHosts revoked = file(line("box.example", key), "@revoked\t*  " + parts[0] + "  " + parts[1]);
        assertEquals(
                KnownHosts.Status.REVOKED, revoked.check("box.example", 22, key).status());
    }

    /** A host named by a line this client cannot read is known: another key is refused, never taken as new. */
    @Test
    void anUnreadableLineNamingTheHostMakesItKnown() throws Exception {
        KnownHosts kh = file("box.example ssh-ed25519 !!!notbase64", "box.example,bücher.example ssh-future AAAA");
        assertEquals(
                KnownHosts.Status.CHANGED, kh.check("box.example", 22, ec()).status());
        assertEquals(List.of(), kh.knownTypes("box.example", 22));
    }

    @Test
    void theHostIsLookedUpLowercasedAsSshDoes() throws Exception {
        PublicKey key = ec();
        KnownHosts kh = file(line(hashed("box.example"), key), line(hashed("[box.example]:2222"), key));
        assertEquals(KnownHosts.Status.MATCH, kh.check("Box.Example", 22, key).status());
        assertEquals(KnownHosts.Status.MATCH, kh.check("BOX.example", 2222, key).status());
        assertEquals(
                KnownHosts.Status.MATCH,
                file(line("BOX.example", key)).check("box.EXAMPLE", 22, key).status());
    }

    @Test
    void aNegatedPatternExcludesTheWholeLine() throws Exception {
        PublicKey key = ec();
        KnownHosts kh = file(line("*.example,!box.example", key));
        assertEquals(KnownHosts.Status.UNKNOWN, kh.check("box.example", 22, key).status());
        assertEquals(KnownHosts.Status.MATCH, kh.check("other.example", 22, key).status());
        assertEquals(
                KnownHosts.Status.MATCH,
                file(line("b?x.example", key)).check("box.example", 22, key).status());
    }

    @Test
    void aCommentInAnotherEncodingDoesNotStopTheFile() throws Exception {
        PublicKey key = ec();
        Path p = dir.resolve("latin1");
        Files.write(p, ("# caf\u00e9\n" + line("box.example", key) + "\n").getBytes(StandardCharsets.ISO_8859_1));
        assertEquals(
                KnownHosts.Status.MATCH,
                new KnownHosts(p).check("box.example", 22, key).status());
    }

    /** Host certificates are not checked here, so a host only a @cert-authority names is not taken as new. */
    @Test
    void aHostOnlyACertAuthorityNamesIsRefused() throws Exception {
        KnownHosts kh = file("@cert-authority " + line("*.example", ec()));
        assertEquals(
                new KnownHosts.Verdict(KnownHosts.Status.CERTIFICATE, Set.of(), 1), kh.check("box.example", 22, ec()));
    }

    @Test
    void missingFileKnowsNothing() throws Exception {
        KnownHosts kh = new KnownHosts(dir.resolve("absent"));
        assertEquals(new KnownHosts.Verdict(KnownHosts.Status.UNKNOWN, Set.of(), 0), kh.check("h", 22, ec()));
        assertEquals(List.of(), kh.knownTypes("h", 22));
    }

    @Test
    void addAppendsOnANewLineAndCreatesDirectories() throws Exception {
        PublicKey a = ec();
        PublicKey b = ec();
        Path p = dir.resolve("sub/known_hosts");
        KnownHosts kh = new KnownHosts(p);
        kh.add("box.example", 22, a);
        Files.writeString(p, Files.readString(p) + "# no newline at end");
        kh.add("box.example", 2222, b);
        assertEquals(
                line("box.example", a) + "\n# no newline at end\n" + line("[box.example]:2222", b) + "\n",
                Files.readString(p));
        assertEquals(KnownHosts.Status.MATCH, kh.check("box.example", 2222, b).status());
    }
}
