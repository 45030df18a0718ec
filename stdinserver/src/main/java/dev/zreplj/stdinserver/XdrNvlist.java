package dev.zreplj.stdinserver;

import dev.zreplj.protocol.Printable;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A packed nvlist in OpenZFS's XDR encoding (libnvpair {@code nvs_xdr}), as {@code zfs send -p/-b} writes
 * it into a compound stream's first BEGIN record; the box reads it from a client, so the parser is strict
 * and bounded. Layout: a 4-byte header (encoding 1 = XDR, endian, two reserved), then the nvlist: version
 * and flags (XDR ints), pairs, and an end marker of two zero ints. A pair: encoded size, decoded size
 * (ints), name (XDR string: length, bytes, padding to 4), data type, element count, value. Only the types
 * such a header holds are read: BOOLEAN (a flag, no value), UINT64, STRING and a nested NVLIST; every
 * other type is refused, as are names or strings over their caps, nesting deeper than {@link #MAX_DEPTH},
 * more than {@link #MAX_PAIRS} pairs, a size field that disagrees with the bytes, and trailing bytes.
 */
final class XdrNvlist {
    /** Deep enough for fss / filesystem / snapprops / snapshot / property. */
    static final int MAX_DEPTH = 6;
    /** zfs's own caps: ZFS_MAX_DATASET_NAME_LEN and ZAP_MAXVALUELEN-ish property values. */
    static final int MAX_NAME = 256;

    static final int MAX_STRING = 8192;
    static final int MAX_PAIRS = 200_000;

    private static final int ENCODE_XDR = 1;
    private static final int TYPE_BOOLEAN = 1;
    private static final int TYPE_UINT64 = 8;
    private static final int TYPE_STRING = 9;
    private static final int TYPE_NVLIST = 19;

    /** One value; {@link Flag} is DATA_TYPE_BOOLEAN, which is present or absent and has no value. */
    sealed interface Value permits Flag, U64, Str, Nested {}

    record Flag() implements Value {}

    record U64(long value) implements Value {}

    record Str(String value) implements Value {}

    record Nested(Map<String, Value> pairs) implements Value {
        Nested {
            pairs = Collections.unmodifiableMap(new LinkedHashMap<>(pairs));
        }
    }

    /** Thrown for anything the parser does not accept; the message says what and where. */
    static final class Invalid extends Exception {
        Invalid(String message) {
            super(message);
        }
    }

    private final ByteBuffer b;
    private int pairs;

    private XdrNvlist(byte[] bytes, int offset, int length) {
        this.b = ByteBuffer.wrap(bytes, offset, length).slice().order(ByteOrder.BIG_ENDIAN);
    }

    /** Parses the whole of {@code bytes[offset, offset + length)}: one nvlist, nothing after it. */
    static Map<String, Value> parse(byte[] bytes, int offset, int length) throws Invalid {
        XdrNvlist p = new XdrNvlist(bytes, offset, length);
        if (length < 4) {
            throw new Invalid("the nvlist is " + length + " bytes long, too short for its header");
        }
        int encoding = p.b.get() & 0xff;
        p.b.get(); // the sender's endianness: XDR is big-endian whatever it says
        p.b.get();
        p.b.get();
        if (encoding != ENCODE_XDR) {
            throw new Invalid("the nvlist is not XDR-encoded (encoding " + encoding + ")");
        }
        Map<String, Value> top = p.list(1);
        if (p.b.hasRemaining()) {
            throw new Invalid(p.b.remaining() + " bytes follow the nvlist's end");
        }
        return top;
    }

    private Map<String, Value> list(int depth) throws Invalid {
        if (depth > MAX_DEPTH) {
            throw new Invalid("the nvlist nests deeper than " + MAX_DEPTH + " levels");
        }
        int version = integer("version");
        integer("flags");
        if (version != 0) {
            throw new Invalid("nvlist version " + version + " is unknown");
        }
        Map<String, Value> out = new LinkedHashMap<>();
        while (true) {
            int start = b.position();
            int encodedSize = integer("pair size");
            int decodedSize = integer("pair size");
            if (encodedSize == 0 && decodedSize == 0) {
                return out;
            }
            if (encodedSize <= 0 || decodedSize <= 0) {
                // libnvpair ends a list where the decoded size alone is 0: with the pairs behind it read here
                // but not by zfs, what the box checks (not_recursive, say) would not be what zfs acts on.
                throw new Invalid("a pair's sizes (encoded " + encodedSize + ", decoded " + decodedSize
                        + ") are neither a pair nor the list's end marker");
            }
            if (++pairs > MAX_PAIRS) {
                throw new Invalid("the nvlist has more than " + MAX_PAIRS + " pairs");
            }
            if (encodedSize < 0 || encodedSize > b.limit() - start) {
                throw new Invalid("a pair's size " + encodedSize + " runs past the nvlist's end");
            }
            String name = string("pair name", MAX_NAME);
            if (out.containsKey(name)) {
                throw new Invalid("the name '" + Printable.of(name) + "' occurs twice");
            }
            int type = integer("data type of '" + name + "'");
            int elements = integer("element count of '" + name + "'");
            Value value = switch (type) {
                case TYPE_BOOLEAN -> {
                    expectElements(name, elements, 0);
                    yield new Flag();
                }
                case TYPE_UINT64 -> {
                    expectElements(name, elements, 1);
                    need(8, name);
                    yield new U64(b.getLong());
                }
                case TYPE_STRING -> {
                    expectElements(name, elements, 1);
                    yield new Str(string("value of '" + name + "'", MAX_STRING));
                }
                case TYPE_NVLIST -> {
                    expectElements(name, elements, 1);
                    yield new Nested(list(depth + 1));
                }
                default ->
                    throw new Invalid("'" + Printable.of(name) + "' has data type " + type
                            + ", which a send stream's properties never use");
            };
            if (b.position() - start != encodedSize) {
                throw new Invalid("the pair '" + Printable.of(name) + "' says it is " + encodedSize
                        + " bytes long but is " + (b.position() - start));
            }
            out.put(name, value);
        }
    }

    private void expectElements(String name, int elements, int expected) throws Invalid {
        if (elements != expected) {
            throw new Invalid("'" + Printable.of(name) + "' has " + elements + " elements, expected " + expected);
        }
    }

    private int integer(String what) throws Invalid {
        need(4, what);
        return b.getInt();
    }

    private String string(String what, int cap) throws Invalid {
        int length = integer(what);
        if (length < 0 || length > cap) {
            throw new Invalid(
                    "the " + what + " is " + Integer.toUnsignedString(length) + " bytes long, over the cap of " + cap);
        }
        int padded = (length + 3) & ~3;
        need(padded, what);
        byte[] raw = new byte[length];
        b.get(raw);
        b.position(b.position() + padded - length);
        for (byte x : raw) {
            if (x == 0) {
                // libnvpair hands zfs C strings, which end at the first zero byte: a name "mountpoint\0x" is
                // mountpoint to zfs but not to a check that compares all of it. No honest stream has one.
                throw new Invalid("the " + what + " holds a zero byte, where zfs would cut it short");
            }
        }
        try {
            return StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(raw))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new Invalid("the " + what + " is not UTF-8");
        }
    }

    private void need(int n, String what) throws Invalid {
        if (b.remaining() < n) {
            throw new Invalid("the nvlist ends inside the " + what);
        }
    }
}
