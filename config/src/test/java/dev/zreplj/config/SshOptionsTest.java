package dev.zreplj.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class SshOptionsTest {
    @Test
    void anOptionTheBuiltInClientIgnoresPointsAtOpenSshUnlessZrepljSetsItThereToo() {
        String honours = "in 'options' has no effect in zreplj: it honours only Compression, Ciphers, KexAlgorithms,"
                + " ServerAliveInterval, ServerAliveCountMax and ConnectTimeout; ";
        assertEquals(
                "'ProxyJump' " + honours + "remove it, or set connect.ssh_client: openssh, which hands it to ssh",
                SshOptions.problem("ProxyJump=gw").orElseThrow().message());
        assertEquals(
                "'UserKnownHostsFile' " + honours
                        + "remove it (host keys: connect.known_hosts, connect.host_key_policy)",
                SshOptions.problem("UserKnownHostsFile /dev/null").orElseThrow().message());
        assertEquals(java.util.Optional.empty(), SshOptions.openSshProblem("ProxyJump=gw"));
        // ssh's aliases of what zreplj sets: IdentityFile2 adds a second key, as IdentityFile would (ssh -G).
        for (String alias : List.of("IdentityFile2=/tmp/b", "ChallengeResponseAuthentication=yes")) {
            assertTrue(SshOptions.openSshProblem(alias).isPresent(), alias);
        }
        assertEquals("StrictHostKeyChecking", SshOptions.key(" StrictHostKeyChecking no"));
    }

    /** ssh reads these two in its time format: `ssh -G -o ServerAliveInterval=1m` prints 60. */
    @Test
    void timesTakeSshsUnits() {
        assertEquals(java.util.Optional.of(60), SshOptions.seconds("1m"));
        assertEquals(java.util.Optional.of(5430), SshOptions.seconds("1h30m30"));
        assertEquals(java.util.Optional.of(90), SshOptions.seconds("90"));
        assertEquals(java.util.Optional.of(1209600), SshOptions.seconds("2W"));
        for (String bad : List.of("", "m", "1x", "-3", "1m-", "99999999999", "4000w")) {
            assertEquals(java.util.Optional.empty(), SshOptions.seconds(bad), bad);
        }
        SshOptions o = SshOptions.parse(List.of("ServerAliveInterval=1m", "ConnectTimeout 30s"));
        assertEquals(List.of(), o.ignored());
        assertEquals(java.util.Optional.of(java.time.Duration.ofMinutes(1)), o.keepaliveInterval());
        assertEquals(java.util.Optional.of(java.time.Duration.ofSeconds(30)), o.connectTimeout());
        assertEquals(java.util.Optional.empty(), SshOptions.problem("ServerAliveInterval=1m"));
        assertEquals(
                "ssh option 'ConnectTimeout=soon': ConnectTimeout takes a time (seconds, or with units as ssh reads"
                        + " them: 30s, 1m, 1h30m)",
                SshOptions.problem("ConnectTimeout=soon").orElseThrow().message());
    }

    @Test
    void noOptionsMeansDefaults() {
        SshOptions o = SshOptions.parse(List.of());
        assertEquals(
                new SshOptions(
                        false, List.of(), List.of(), Optional.empty(), Optional.empty(), Optional.empty(), List.of()),
                o);
    }

    @Test
    void understoodOptionsInEverySpellingSshAccepts() {
        SshOptions o = SshOptions.parse(List.of(
                "Compression=yes",
                "ciphers aes256-gcm@openssh.com, aes128-ctr",
                "KexAlgorithms = curve25519-sha256",
                "ServerAliveInterval=15",
                "ServerAliveCountMax=5",
                "ConnectTimeout=7"));
        assertTrue(o.compression());
        assertEquals(List.of("aes256-gcm@openssh.com", "aes128-ctr"), o.ciphers());
        assertEquals(List.of("curve25519-sha256"), o.kexAlgorithms());
        assertEquals(Optional.of(Duration.ofSeconds(15)), o.keepaliveInterval());
        assertEquals(Optional.of(5), o.keepaliveCountMax());
        assertEquals(Optional.of(Duration.ofSeconds(7)), o.connectTimeout());
        assertEquals(List.of(), o.ignored());
    }

    @Test
    void compressionNoAndKeepaliveOff() {
        SshOptions o = SshOptions.parse(List.of("Compression=no", "ServerAliveInterval=0"));
        assertFalse(o.compression());
        assertEquals(Optional.of(Duration.ZERO), o.keepaliveInterval());
        assertEquals(List.of(), o.ignored());
    }

    /** ssh_config(5): "the first obtained value will be used"; ssh -o Compression=yes -o Compression=no compresses. */
    @Test
    void theFirstValueOfAnOptionCountsAsInSsh() {
        SshOptions o = SshOptions.parse(List.of(
                "Compression=yes",
                "Ciphers=aes128-ctr",
                "compression no",
                "CIPHERS=aes256-ctr",
                "ServerAliveInterval=15",
                "ServerAliveInterval=60"));
        assertTrue(o.compression());
        assertEquals(List.of("aes128-ctr"), o.ciphers());
        assertEquals(Optional.of(Duration.ofSeconds(15)), o.keepaliveInterval());
        assertEquals(List.of("compression no", "CIPHERS=aes256-ctr", "ServerAliveInterval=60"), o.ignored());
        assertEquals(Optional.empty(), SshOptions.repeatProblem(List.of("Ciphers=a", "ControlMaster=no"), 1));
        assertEquals(
                "'ServerAliveInterval=60' in 'options' has no effect in zreplj: 'ServerAliveInterval=15' comes first, and ssh"
                        + " takes the first value of each option; remove one",
                SshOptions.repeatProblem(List.of("ServerAliveInterval=15", "ServerAliveInterval=60"), 1)
                        .orElseThrow()
                        .message());
    }

    @Test
    void unknownAndMalformedOptionsAreListedAsGiven() {
        List<String> bad = List.of(
                "ControlMaster=auto",
                "Compression=maybe",
                "ServerAliveInterval=-1",
                "ServerAliveCountMax=0",
                "ConnectTimeout=soon",
                "Ciphers",
                "=x",
                "");
        assertEquals(bad, SshOptions.parse(bad).ignored());
    }
}
