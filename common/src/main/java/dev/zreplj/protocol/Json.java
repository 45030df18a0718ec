package dev.zreplj.protocol;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.zreplj.json.RecordJson;
import java.io.IOException;

/**
 * JSON of the control messages, each mapped to one record ({@link RecordJson}: strict about what guards
 * correctness, lenient about unknown fields so a later minor addition, announced by a capability, does not
 * break an older peer).
 */
final class Json {
    private Json() {}

    static byte[] encode(Record message) {
        return RecordJson.write(message, false);
    }

    static <T extends Record> T decode(byte[] buffer, int length, Class<T> type, FrameType frame)
            throws ProtocolException {
        // Jackson skips a leading UTF-8 byte order mark; the protocol's JSON is plain UTF-8 (RFC 8259 8.1), and
        // strict decoding means one spelling of a message, so a BOM is a protocol error like any other junk.
        if (length >= 3 && buffer[0] == (byte) 0xEF && buffer[1] == (byte) 0xBB && buffer[2] == (byte) 0xBF) {
            throw new ProtocolException(
                    frame + " frame does not fit its message: it starts with a UTF-8 byte order mark");
        }
        try {
            T value = RecordJson.read(buffer, 0, length, type, true);
            if (value == null) {
                throw new ProtocolException(frame + " frame carries JSON null instead of an object");
            }
            return value;
        } catch (ProtocolException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new ProtocolException(frame + " frame does not fit its message: " + oneLine(e));
        }
    }

    private static String oneLine(Exception e) {
        String m = e instanceof JsonProcessingException jpe ? jpe.getOriginalMessage() : e.getMessage();
        if (m == null) {
            m = e.getClass().getSimpleName();
        }
        m = m.strip().lines().findFirst().orElse("");
        // Jackson names its own switches ("; `DeserializationFeature.X` enabled"): noise for a user.
        int feature = m.indexOf("; `");
        if (feature > 0) {
            m = m.substring(0, feature);
        }
        // The decoder quotes the peer's value ("'type' has no value ..."): a hostile box's text, which goes into the
        // agent's summary, status file and journal, so it is escaped as an ERROR's text is.
        m = Printable.of(m);
        return m.length() > 200 ? m.substring(0, 200) + "..." : m;
    }
}
