package dev.zreplj.agent;

import dev.zreplj.config.SendOptions;
import java.util.Optional;

/**
 * Which filesystems a push job may send, and how, given their {@code encryption} property. zrepl's rules:
 * {@code send.encrypted: true} sends encrypted filesystems raw ({@code zfs send -w}, so the box never
 * sees a key or plaintext) and refuses unencrypted ones; {@code send.raw: true} sends everything raw.
 * Ours on top: without either, an encrypted filesystem is refused unless {@code send.decrypt: true}
 * asks for a plaintext send, so plaintext never reaches the box by accident. Pure.
 *
 * <p>Every filesystem that is sent at all is sent the same way ({@link #raw()}); only the refusals
 * differ per filesystem.
 */
public final class SendEncryption {
    private final boolean encryptedOnly;
    private final boolean raw;
    private final boolean decrypt;

    private SendEncryption(boolean encryptedOnly, boolean raw, boolean decrypt) {
        this.encryptedOnly = encryptedOnly;
        this.raw = raw;
        this.decrypt = decrypt;
    }

    public static SendEncryption of(SendOptions send) {
        if (send.decrypt() && (send.encrypted() || send.raw())) {
            // The config loader refuses this combination; a caller building options by hand gets told too.
            throw new IllegalArgumentException("send.decrypt contradicts send.encrypted and send.raw");
        }
        return new SendEncryption(send.encrypted(), send.encrypted() || send.raw(), send.decrypt());
    }

    /** Whether sends are raw ({@code zfs send -w}). */
    public boolean raw() {
        return raw;
    }

    /**
     * Why a filesystem must not be sent, or empty when it may be.
     *
     * @param encryption its {@code encryption} property ({@code off}, {@code aes-256-gcm}, ...); null or
     *                   {@code -} where the zfs has no encryption (zfs-fuse): that counts as off
     */
    public Optional<String> refusal(String encryption) {
        boolean encrypted = isEncrypted(encryption);
        if (encryptedOnly && !encrypted) {
            return Optional.of("not sent: send.encrypted is true but this filesystem is not encrypted; remove it"
                    + " from the filesystems filter, or set send.raw: true (instead of send.encrypted) to send"
                    + " encrypted and unencrypted filesystems alike");
        }
        if (encrypted && !raw && !decrypt) {
            return Optional.of("not sent: it is encrypted (encryption=" + encryption + ") and send.encrypted is"
                    + " not set; set send.encrypted: true to send it raw (the box never sees its key or"
                    + " plaintext), or send.decrypt: true to send it decrypted (needs its key loaded here; the"
                    + " box stores plaintext)");
        }
        return Optional.empty();
    }

    static boolean isEncrypted(String encryption) {
        return encryption != null && !encryption.isEmpty() && !encryption.equals("-") && !encryption.equals("off");
    }
}
