package dev.zreplj.json;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** Round trips, byte-compatibility with what databind wrote, and one exact refusal per kind of hostile JSON. */
class RecordJsonTest {
    enum Kind {
        SNAPSHOT,
        BOOKMARK
    }

    record Version(String name, Kind type, long guid, Integer count, boolean flag) {}

    record Fs(String path, List<Version> versions, Long from) {
        Fs {
            versions = List.copyOf(versions);
        }
    }

    record Status(String client, Map<String, Version> filesystems) {
        Status {
            filesystems = new TreeMap<>(filesystems);
        }
    }

    record Required(String code) {
        Required {
            if (code == null) {
                throw new IllegalArgumentException("code is required");
            }
        }
    }

    /** The shape of the agent's state files: snake_case names, a fraction, a field an older zreplj did not write. */
    record Totals(
            String job, long failedPasses, double lastDurationSeconds, Map<String, Long> stageFailures, Long newest) {}

    private static <T extends Record> T read(String json, Class<T> type) throws IOException {
        byte[] b = json.getBytes(StandardCharsets.UTF_8);
        return RecordJson.read(b, 0, b.length, type, true);
    }

    private static String refusal(String json, Class<? extends Record> type) {
        IOException e = assertThrows(IOException.class, () -> read(json, type));
        return e instanceof JsonProcessingException j ? j.getOriginalMessage() : e.getMessage();
    }

    @Test
    void recordsRoundTripWithNullsEnumsListsAndMaps() throws IOException {
        Fs fs = new Fs(
                "tank/a",
                List.of(
                        new Version("s1", Kind.SNAPSHOT, -5L, null, true),
                        new Version("b1", Kind.BOOKMARK, Long.MAX_VALUE, 7, false)),
                null);
        String json = new String(RecordJson.write(fs, false), StandardCharsets.UTF_8);
        assertEquals(
                "{\"path\":\"tank/a\",\"versions\":[{\"name\":\"s1\",\"type\":\"SNAPSHOT\",\"guid\":-5,\"count\":null,"
                        + "\"flag\":true},{\"name\":\"b1\",\"type\":\"BOOKMARK\",\"guid\":9223372036854775807,\"count\":7,"
                        + "\"flag\":false}],\"from\":null}",
                json);
        assertEquals(fs, read(json, Fs.class));
        Status status = new Status(
                "laptop",
                Map.of(
                        "b",
                        new Version("s", Kind.SNAPSHOT, 1, 2, true),
                        "a",
                        new Version("t", Kind.BOOKMARK, 3, null, false)));
        assertEquals(status, read(new String(RecordJson.write(status, true), StandardCharsets.UTF_8), Status.class));
    }

    @Test
    void writesWhatJacksonDatabindWroteSoOldFilesAndPeersStillRead() throws IOException {
        Status status = new Status("laptop", Map.of("tank/a", new Version("s", Kind.SNAPSHOT, 1, null, true)));
        Fs fs = new Fs("p", List.of(new Version("s", Kind.BOOKMARK, 2, 3, false)), 4L);
        JsonMapper compact = JsonMapper.builder().build();
        JsonMapper indented =
                JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();
        assertEquals(compact.writeValueAsString(fs), new String(RecordJson.write(fs, false), StandardCharsets.UTF_8));
        assertEquals(
                indented.writeValueAsString(status),
                new String(RecordJson.write(status, true), StandardCharsets.UTF_8));
    }

