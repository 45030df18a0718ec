package dev.zreplj.stdinserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.zfs.DatasetName;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PlaceholderEncryptionTest {
    private static final DatasetName PARENT = DatasetName.of("box/sink/laptop/tank");
    private static final DatasetName PLACEHOLDER = DatasetName.of("box/sink/laptop/tank/home");
    private static final Map<String, String> BASE = Placeholders.PLACEHOLDER_PROPERTIES;
    private static final List<String> PLAIN_PARENTS = Arrays.asList("off", "-", null);
    private static final List<String> ENCRYPTED_PARENTS = List.of("aes-256-gcm", "aes-128-ccm");

    private static Map<String, String> with(String key, String value) {
        Map<String, String> m = new LinkedHashMap<>(BASE);
        m.put(key, value);
        return m;
    }

    private static PlaceholderEncryption.Create decide(String setting, String parent) throws Exception {
        return PlaceholderEncryption.decide(setting, PLACEHOLDER, PARENT, parent, BASE);
    }

    @Test
    void offSetsEncryptionOffWhereZfsHasEncryptionWhateverTheParent() throws Exception {
        for (String parent : List.of("off", "-", "aes-256-gcm", "aes-128-ccm")) {
            PlaceholderEncryption.Create c = decide("off", parent);
            assertEquals(with("encryption", "off"), c.properties(), parent);
            assertEquals("off", c.encryption());
        }
        PlaceholderEncryption.Create fuse = decide("off", null);
        assertEquals(BASE, fuse.properties(), "zfs-fuse has no encryption property to set");
        assertNull(fuse.encryption());
    }

    @Test
    void inheritSetsNothingAndTakesTheParentsEncryption() throws Exception {
        for (String parent : Arrays.asList("off", "-", null, "aes-256-gcm")) {
            PlaceholderEncryption.Create c = decide("inherit", parent);
            assertEquals(BASE, c.properties(), String.valueOf(parent));
            assertEquals(parent, c.encryption());
        }
    }

    @Test
    void unspecifiedCreatesBelowAnUnencryptedParentAsBothValuesWould() throws Exception {
        for (String parent : PLAIN_PARENTS) {
            PlaceholderEncryption.Create c = decide("unspecified", parent);
            assertEquals(BASE, c.properties(), String.valueOf(parent));
            assertEquals(parent, c.encryption());
            assertFalse(PlaceholderEncryption.isEncrypted(c.encryption()));
        }
    }

    @Test
    void unspecifiedRefusesBelowAnEncryptedParentSayingWhatToSet() {
        for (String parent : ENCRYPTED_PARENTS) {
            PlaceholderEncryption.Refused e =
                    assertThrows(PlaceholderEncryption.Refused.class, () -> decide("unspecified", parent));
            assertEquals(
                    "cannot create the placeholder box/sink/laptop/tank/home: its parent box/sink/laptop/tank"
                            + " is encrypted (encryption=" + parent
                            + ") and the sink job's recv.placeholder.encryption is"
                            + " unspecified; set it to 'inherit' (the placeholder and what is received decrypted below it"
                            + " are encrypted with box/sink/laptop/tank's key, which must be loaded) or 'off' (the"
                            + " placeholder is not encrypted)",
                    e.getMessage());
        }
    }

    @Test
    void anUnknownSettingIsABug() {
        assertThrows(IllegalArgumentException.class, () -> decide("on", "off"));
    }

    @Test
    void encryptionValuesAreClassified() {
        assertTrue(PlaceholderEncryption.isEncrypted("aes-256-gcm"));
        assertTrue(PlaceholderEncryption.isEncrypted("on"));
        for (String plain : Arrays.asList("off", "-", "", null)) {
            assertFalse(PlaceholderEncryption.isEncrypted(plain), String.valueOf(plain));
        }
    }
}
