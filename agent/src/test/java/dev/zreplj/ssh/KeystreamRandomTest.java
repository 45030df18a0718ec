package dev.zreplj.ssh;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.apache.sshd.common.random.Random;
import org.junit.jupiter.api.Test;

class KeystreamRandomTest {
    private static final byte[] KEY = bytes(16, 1);
    private static final byte[] COUNTER = bytes(16, 100);

    @Test
    void fillsAreTheAesCtrKeystreamInOrderAcrossRefills() throws Exception {
        // The counter's low bytes near their wrap: the JDK's CTR carries into the higher bytes.
        byte[] counter = COUNTER.clone();
        Arrays.fill(counter, 12, 16, (byte) 0xff);
        int total = 3 * KeystreamRandom.CHUNK + 777;
        Cipher reference = Cipher.getInstance("AES/CTR/NoPadding");
        reference.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(KEY, "AES"), new IvParameterSpec(counter));
        byte[] expected = reference.doFinal(new byte[total]);

        KeystreamRandom random = new KeystreamRandom(KEY, counter);
        byte[] got = new byte[total + 10];
        int at = 5;
        // Padding-sized pieces, a piece across a refill, one longer than a whole chunk, then the rest.
        int[] pieces = {4, 19, 16, 7, KeystreamRandom.CHUNK - 46, 40, KeystreamRandom.CHUNK + 300};
        for (int piece : pieces) {
            random.fill(got, at, piece);
            at += piece;
        }
        random.fill(got, at, total + 5 - at);
        assertArrayEquals(expected, Arrays.copyOfRange(got, 5, 5 + total));
        assertArrayEquals(new byte[5], Arrays.copyOfRange(got, 0, 5), "nothing before start written");
        assertArrayEquals(new byte[5], Arrays.copyOfRange(got, total + 5, total + 10), "nothing past len written");
    }

    @Test
    void eachSessionGetsItsOwnKeystream() {
        Random a = KeystreamRandom.FACTORY.create();
        Random b = KeystreamRandom.FACTORY.create();
        byte[] x = new byte[64];
        byte[] y = new byte[64];
        a.fill(x, 0, 64);
        b.fill(y, 0, 64);
        assertFalse(Arrays.equals(x, y));
        assertFalse(Arrays.equals(new byte[64], x));
    }

    @Test
    void randomIsUniformInItsBound() {
        KeystreamRandom random = new KeystreamRandom(KEY, COUNTER);
        assertEquals(0, random.random(1));
        int n = 20;
        int draws = 200_000;
        int[] counts = new int[n];
        for (int i = 0; i < draws; i++) {
            int v = random.random(n);
            assertTrue(v >= 0 && v < n, "random(20) gave " + v);
            counts[v]++;
        }
        // Chi-square with 19 degrees of freedom: above 43.8 has a probability of 0.001 for a uniform source.
        double expected = (double) draws / n;
        double chi = Arrays.stream(counts)
                .mapToDouble(c -> (c - expected) * (c - expected) / expected)
                .sum();
        assertTrue(chi < 43.8, "chi-square " + chi + " for " + Arrays.toString(counts));
        // A bound just above 2^30 rejects almost half of the 31-bit draws; every answer stays below it.
        int big = (1 << 30) + 1;
        for (int i = 0; i < 1000; i++) {
            int v = random.random(big);
            assertTrue(v >= 0 && v < big);
        }
    }

    @Test
    void aBoundBelowOneIsRefused() {
        KeystreamRandom random = new KeystreamRandom(KEY, COUNTER);
        assertEquals(
                "random(0): the bound must be positive",
                assertThrows(IllegalArgumentException.class, () -> random.random(0))
                        .getMessage());
        assertThrows(IllegalArgumentException.class, () -> random.random(-5));
    }

    private static byte[] bytes(int n, int from) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) (from + i);
        }
        return b;
    }
}