    /**
     * The agent's state files were databind's (SNAKE_CASE and INDENT_OUTPUT for the metrics counters): what zreplj
     * writes now reads there, what databind wrote reads here, and a file of an older or newer zreplj reads as databind
     * read it (a field it lacks empty, one of a newer version skipped).
     */
    @Test
    void stateFilesAreWhatDatabindWroteAndReadAsItReadThem() throws IOException {
        JsonMapper snake = JsonMapper.builder()
                .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
                .enable(SerializationFeature.INDENT_OUTPUT)
                .build();
        Totals totals = new Totals("laptop", 2, 18.534346807, new TreeMap<>(Map.of("connect", 1L, "prune", 3L)), null);
        byte[] ours = RecordJson.write(totals, true, RecordJson.Names.SNAKE_CASE);
        assertEquals(snake.writeValueAsString(totals), new String(ours, StandardCharsets.UTF_8));
        assertEquals(totals, snake.readValue(ours, Totals.class));
        assertEquals(
                totals,
                RecordJson.readState(snake.writeValueAsBytes(totals), Totals.class, RecordJson.Names.SNAKE_CASE));

        String older = "{\"job\":\"laptop\",\"failed_passes\":2,\"stage_failures\":{}}";
        Totals expected = new Totals("laptop", 2, 0.0, Map.of(), null);
        assertEquals(expected, snake.readValue(older, Totals.class));
        assertEquals(
                expected,
                RecordJson.readState(
                        older.getBytes(StandardCharsets.UTF_8), Totals.class, RecordJson.Names.SNAKE_CASE));
        byte[] newer = "{\"job\":\"laptop\",\"later\":[1,{}],\"failed_passes\":2,\"last_duration_seconds\":7}"
                .getBytes(StandardCharsets.UTF_8);
        assertEquals(
                new Totals("laptop", 2, 7.0, null, null),
                RecordJson.readState(newer, Totals.class, RecordJson.Names.SNAKE_CASE));
        // What is there must still fit.
        assertEquals(
                "'failed_passes' must be an integer, not a string",
                stateRefusal("{\"job\":\"laptop\",\"failed_passes\":\"2\"}"));
        assertEquals(
                "'last_duration_seconds' must be a number, not true or false",
                stateRefusal("{\"job\":\"laptop\",\"last_duration_seconds\":true}"));
    }

    private static String stateRefusal(String json) {
        byte[] b = json.getBytes(StandardCharsets.UTF_8);
        return assertThrows(IOException.class, () -> RecordJson.readState(b, Totals.class, RecordJson.Names.SNAKE_CASE))
                .getMessage();
    }

    @Test
    void snakeCaseIsDatabindsSpelling() {
        var databind = new PropertyNamingStrategies.SnakeCaseStrategy();
        for (String name :
                List.of("job", "lastDurationSeconds", "URLValue", "aB", "x1Y2", "_lead", "already_snake", "aBC")) {
            assertEquals(databind.translate(name), RecordJson.snakeCase(name), name);
        }
    }

    @Test
    void unknownFieldsAreSkippedOrRefusedAsAsked() throws IOException {
        assertEquals(
                new Required("x"),
                read("{\"later\":{\"a\":[1,{\"b\":2}]},\"code\":\"x\",\"more\":null}", Required.class));
        byte[] b = "{\"code\":\"x\",\"later\":1}".getBytes(StandardCharsets.UTF_8);
        assertEquals(
                "unknown field 'later'",
                assertThrows(IOException.class, () -> RecordJson.read(b, 0, b.length, Required.class, false))
                        .getMessage());
    }

    @Test
    void theLiteralNullIsNullForTheCallerToRefuse() throws IOException {
        assertNull(read("null", Required.class));
        assertNull(read(" null ", Required.class));
    }

