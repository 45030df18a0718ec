package dev.zreplj.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.config.SendOptions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class SendEncryptionTest {
    /** Values zfs reports, and what zfs-fuse (no such property) yields: null or "-". */
    private static final List<String> PLAIN = Arrays.asList("off", "-", "", null);

    private static final List<String> ENCRYPTED = List.of("on", "aes-256-gcm", "aes-128-ccm", "aes-192-gcm");

    private static SendOptions send(boolean encrypted, boolean raw, boolean decrypt) {
        return new SendOptions(encrypted, raw, false, false, false, false, false, decrypt);
    }

    private static List<String> all() {
        List<String> out = new ArrayList<>(PLAIN);
        out.addAll(ENCRYPTED);
        return out;
    }

    @Test
    void defaultSendsPlainFilesystemsAndRefusesEncryptedOnesNamingBothKeys() {
        SendEncryption e = SendEncryption.of(SendOptions.defaults());
        assertFalse(e.raw());
        for (String plain : PLAIN) {
            assertEquals(Optional.empty(), e.refusal(plain), String.valueOf(plain));
        }
        assertEquals(
                Optional.of(
                        "not sent: it is encrypted (encryption=aes-256-gcm) and send.encrypted is not set;"
                                + " set send.encrypted: true to send it raw (the box never sees its key or plaintext), or"
                                + " send.decrypt: true to send it decrypted (needs its key loaded here; the box stores plaintext)"),
                e.refusal("aes-256-gcm"));
        for (String encrypted : ENCRYPTED) {
            assertTrue(e.refusal(encrypted).orElseThrow().contains("(encryption=" + encrypted + ")"), encrypted);
        }
    }

    @Test
    void encryptedSendsEncryptedFilesystemsRawAndRefusesPlainOnes() {
        for (boolean alsoRaw : new boolean[] {false, true}) {
            SendEncryption e = SendEncryption.of(send(true, alsoRaw, false));
            assertTrue(e.raw());
            for (String encrypted : ENCRYPTED) {
                assertEquals(Optional.empty(), e.refusal(encrypted), encrypted);
            }
            for (String plain : PLAIN) {
                assertEquals(
                        Optional.of("not sent: send.encrypted is true but this filesystem is not encrypted;"
                                + " remove it from the filesystems filter, or set send.raw: true (instead of"
                                + " send.encrypted) to send encrypted and unencrypted filesystems alike"),
                        e.refusal(plain),
                        String.valueOf(plain));
            }
        }
    }

    @Test
    void rawSendsEverythingRaw() {
        SendEncryption e = SendEncryption.of(send(false, true, false));
        assertTrue(e.raw());
        for (String any : all()) {
            assertEquals(Optional.empty(), e.refusal(any), String.valueOf(any));
        }
    }

    @Test
    void decryptSendsEverythingAsPlaintext() {
        SendEncryption e = SendEncryption.of(send(false, false, true));
        assertFalse(e.raw());
        for (String any : all()) {
            assertEquals(Optional.empty(), e.refusal(any), String.valueOf(any));
        }
    }

    @Test
    void decryptWithARawOptionIsAContradiction() {
        assertThrows(IllegalArgumentException.class, () -> SendEncryption.of(send(true, false, true)));
        assertThrows(IllegalArgumentException.class, () -> SendEncryption.of(send(false, true, true)));
        assertThrows(IllegalArgumentException.class, () -> SendEncryption.of(send(true, true, true)));
    }

    @Test
    void encryptionValuesAreClassified() {
        for (String plain : PLAIN) {
            assertFalse(SendEncryption.isEncrypted(plain), String.valueOf(plain));
        }
        for (String encrypted : ENCRYPTED) {
            assertTrue(SendEncryption.isEncrypted(encrypted), encrypted);
        }
    }
}
