package dev.zreplj.zfs;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.DataFormatException;
import java.util.zip.Inflater;

/**
 * An OpenZFS {@code receive_resume_token}, decoded in Java so that the agent can plan with it and the
 * box can check a resumed stream against its own partial state without asking zfs.
 *
 * <p>Format (OpenZFS libzfs {@code zfs_send_resume_token_to_nvlist}):
 * {@code <version 1>-<checksum hex>-<uncompressed length hex>-<hex of the zlib-compressed nvlist>}; the
 * checksum is the first word of fletcher-4 over the whole 32-bit words of the compressed bytes; the
 * nvlist is packed by the kernel's {@code fnvlist_pack}, i.e. in the NATIVE encoding (not XDR: that is
 * what real tokens from OpenZFS 2.3 hold) in the box's byte order, which its header names. Its pairs:
 * {@code toguid}, {@code toname}, {@code bytes}, {@code object}, {@code offset}, optionally
 * {@code fromguid} and flag pairs ({@code rawok}, {@code compressok}, ...) and others, skipped by size.
 *
 * @param toGuid     the snapshot being received
 * @param fromGuid   the incremental base, 0 for a full stream
 * @param toName     the snapshot's full name on the sender ({@code pool/fs@snap})
 * @param bytes      stream bytes the receiver has already
 * @param raw        the stream was a raw ({@code send -w}) one
 * @param compressed the stream was a compressed ({@code send -c}) one
 * @param text       the token as zfs printed it, for {@code zfs send -t}
 */
