package dev.zreplj.stdinserver;

import dev.zreplj.zfs.DatasetName;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The encryption a placeholder gets, by the sink job's {@code recv.placeholder.encryption} (zrepl's):
 * {@code inherit} creates it without an encryption property, so it inherits its parent's (below an
 * encrypted parent, plain streams received under it are then encrypted with the box's key, which must be
 * loaded); {@code off} creates it with {@code encryption=off}. zrepl refuses to create a placeholder at all
 * while the setting is {@code unspecified}; zreplj refuses only where the choice matters, below an
 * encrypted parent, since below an unencrypted one both values create the same unencrypted filesystem.
 * The jail itself always inherits, as zrepl's client-identity filesystem does. Pure.
 */
final class PlaceholderEncryption {
    static final String UNSPECIFIED = "unspecified";
    static final String INHERIT = "inherit";
    static final String OFF = "off";

    private PlaceholderEncryption() {}

    /** Create {@code placeholder} with these properties, and its encryption is then {@code encryption}. */
    record Create(Map<String, String> properties, String encryption) {
        Create {
            properties = Map.copyOf(properties);
        }
    }

    /**
     * @param parentEncryption the parent's {@code encryption} property; null where zfs has no encryption
     *                         (zfs-fuse), which counts as off and sets no encryption property
     * @throws Refused where the setting leaves open what the placeholder should be
     */
    static Create decide(
            String setting,
            DatasetName placeholder,
            DatasetName parent,
            String parentEncryption,
            Map<String, String> baseProperties)
            throws Refused {
        Map<String, String> properties = new LinkedHashMap<>(baseProperties);
        boolean parentEncrypted = isEncrypted(parentEncryption);
        switch (setting) {
            case OFF -> {
                if (parentEncryption == null) {
                    return new Create(properties, null);
                }
                properties.put("encryption", OFF);
                return new Create(properties, OFF);
            }
            case INHERIT -> {
                return new Create(properties, parentEncryption);
            }
            case UNSPECIFIED -> {
                if (parentEncrypted) {
                    throw new Refused("cannot create the placeholder " + placeholder + ": its parent " + parent
                            + " is encrypted (encryption=" + parentEncryption + ") and the sink job's"
                            + " recv.placeholder.encryption is unspecified; set it to 'inherit' (the placeholder"
                            + " and what is received decrypted below it are encrypted with " + parent + "'s key,"
                            + " which must be loaded) or 'off' (the placeholder is not encrypted)");
                }
                return new Create(properties, parentEncryption);
            }
            default -> throw new IllegalArgumentException("recv.placeholder.encryption '" + setting + "'");
        }
    }

    static boolean isEncrypted(String encryption) {
        return encryption != null && !encryption.isEmpty() && !encryption.equals("-") && !encryption.equals(OFF);
    }

    /** The sink's config leaves a placeholder's encryption open; the message says what to set. */
    static final class Refused extends Exception {
        Refused(String message) {
            super(message);
        }
    }
}
