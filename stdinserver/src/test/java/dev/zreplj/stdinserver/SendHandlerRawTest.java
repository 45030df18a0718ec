package dev.zreplj.stdinserver;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.zfs.DatasetName;
import org.junit.jupiter.api.Test;

/** Which filesystems a restore gets raw: those that arrived raw, not those the box encrypts itself. */
class SendHandlerRawTest {
    private static final DatasetName JAIL = DatasetName.of("box/sink/laptop");

    @Test
    void anUnencryptedFilesystemGoesPlain() {
        assertFalse(SendHandler.sentRaw(JAIL, "off", "-"));
        assertFalse(SendHandler.sentRaw(JAIL, "-", "-"));
        assertFalse(SendHandler.sentRaw(JAIL, null, null));
    }

    @Test
    void oneEncryptedWithTheClientsKeyGoesRaw() {
        assertTrue(SendHandler.sentRaw(JAIL, "aes-256-gcm", "box/sink/laptop/tank/secret"));
    }

    @Test
    void oneTheBoxEncryptsWithItsOwnKeyGoesPlainAsItArrived() {
        assertFalse(SendHandler.sentRaw(JAIL, "aes-256-gcm", "box/sink"), "below an encrypted root_fs");
        assertFalse(SendHandler.sentRaw(JAIL, "aes-256-gcm", "box"), "an encrypted pool");
        assertFalse(SendHandler.sentRaw(JAIL, "aes-256-gcm", "box/sink/laptop"), "the jail made encrypted by hand");
    }

    @Test
    void anEncryptedOneWhoseRootIsUnknownOrElsewhereGoesRaw() {
        assertTrue(SendHandler.sentRaw(JAIL, "aes-256-gcm", "-"));
        assertTrue(SendHandler.sentRaw(JAIL, "aes-256-gcm", null));
        assertTrue(SendHandler.sentRaw(JAIL, "aes-256-gcm", "box/sink/laptopx/a"), "not below this jail");
        assertTrue(SendHandler.sentRaw(JAIL, "aes-256-gcm", "other/pool"), "outside the sink: not the box's root_fs");
    }
}
