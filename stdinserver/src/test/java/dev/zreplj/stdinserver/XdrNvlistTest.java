package dev.zreplj.stdinserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.zreplj.stdinserver.XdrNvlist.Flag;
import dev.zreplj.stdinserver.XdrNvlist.Nested;
import dev.zreplj.stdinserver.XdrNvlist.Str;
import dev.zreplj.stdinserver.XdrNvlist.U64;
import dev.zreplj.stdinserver.XdrNvlist.Value;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class XdrNvlistTest {

    /**
     * Encodes an nvlist as libnvpair's nvs_xdr does: Boolean.TRUE a flag (DATA_TYPE_BOOLEAN), Long a UINT64,
     * String a STRING, Map a nested NVLIST, Integer an INT32 (a type the box refuses).
     */
    static byte[] encode(Map<String, ?> list) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[] {1, 1, 0, 0});
        out.writeBytes(body(list));
        return out.toByteArray();
    }

    private static byte[] body(Map<String, ?> list) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(ints(0, 1));
        for (Map.Entry<String, ?> e : list.entrySet()) {
            ByteArrayOutputStream pair = new ByteArrayOutputStream();
            pair.writeBytes(string(e.getKey()));
            Object v = e.getValue();
            if (v instanceof Boolean) {
                pair.writeBytes(ints(1, 0));
            } else if (v instanceof Long l) {
                pair.writeBytes(ints(8, 1));
                pair.writeBytes(ByteBuffer.allocate(8).putLong(l).array());
            } else if (v instanceof String s) {
                pair.writeBytes(ints(9, 1));
                pair.writeBytes(string(s));
            } else if (v instanceof Map<?, ?> m) {
                pair.writeBytes(ints(19, 1));
                @SuppressWarnings("unchecked")
                Map<String, ?> nested = (Map<String, ?>) m;
                pair.writeBytes(body(nested));
            } else if (v instanceof Integer i) {
                pair.writeBytes(ints(5, 1));
                pair.writeBytes(ints(i));
            }
            byte[] p = pair.toByteArray();
            out.writeBytes(ints(p.length + 8, p.length + 8));
            out.writeBytes(p);
        }
        out.writeBytes(ints(0, 0));
        return out.toByteArray();
    }

    private static byte[] ints(int... values) {
        ByteBuffer b = ByteBuffer.allocate(4 * values.length);
        for (int v : values) {
            b.putInt(v);
        }
        return b.array();
    }

    private static byte[] string(String s) {
        byte[] raw = s.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(4 + ((raw.length + 3) & ~3));
        b.putInt(raw.length).put(raw);
        return b.array();
    }

    static Map<String, Object> map(Object... keyValues) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < keyValues.length; i += 2) {
            m.put((String) keyValues[i], keyValues[i + 1]);
        }
        return m;
    }

    private static Map<String, Value> parse(byte[] b) throws XdrNvlist.Invalid {
        return XdrNvlist.parse(b, 0, b.length);
    }

    @Test
    void readsFlagsNumbersStringsAndNestedLists() throws Exception {
        Map<String, Value> got = parse(encode(map(
                "tosnap",
                "zrepl_1",
                "not_recursive",
                true,
                "fss",
                map("0x12", map("name", "tank/home", "parentfromsnap", 0L, "props", map("compression", 15L))))));
        assertEquals(new Str("zrepl_1"), got.get("tosnap"));
        assertEquals(new Flag(), got.get("not_recursive"));
        Nested fs = (Nested) ((Nested) got.get("fss")).pairs().get("0x12");
        assertEquals(new U64(15), ((Nested) fs.pairs().get("props")).pairs().get("compression"));
        assertEquals("tank/home", ((Str) fs.pairs().get("name")).value());
    }

    @Test
    void aTypeNoSendHeaderUsesIsRefused() {
        XdrNvlist.Invalid e = assertThrows(XdrNvlist.Invalid.class, () -> parse(encode(map("x", 5))));
        assertEquals("'x' has data type 5, which a send stream's properties never use", e.getMessage());
    }

    /**
     * libnvpair ends a list at a pair whose decoded size alone is 0. A hostile header that put not_recursive
     * behind such a marker showed the box a non-recursive stream while zfs read a replication (-R) one, whose
     * recv -F destroys the target's snapshots the stream does not name.
     */
    @Test
    void aPairWithOneSizeZeroIsRefusedNotReadPast() {
        byte[] b = encode(map("fromsnap", "a", "not_recursive", true));
        int second = 12 + ByteBuffer.wrap(b, 12, 4).getInt(); // header, version, flags, then the first pair
        byte[] decodedZero = b.clone();
        ByteBuffer.wrap(decodedZero).putInt(second + 4, 0);
        XdrNvlist.Invalid e = assertThrows(XdrNvlist.Invalid.class, () -> parse(decodedZero));
        assertEquals(
                "a pair's sizes (encoded " + ByteBuffer.wrap(b, second, 4).getInt()
                        + ", decoded 0) are neither a pair nor the list's end marker",
                e.getMessage());
        byte[] encodedZero = b.clone();
        ByteBuffer.wrap(encodedZero).putInt(second, 0);
        assertThrows(XdrNvlist.Invalid.class, () -> parse(encodedZero));
    }

    /**
     * zfs reads names and values as C strings, cut at the first zero byte: "mountpoint\0" is mountpoint to zfs.
     * A box that compared the whole name let a property stream set mountpoint (zfs-fuse mounts what it
     * receives, having no recv -u or -x), so every string with a zero byte is refused.
     */
    @Test
    void aZeroByteInANameOrValueIsRefused() {
        XdrNvlist.Invalid e = assertThrows(
                XdrNvlist.Invalid.class, () -> parse(encode(map("props", map("mountpoint\0", "/usr/local/sbin")))));
        assertEquals("the pair name holds a zero byte, where zfs would cut it short", e.getMessage());
        e = assertThrows(XdrNvlist.Invalid.class, () -> parse(encode(map("tosnap", "a\0b"))));
        assertEquals("the value of 'tosnap' holds a zero byte, where zfs would cut it short", e.getMessage());
    }

    @Test
    void nestingIsCapped() throws Exception {
        Map<String, Object> deep = map("leaf", 1L);
        for (int i = 1; i < XdrNvlist.MAX_DEPTH; i++) {
            deep = map("n", deep);
        }
        parse(encode(deep));
        XdrNvlist.Invalid e = assertThrows(
                XdrNvlist.Invalid.class,
                () -> parse(encode(map("n", map("n", map("n", map("n", map("n", map("n", map("leaf", 1L))))))))));
        assertEquals("the nvlist nests deeper than 6 levels", e.getMessage());
    }

    @Test
    void stringsAndNamesAreCapped() {
        XdrNvlist.Invalid e = assertThrows(
                XdrNvlist.Invalid.class, () -> parse(encode(map("p", "x".repeat(XdrNvlist.MAX_STRING + 1)))));
        assertEquals("the value of 'p' is 8193 bytes long, over the cap of 8192", e.getMessage());
        e = assertThrows(XdrNvlist.Invalid.class, () -> parse(encode(map("n".repeat(257), 1L))));
        assertEquals("the pair name is 257 bytes long, over the cap of 256", e.getMessage());
    }

    @Test
    void aHugeLengthFieldIsRefusedBeforeAnythingIsAllocated() {
        byte[] b = encode(map("p", "value"));
        ByteBuffer.wrap(b).putInt(4 + 8 + 8 + 8 + 8, 0x7fffffff); // the string's length field
        XdrNvlist.Invalid e = assertThrows(XdrNvlist.Invalid.class, () -> parse(b));
        assertEquals("the value of 'p' is 2147483647 bytes long, over the cap of 8192", e.getMessage());
    }

    @Test
    void truncatedTrailingDuplicateOrMissizedListsAreRefused() {
        byte[] b = encode(map("a", 1L, "b", "x"));
        XdrNvlist.Invalid e = assertThrows(XdrNvlist.Invalid.class, () -> parse(Arrays.copyOf(b, b.length - 6)));
        assertEquals("the nvlist ends inside the pair size", e.getMessage());
        e = assertThrows(XdrNvlist.Invalid.class, () -> parse(Arrays.copyOf(b, b.length + 4)));
        assertEquals("4 bytes follow the nvlist's end", e.getMessage());
        byte[] twice = encode(map("a", 1L, "b", 2L));
        // the second pair's name "b" becomes "a": header 4, version and flags 8, first pair 32, sizes 8, length 4
        assertEquals('b', twice[4 + 8 + 32 + 8 + 4]);
        twice[4 + 8 + 32 + 8 + 4] = 'a';
        e = assertThrows(XdrNvlist.Invalid.class, () -> parse(twice));
        assertEquals("the name 'a' occurs twice", e.getMessage());
        byte[] sized = encode(map("a", 1L));
        ByteBuffer.wrap(sized).putInt(12, 40); // encoded size: the pair is 32 bytes
        e = assertThrows(XdrNvlist.Invalid.class, () -> parse(sized));
        assertEquals("the pair 'a' says it is 40 bytes long but is 32", e.getMessage());
        byte[] native_ = encode(map("a", 1L));
        native_[0] = 0;
        e = assertThrows(XdrNvlist.Invalid.class, () -> parse(native_));
        assertEquals("the nvlist is not XDR-encoded (encoding 0)", e.getMessage());
    }
}
