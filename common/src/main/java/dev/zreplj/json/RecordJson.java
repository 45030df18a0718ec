package dev.zreplj.json;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Records to JSON and back on jackson-core's streaming parser and generator. Jackson's databind did this
 * before, but its introspection and serializer set-up cost about 0.3 s of CPU on the first message of every
 * process, and the box's forced command is a new process each pass.
 *
 * <p>Strict, because the other side may be hostile: every component must be present (null only where the
 * type is not primitive), numbers only as integers that fit, text only as strings, enums by name, no
 * duplicate fields, nothing after the value. Fields a record does not have are skipped, so that a later
 * addition announced by a capability does not break an older peer ({@link #read} with {@code skipUnknown}).
 * Types: String, int, long, double, boolean and their boxes, enums, {@code List<T>}, {@code Map<String, T>} and
 * records of these.
 *
 * <p>State files ({@link #readState}: the agent's, read as databind read them, and the box's client status) are
 * read so that the files an older zreplj wrote still read: a missing field takes its type's empty value, an
 * unknown one is skipped.
 */
public final class RecordJson {
    private static final JsonFactory FACTORY = new JsonFactory();
    /** Per record class: its components and canonical constructor, looked up once, for each spelling of names. */
    private static final ClassValue<Shape> DECLARED_SHAPES = new ClassValue<>() {
        @Override
        protected Shape computeValue(Class<?> type) {
            return Shape.of(type, Names.DECLARED);
        }
    };

    private static final ClassValue<Shape> SNAKE_CASE_SHAPES = new ClassValue<>() {
        @Override
        protected Shape computeValue(Class<?> type) {
            return Shape.of(type, Names.SNAKE_CASE);
        }
    };

    /** How a record component is named in JSON. */
    public enum Names {
        /** As declared: {@code lastDurationSeconds}. */
        DECLARED,
        /** As databind's SNAKE_CASE naming spelled it: {@code last_duration_seconds}. */
        SNAKE_CASE
    }

    /** What a read accepts beyond a whole, exact match. */
    private record Mode(boolean skipUnknown, boolean defaultMissing, Names names) {}

    private RecordJson() {}

    /** The value as compact JSON, or indented as a file for people to read. */
    public static byte[] write(Record value, boolean indent) {
        return write(value, indent, Names.DECLARED);
    }

    /** {@link #write(Record, boolean)} with the components named as {@code names} spells them. */
    public static byte[] write(Record value, boolean indent, Names names) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        try (JsonGenerator g = FACTORY.createGenerator(out)) {
            if (indent) {
                g.useDefaultPrettyPrinter();
            }
            writeValue(g, value, names);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toByteArray();
    }

    /**
     * A state file this zreplj or an older or newer one wrote: a field the record has and the file lacks (an older
     * zreplj's) takes its type's empty value (null; 0 or false for a number or flag), a field the record lacks (a
     * newer zreplj's, after a downgrade) is skipped. Everything else is as strict as {@link #read}. Null for the JSON
     * literal {@code null}.
     */
    public static <T extends Record> @Nullable T readState(byte[] bytes, Class<T> type, Names names)
            throws IOException {
        return read(bytes, 0, bytes.length, type, new Mode(true, true, names));
    }

    /**
     * The record in {@code bytes[offset, offset + length)}; null for the JSON literal {@code null}.
     *
     * @param skipUnknown skip fields the record does not have, else refuse them
     * @throws IOException a {@link Mismatch} or jackson-core's own parse error, each with a message for people
     */
    public static <T extends Record> @Nullable T read(
            byte[] bytes, int offset, int length, Class<T> type, boolean skipUnknown) throws IOException {
        return read(bytes, offset, length, type, new Mode(skipUnknown, false, Names.DECLARED));
    }

    private static <T extends Record> @Nullable T read(byte[] bytes, int offset, int length, Class<T> type, Mode mode)
            throws IOException {
        try (JsonParser p = FACTORY.createParser(bytes, offset, length)) {
            JsonToken first = p.nextToken();
            if (first == null) {
                throw new Mismatch("no JSON value");
            }
            if (first == JsonToken.VALUE_NULL) {
                return null;
            }
            T value = type.cast(readValue(p, type, type.getSimpleName(), mode));
            JsonToken after = p.nextToken();
            if (after != null) {
                throw new Mismatch("unexpected " + after.asString() + " after the value");
            }
            return value;
        }
    }

    /** The JSON does not fit the record: a missing or duplicate field, a value of the wrong kind. */
    public static final class Mismatch extends IOException {
        private static final long serialVersionUID = 1L;

        Mismatch(String message) {
            super(message);
        }
    }

    private static @Nullable Object readValue(JsonParser p, Type type, String where, Mode mode) throws IOException {
        Class<?> raw = type instanceof ParameterizedType pt ? (Class<?>) pt.getRawType() : (Class<?>) type;
        JsonToken t = p.currentToken();
        if (t == JsonToken.VALUE_NULL) {
            if (raw.isPrimitive()) {
                throw new Mismatch("null for the number or flag '" + where + "'");
            }
            if (raw == List.class || raw == Map.class) {
                // No message has an optional list or map; an empty one says "none".
                throw new Mismatch(
                        "'" + where + "' must be " + (raw == List.class ? "an array" : "an object") + ", not null");
            }
            return null;
        }
        if (raw == String.class) {
            expect(t, JsonToken.VALUE_STRING, where, "a string");
            return p.getText();
        }
        if (raw == long.class || raw == Long.class) {
            expect(t, JsonToken.VALUE_NUMBER_INT, where, "an integer");
            return p.getLongValue();
        }
        if (raw == int.class || raw == Integer.class) {
            expect(t, JsonToken.VALUE_NUMBER_INT, where, "an integer");
            return p.getIntValue();
        }
        if (raw == double.class || raw == Double.class) {
            if (t != JsonToken.VALUE_NUMBER_INT && t != JsonToken.VALUE_NUMBER_FLOAT) {
                throw new Mismatch("'" + where + "' must be a number, not " + describe(t));
            }
            return p.getDoubleValue();
        }
        if (raw == boolean.class || raw == Boolean.class) {
            if (t != JsonToken.VALUE_TRUE && t != JsonToken.VALUE_FALSE) {
                throw new Mismatch("'" + where + "' must be true or false, not " + describe(t));
            }
            return t == JsonToken.VALUE_TRUE;
        }
        if (raw.isEnum()) {
            expect(t, JsonToken.VALUE_STRING, where, "a string");
            String name = p.getText();
            for (Object constant : raw.getEnumConstants()) {
                if (((Enum<?>) constant).name().equals(name)) {
                    return constant;
                }
            }
            throw new Mismatch("'" + where + "' has no value \"" + abbreviate(name) + "\"");
        }
        if (raw == List.class) {
            expect(t, JsonToken.START_ARRAY, where, "an array");
            Type element = typeArgument(type, 0);
            List<Object> list = new ArrayList<>();
            while (p.nextToken() != JsonToken.END_ARRAY) {
                list.add(readValue(p, element, where + "[" + list.size() + "]", mode));
            }
            return Collections.unmodifiableList(list);
        }
        if (raw == Map.class) {
            expect(t, JsonToken.START_OBJECT, where, "an object");
            Type valueType = typeArgument(type, 1);
            Map<String, Object> map = new LinkedHashMap<>();
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String key = p.currentName();
                p.nextToken();
                if (map.containsKey(key)) {
                    throw new Mismatch("'" + where + "' has \"" + abbreviate(key) + "\" twice");
                }
                map.put(key, readValue(p, valueType, where + "." + key, mode));
            }
            return Collections.unmodifiableMap(map);
        }
        if (raw.isRecord()) {
            expect(t, JsonToken.START_OBJECT, where, "an object");
            return shape(raw, mode.names()).read(p, mode);
        }
        throw new IllegalStateException("RecordJson cannot map " + type + " of " + where);
    }

    private static Shape shape(Class<?> type, Names names) {
        return (names == Names.DECLARED ? DECLARED_SHAPES : SNAKE_CASE_SHAPES).get(type);
    }

    private static void writeValue(JsonGenerator g, @Nullable Object v, Names names) throws IOException {
        if (v == null) {
            g.writeNull();
        } else if (v instanceof String s) {
            g.writeString(s);
        } else if (v instanceof Long l) {
            g.writeNumber(l);
        } else if (v instanceof Integer i) {
            g.writeNumber(i);
        } else if (v instanceof Double d) {
            g.writeNumber(d);
        } else if (v instanceof Boolean b) {
            g.writeBoolean(b);
        } else if (v instanceof Enum<?> e) {
            g.writeString(e.name());
        } else if (v instanceof List<?> list) {
            g.writeStartArray();
            for (Object element : list) {
                writeValue(g, element, names);
            }
            g.writeEndArray();
        } else if (v instanceof Map<?, ?> map) {
            g.writeStartObject();
            for (Map.Entry<?, ?> e : map.entrySet()) {
                g.writeFieldName((String) e.getKey());
                writeValue(g, e.getValue(), names);
            }
            g.writeEndObject();
        } else if (v instanceof Record r) {
            shape(r.getClass(), names).write(g, r, names);
        } else {
            throw new IllegalStateException("RecordJson cannot map " + v.getClass());
        }
    }

    private static void expect(JsonToken actual, JsonToken wanted, String where, String what) throws Mismatch {
        if (actual != wanted) {
            throw new Mismatch("'" + where + "' must be " + what + ", not " + describe(actual));
        }
    }

    private static String describe(JsonToken t) {
        return switch (t) {
            case START_OBJECT -> "an object";
            case START_ARRAY -> "an array";
            case VALUE_STRING -> "a string";
            case VALUE_NUMBER_INT -> "an integer";
            case VALUE_NUMBER_FLOAT -> "a fraction";
            case VALUE_TRUE, VALUE_FALSE -> "true or false";
            default -> String.valueOf(t.asString());
        };
    }

    private static String abbreviate(String s) {
        return s.length() > 64 ? s.substring(0, 64) + "..." : s;
    }

    private static Type typeArgument(Type type, int index) {
        if (!(type instanceof ParameterizedType pt)) {
            throw new IllegalStateException("RecordJson needs the element type of " + type);
        }
        return pt.getActualTypeArguments()[index];
    }

    /** Accessible also for records that are not public (a message's nested part), as databind made them. */
    private record Shape(RecordComponent[] components, String[] names, Method[] accessors, Constructor<?> constructor) {
        static Shape of(Class<?> type, Names spelling) {
            RecordComponent[] components = type.getRecordComponents();
            Class<?>[] types = new Class<?>[components.length];
            String[] names = new String[components.length];
            Method[] accessors = new Method[components.length];
            for (int i = 0; i < components.length; i++) {
                types[i] = components[i].getType();
                names[i] = spelling == Names.SNAKE_CASE ? snakeCase(components[i].getName()) : components[i].getName();
                accessors[i] = components[i].getAccessor();
                accessors[i].setAccessible(true);
            }
            try {
                Constructor<?> constructor = type.getDeclaredConstructor(types);
                constructor.setAccessible(true);
                return new Shape(components, names, accessors, constructor);
            } catch (NoSuchMethodException e) {
                throw new IllegalStateException(type + " has no canonical constructor", e);
            }
        }

        Object read(JsonParser p, Mode mode) throws IOException {
            Object[] values = new Object[components.length];
            boolean[] seen = new boolean[components.length];
            while (p.nextToken() == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                int i = indexOf(name);
                p.nextToken();
                if (i < 0) {
                    if (!mode.skipUnknown()) {
                        throw new Mismatch("unknown field '" + abbreviate(name) + "'");
                    }
                    p.skipChildren();
                    continue;
                }
                if (seen[i]) {
                    throw new Mismatch("field '" + name + "' given twice");
                }
                seen[i] = true;
                values[i] = readValue(p, components[i].getGenericType(), name, mode);
            }
            for (int i = 0; i < components.length; i++) {
                if (!seen[i]) {
                    if (!mode.defaultMissing()) {
                        throw new Mismatch("missing field '" + names[i] + "'");
                    }
                    values[i] = empty(components[i].getType());
                }
            }
            try {
                return constructor.newInstance(values);
            } catch (InvocationTargetException e) {
                Throwable cause = e.getCause();
                // A helpful NullPointerException names our code's variables, not the field: say what it means.
                String message = cause == null ? null : cause.getMessage();
                String why = cause instanceof NullPointerException || message == null ? "a value is null" : message;
                throw new Mismatch("invalid " + constructor.getDeclaringClass().getSimpleName() + ": " + why);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
        }

        void write(JsonGenerator g, Record r, Names spelling) throws IOException {
            g.writeStartObject();
            for (int i = 0; i < components.length; i++) {
                g.writeFieldName(names[i]);
                try {
                    writeValue(g, accessors[i].invoke(r), spelling);
                } catch (ReflectiveOperationException e) {
                    throw new IllegalStateException(e);
                }
            }
            g.writeEndObject();
        }

        private int indexOf(String name) {
            for (int i = 0; i < names.length; i++) {
                if (names[i].equals(name)) {
                    return i;
                }
            }
            return -1;
        }

        /** What databind gave a component its file lacks. */
        private static @Nullable Object empty(Class<?> type) {
            if (type == long.class) return 0L;
            if (type == int.class) return 0;
            if (type == double.class) return 0.0;
            if (type == boolean.class) return false;
            return null;
        }
    }

    /**
     * databind's SNAKE_CASE: an underscore before each capital that does not follow another, then lower case
     * ({@code lastDurationSeconds} is {@code last_duration_seconds}, {@code URLValue} is {@code urlvalue}); a
     * leading underscore dropped.
     */
    static String snakeCase(String name) {
        StringBuilder out = new StringBuilder(name.length() + 4);
        boolean previousUpper = false;
        for (int i = name.startsWith("_") ? 1 : 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (Character.isUpperCase(c)) {
                if (!previousUpper && out.length() > 0 && out.charAt(out.length() - 1) != '_') {
                    out.append('_');
                }
                out.append(Character.toLowerCase(c));
                previousUpper = true;
            } else {
                out.append(c);
                previousUpper = false;
            }
        }
        return out.toString();
    }
}
