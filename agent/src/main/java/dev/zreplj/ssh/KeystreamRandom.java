package dev.zreplj.ssh;

import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import javax.crypto.Cipher;
import javax.crypto.ShortBufferException;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.apache.sshd.common.random.AbstractRandom;
import org.apache.sshd.common.random.AbstractRandomFactory;
import org.apache.sshd.common.random.Random;
import org.apache.sshd.common.random.RandomFactory;

/**
 * The SSH session's random bytes as an AES-128-CTR keystream under a key and counter drawn once from the
 * system's SecureRandom. MINA takes them for every packet's padding (4 to 19 bytes, 32,768 packets per
 * GiB), the KEXINIT cookie and its rekey jitter; its default (JceRandom) draws each from a NativePRNG, a
 * SHA-1 step and, every other packet, a read of /dev/urandom, and the SHA-1 code is then hot enough for C2
 * to compile it in every agent process (0.25 s of a cold pass's CPU, bench/RESULTS.md). The keystream runs on
 * the AES intrinsics the packets' GCM cipher uses anyway. No secret comes from here: the key exchange's
 * private keys come from the JDK's KeyPairGenerator with its own SecureRandom, and padding is encrypted and
 * authenticated with the packet; OpenSSH fills it from a ChaCha20 keystream (arc4random) the same way.
 */
final class KeystreamRandom extends AbstractRandom {
    private static final String NAME = "zreplj-aes-ctr";

    /** One generator per SSH session, as MINA asks for one per client. */
    static final RandomFactory FACTORY = new AbstractRandomFactory(NAME) {
        @Override
        public boolean isSupported() {
            return true;
        }

        @Override
        public Random create() {
            SecureRandom seed = new SecureRandom();
            byte[] key = new byte[16];
            byte[] counter = new byte[16];
            seed.nextBytes(key);
            seed.nextBytes(counter);
            return new KeystreamRandom(key, counter);
        }
    };

    /** Keystream made at a time: a refill per about 300 packets' padding. */
    static final int CHUNK = 4096;

    private final Cipher ctr;
    private final byte[] zeros = new byte[CHUNK];
    private final byte[] stream = new byte[CHUNK];
    private int next = CHUNK;

    KeystreamRandom(byte[] key, byte[] counter) {
        try {
            ctr = Cipher.getInstance("AES/CTR/NoPadding");
            ctr.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new IvParameterSpec(counter));
        } catch (GeneralSecurityException e) {
            // Every Java runtime has AES/CTR (the JCA's required algorithms).
            throw new IllegalStateException("AES/CTR is not available: " + e.getMessage(), e);
        }
    }

    @Override
    public String getName() {
        return NAME;
    }

    @Override
    public synchronized void fill(byte[] bytes, int start, int len) {
        while (len > 0) {
            if (next == CHUNK) {
                refill();
            }
            int n = Math.min(len, CHUNK - next);
            System.arraycopy(stream, next, bytes, start, n);
            next += n;
            start += n;
            len -= n;
        }
    }

    /** Uniform in [0, n), by rejection as {@link java.util.Random#nextInt(int)} does, from 31 keystream bits. */
    @Override
    public synchronized int random(int n) {
        if (n <= 0) {
            throw new IllegalArgumentException("random(" + n + "): the bound must be positive");
        }
        byte[] word = new byte[4];
        while (true) {
            fill(word, 0, 4);
            int bits = ((word[0] & 0x7f) << 24) | ((word[1] & 0xff) << 16) | ((word[2] & 0xff) << 8) | (word[3] & 0xff);
            int value = bits % n;
            if (bits - value + (n - 1) >= 0) {
                return value;
            }
        }
    }

    private void refill() {
        try {
            ctr.update(zeros, 0, CHUNK, stream, 0);
        } catch (ShortBufferException e) {
            throw new IllegalStateException(e);
        }
        next = 0;
    }
}
