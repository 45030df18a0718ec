package dev.zreplj.protocol;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.type.LogicalType;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;

/**
 * JSON of the control messages, each mapped to one record. Strict where it guards correctness (no
 * missing fields, no nulls for numbers, no "123" for a number nor 123 for a text, one value per frame); lenient about
 * unknown fields so a later minor addition, announced by a capability, does not break an older peer.
 */
final class Json {
    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
            // ALLOW_COERCION_OF_SCALARS leaves text alone: Jackson would still read 123 or true as "123", "true".
            .withCoercionConfig(LogicalType.Textual, c -> c
                    .setCoercion(CoercionInputShape.Integer, CoercionAction.Fail)
                    .setCoercion(CoercionInputShape.Float, CoercionAction.Fail)
                    .setCoercion(CoercionInputShape.Boolean, CoercionAction.Fail))
            .build();

    private Json() {
    }

    static byte[] encode(Object message) {
        try {
            return MAPPER.writeValueAsBytes(message);
        } catch (JsonProcessingException e) {
            // Our own records always serialize; reaching here is a programming error.
            throw new IllegalStateException("cannot encode " + message.getClass().getSimpleName(), e);
        }
    }

    static <T> T decode(byte[] buffer, int length, Class<T> type, FrameType frame) throws ProtocolException {
        try {
            T value = MAPPER.readValue(buffer, 0, length, type);
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
        return m.length() > 200 ? m.substring(0, 200) + "..." : m;
    }
}
