package dev.zreplj.zfs.testing;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.zip.Deflater;

/** Resume tokens as OpenZFS writes them (checked against real ones in ResumeTokenTest), for tests elsewhere. */
public final class ResumeTokens {
    private ResumeTokens() {}

    /** A token for {@code toName} (full when {@code fromGuid} is 0) with {@code bytes} received. */
    public static String of(long toGuid, long fromGuid, String toName, long bytes) {
        return of(toGuid, fromGuid, toName, bytes, false);
    }

    /** The same, with {@code rawok} (a raw stream's token, as zfs send -w leaves it) when {@code raw}. */
    public static String of(long toGuid, long fromGuid, String toName, long bytes, boolean raw) {
        ByteArrayOutputStream nv = new ByteArrayOutputStream();
        nv.writeBytes(new byte[] {0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0});
        if (fromGuid != 0) {
            uint64(nv, "fromguid", fromGuid);
        }
        uint64(nv, "object", 2);
        uint64(nv, "offset", 0);
        uint64(nv, "bytes", bytes);
        uint64(nv, "toguid", toGuid);
        pair(nv, "toname", 9, 1, (toName + "\0").getBytes(StandardCharsets.UTF_8));
        if (raw) {
            pair(nv, "rawok", 1, 0, new byte[0]); // DATA_TYPE_BOOLEAN: a flag, no value
        }
        nv.writeBytes(new byte[4]);
        byte[] packed = nv.toByteArray();
        Deflater d = new Deflater();
        d.setInput(packed);
        d.finish();
        byte[] buf = new byte[4096];
        int n = d.deflate(buf);
        d.end();
        long sum = 0;
        ByteBuffer b = ByteBuffer.wrap(buf, 0, n).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i + 4 <= n; i += 4) {
            sum += b.getInt(i) & 0xffffffffL;
        }
        return "1-" + Long.toHexString(sum) + "-" + Long.toHexString(packed.length) + "-"
                + HexFormat.of().formatHex(buf, 0, n);
    }

    private static void uint64(ByteArrayOutputStream out, String name, long value) {
        pair(
                out,
                name,
                8,
                1,
                ByteBuffer.allocate(8)
                        .order(ByteOrder.LITTLE_ENDIAN)
                        .putLong(value)
                        .array());
    }

    private static void pair(ByteArrayOutputStream out, String name, int type, int count, byte[] value) {
        byte[] n = (name + "\0").getBytes(StandardCharsets.UTF_8);
        int nameSpace = (n.length + 7) & ~7;
        int size = 16 + nameSpace + ((value.length + 7) & ~7);
        ByteBuffer b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(size)
                .putShort((short) n.length)
                .putShort((short) 0)
                .putInt(count)
                .putInt(type);
        b.put(n).position(16 + nameSpace);
        b.put(value);
        out.writeBytes(b.array());
    }
}