public record ResumeToken(
        long toGuid, long fromGuid, String toName, long bytes, boolean raw, boolean compressed, String text) {
    private static final Pattern FORMAT =
            Pattern.compile("(\\d+)-([0-9a-fA-F]{1,16})-([0-9a-fA-F]{1,16})-([0-9a-fA-F]*)");
    /** A token's nvlist holds a handful of pairs; anything near this is not a token. */
    private static final int MAX_PACKED = 1 << 20;

    private static final int NV_ENCODE_NATIVE = 0;
    private static final int NV_LITTLE_ENDIAN = 1;
    /** Encoding, endianness, two reserved bytes, then nvl_version and nvl_nvflag (int32 each). */
    private static final int HEADER = 12;
    /** nvp_size int32, nvp_name_sz int16, nvp_reserve int16, nvp_value_elem int32, nvp_type int32. */
    private static final int PAIR_HEADER = 16;

    private static final int DATA_TYPE_BOOLEAN = 1;
    private static final int DATA_TYPE_UINT64 = 8;
    private static final int DATA_TYPE_STRING = 9;
    private static final int DATA_TYPE_NVLIST = 19;
    private static final int DATA_TYPE_NVLIST_ARRAY = 20;

    /** The snapshot part of {@link #toName}. */
    public String snapshotName() {
        int at = toName.indexOf('@');
        return at < 0 ? toName : toName.substring(at + 1);
    }

    @Override
    public String toString() {
        return "resume token for " + toName + " (" + (fromGuid == 0 ? "full" : "incremental") + ", " + bytes
                + " bytes received)";
    }

    /** Decodes {@code text}; anything that is not a complete, intact token is an {@link InvalidResumeTokenException}. */
    public static ResumeToken decode(String text) throws InvalidResumeTokenException {
        if (text == null || text.isEmpty()) {
            throw invalid("it is empty");
        }
        Matcher m = FORMAT.matcher(text);
        if (!m.matches()) {
            throw invalid("it is not of the form <version>-<checksum>-<length>-<hex payload>");
        }
        if (!m.group(1).equals("1")) {
            throw invalid("version " + m.group(1) + " is not 1, the only version zfs writes");
        }
        long checksum = Long.parseUnsignedLong(m.group(2), 16);
        long packedLength = Long.parseUnsignedLong(m.group(3), 16);
        String hex = m.group(4);
        if (hex.isEmpty() || hex.length() % 2 != 0) {
            throw invalid("its payload has " + hex.length() + " hex digits, not a positive even number");
        }
        if (packedLength <= 0 || packedLength > MAX_PACKED) {
            throw invalid("its uncompressed length " + packedLength + " is out of range");
        }
        byte[] compressed = new byte[hex.length() / 2];
        for (int i = 0; i < compressed.length; i++) {
            compressed[i] = (byte) Integer.parseInt(hex, 2 * i, 2 * i + 2, 16);
        }
        if (!checksumMatches(compressed, checksum)) {
            throw invalid("its checksum does not match its payload (truncated or altered)");
        }
        byte[] packed = inflate(compressed, (int) packedLength);
        return fromNvlist(packed, text);
    }

    /**
     * fletcher-4's first word is the sum of the payload's 32-bit words in the writer's byte order, which
     * the token does not record: either order that matches is the writer's.
     */
    private static boolean checksumMatches(byte[] data, long expected) {
        long little = 0;
        long big = 0;
        for (int i = 0; i + 4 <= data.length; i += 4) {
            long b0 = data[i] & 0xff, b1 = data[i + 1] & 0xff, b2 = data[i + 2] & 0xff, b3 = data[i + 3] & 0xff;
            little += b0 | b1 << 8 | b2 << 16 | b3 << 24;
            big += b3 | b2 << 8 | b1 << 16 | b0 << 24;
        }
        return little == expected || big == expected;
    }

    private static byte[] inflate(byte[] compressed, int length) throws InvalidResumeTokenException {
        Inflater inflater = new Inflater();
        try {
            inflater.setInput(compressed);
            byte[] out = new byte[length];
            int n = 0;
            while (n < length && !inflater.finished()) {
                int r = inflater.inflate(out, n, length - n);
                if (r == 0 && (inflater.needsInput() || inflater.needsDictionary())) {
                    break;
                }
                n += r;
            }
            if (n != length || !inflater.finished()) {
                throw invalid("its payload does not decompress to the " + length + " bytes it announces");
            }
            return out;
        } catch (DataFormatException e) {
            throw invalid("its payload is not zlib data (" + e.getMessage() + ")");
        } finally {
            inflater.end();
        }
    }

    private static ResumeToken fromNvlist(byte[] packed, String text) throws InvalidResumeTokenException {
        if (packed.length < HEADER || packed[0] != NV_ENCODE_NATIVE) {
            throw invalid("its nvlist is not in the native encoding zfs packs tokens with");
        }
        ByteBuffer in = ByteBuffer.wrap(packed)
                .order(packed[1] == NV_LITTLE_ENDIAN ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN);
        Long toGuid = null;
        long fromGuid = 0;
        String toName = null;
        Long bytes = null;
        boolean raw = false;
        boolean compressed = false;
        int at = HEADER;
        Set<String> names = new HashSet<>();
        while (true) {
            if (at + 4 > packed.length) {
                throw invalid("its nvlist ends without its end mark");
            }
            int size = in.getInt(at);
            if (size == 0) {
                break;
            }
            if (size < PAIR_HEADER || size % 8 != 0 || size > packed.length - at) {
                throw invalid("its nvlist has a pair of impossible size " + size + " at offset " + at);
            }
            int nameSize = in.getShort(at + 4);
            int count = in.getInt(at + 8);
            int type = in.getInt(at + 12);
            int valueAt = at + PAIR_HEADER + align8(nameSize);
            if (nameSize < 1 || valueAt > at + size || packed[at + PAIR_HEADER + nameSize - 1] != 0) {
                throw invalid("its nvlist has a pair with a bad name at offset " + at);
            }
            String name = new String(packed, at + PAIR_HEADER, nameSize - 1, StandardCharsets.UTF_8);
            // A nested list's pairs follow its pair inline, beyond the size skipped here, and a name given twice
            // is looked up by zfs in its own way: either would let zfs see another toguid or toname than this
            // check did. zfs's tokens have neither.
            if (type == DATA_TYPE_NVLIST || type == DATA_TYPE_NVLIST_ARRAY) {
                throw invalid("its nvlist nests another list at offset " + at + ", which zfs's tokens never do");
            }
            if (!names.add(name)) {
                throw invalid("its nvlist names a pair twice (at offset " + at + ")");
            }
            if (type == DATA_TYPE_UINT64 && count == 1 && valueAt + 8 <= at + size) {
                long value = in.getLong(valueAt);
                switch (name) {
                    case "toguid" -> toGuid = value;
                    case "fromguid" -> fromGuid = value;
                    case "bytes" -> bytes = value;
                    default -> {}
                }
            } else if (type == DATA_TYPE_STRING && count == 1 && name.equals("toname")) {
                int nul = valueAt;
                while (nul < at + size && packed[nul] != 0) {
                    nul++;
                }
                if (nul == at + size) {
                    throw invalid("its toname is not terminated");
                }
                toName = new String(packed, valueAt, nul - valueAt, StandardCharsets.UTF_8);
            } else if (type == DATA_TYPE_BOOLEAN) {
                raw |= name.equals("rawok");
                compressed |= name.equals("compressok");
            }
            // Every pair is skipped by its size, read or not: unknown types need no decoder.
            at += size;
        }
        if (toGuid == null || toName == null || bytes == null) {
            throw invalid("its nvlist lacks " + (toGuid == null ? "toguid" : toName == null ? "toname" : "bytes"));
        }
        return new ResumeToken(toGuid, fromGuid, toName, bytes, raw, compressed, text);
    }

    private static int align8(int n) {
        return (n + 7) & ~7;
    }

    private static InvalidResumeTokenException invalid(String why) {
        return new InvalidResumeTokenException("invalid zfs resume token: " + why);
    }
}