    @Test
    void eachKindOfMisfitIsRefusedInOneLine() {
        String v = "{\"name\":\"s\",\"type\":\"SNAPSHOT\",\"guid\":1,\"count\":null,\"flag\":true}";
        assertEquals("missing field 'flag'", refusal(v.replace(",\"flag\":true", ""), Version.class));
        assertEquals(
                "field 'guid' given twice", refusal(v.replace("\"guid\":1", "\"guid\":1,\"guid\":2"), Version.class));
        assertEquals(
                "null for the number or flag 'guid'", refusal(v.replace("\"guid\":1", "\"guid\":null"), Version.class));
        assertEquals(
                "null for the number or flag 'flag'",
                refusal(v.replace("\"flag\":true", "\"flag\":null"), Version.class));
        assertEquals(
                "'guid' must be an integer, not a string",
                refusal(v.replace("\"guid\":1", "\"guid\":\"1\""), Version.class));
        assertEquals(
                "'guid' must be an integer, not a fraction",
                refusal(v.replace("\"guid\":1", "\"guid\":1.0"), Version.class));
        assertEquals(
                "'guid' must be an integer, not true or false",
                refusal(v.replace("\"guid\":1", "\"guid\":true"), Version.class));
        assertEquals(
                "'count' must be an integer, not a string",
                refusal(v.replace("\"count\":null", "\"count\":\"7\""), Version.class));
        assertEquals(
                "'name' must be a string, not an integer",
                refusal(v.replace("\"name\":\"s\"", "\"name\":5"), Version.class));
        assertEquals(
                "'name' must be a string, not true or false",
                refusal(v.replace("\"name\":\"s\"", "\"name\":false"), Version.class));
        assertEquals(
                "'name' must be a string, not an object",
                refusal(v.replace("\"name\":\"s\"", "\"name\":{}"), Version.class));
        assertEquals(
                "'flag' must be true or false, not an integer",
                refusal(v.replace("\"flag\":true", "\"flag\":1"), Version.class));
        assertEquals(
                "'flag' must be true or false, not a string",
                refusal(v.replace("\"flag\":true", "\"flag\":\"true\""), Version.class));
        assertEquals("'type' has no value \"CLONE\"", refusal(v.replace("SNAPSHOT", "CLONE"), Version.class));
        assertEquals("'type' must be a string, not an integer", refusal(v.replace("\"SNAPSHOT\"", "0"), Version.class));
        assertEquals(
                "'Version' must be an object, not an array",
                refusal("[\"s\",\"SNAPSHOT\",1,null,true]", Version.class));
        assertEquals(
                "'versions' must be an array, not an object",
                refusal("{\"path\":\"p\",\"versions\":" + v + ",\"from\":null}", Fs.class));
        assertEquals(
                "'versions' must be an array, not null",
                refusal("{\"path\":\"p\",\"versions\":null,\"from\":null}", Fs.class));
        assertEquals(
                "'filesystems' must be an object, not null",
                refusal("{\"client\":\"c\",\"filesystems\":null}", Status.class));
        assertEquals(
                "invalid Fs: a value is null", refusal("{\"path\":\"p\",\"versions\":[null],\"from\":null}", Fs.class));
        assertEquals(
                "'versions[1]' must be an object, not a string",
                refusal("{\"path\":\"p\",\"versions\":[" + v + ",\"x\"],\"from\":null}", Fs.class));
        assertEquals("invalid Required: code is required", refusal("{\"code\":null}", Required.class));
        assertEquals(
                "'filesystems' has \"a\" twice",
                refusal("{\"client\":\"c\",\"filesystems\":{\"a\":" + v + ",\"a\":" + v + "}}", Status.class));
        assertEquals("unexpected { after the value", refusal("{\"code\":\"x\"}{}", Required.class));
        assertEquals("no JSON value", refusal("", Required.class));
        assertEquals("no JSON value", refusal("   ", Required.class));
    }

    @Test
    void numbersThatDoNotFitAndBrokenJsonAreJacksonsOwnParseErrors() {
        String v = "{\"name\":\"s\",\"type\":\"SNAPSHOT\",\"guid\":1,\"count\":null,\"flag\":true}";
        assertTrue(refusal(v.replace("\"guid\":1", "\"guid\":9223372036854775808"), Version.class)
                .startsWith("Numeric value (9223372036854775808) out of range of long"));
        assertTrue(refusal(v.replace("\"count\":null", "\"count\":2147483648"), Version.class)
                .startsWith("Numeric value (2147483648) out of range of int"));
        assertTrue(refusal("hello", Required.class).startsWith("Unrecognized token 'hello'"));
        assertTrue(refusal("{\"code\":\"x\"", Required.class).startsWith("Unexpected end-of-input"));
        assertTrue(refusal("{\"code\":\"x\",}", Required.class).startsWith("Unexpected character"));
    }
}
