package dev.zreplj.stdinserver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReceiveTotalsTest {
    @TempDir
    Path state;

    @Test
    void receivesAndBytesAddUpPerFilesystemAcrossProcesses() throws Exception {
        assertEquals(new ReceiveTotals.ClientTotals("laptop", Map.of()), ReceiveTotals.read(state, "laptop"));
        ReceiveTotals.add(state, "laptop", "tank/a", 100);
        ReceiveTotals.add(state, "laptop", "tank/b", 7);
        ReceiveTotals.add(state, "laptop", "tank/a", 50);
        ReceiveTotals.add(state, "desktop", "tank/a", 1);
        assertEquals(
                new ReceiveTotals.ClientTotals(
                        "laptop",
                        Map.of("tank/a", new ReceiveTotals.Totals(2, 150), "tank/b", new ReceiveTotals.Totals(1, 7))),
                ReceiveTotals.read(state, "laptop"));
        assertEquals(
                new ReceiveTotals.ClientTotals("desktop", Map.of("tank/a", new ReceiveTotals.Totals(1, 1))),
                ReceiveTotals.read(state, "desktop"));
        try (var files = Files.list(state.resolve("metrics/clients"))) {
            assertEquals(
                    List.of("desktop.json", "desktop.lock", "laptop.json", "laptop.lock"),
                    files.map(p -> p.getFileName().toString()).sorted().toList(),
                    "no temp file left behind");
        }
    }

    /** A damaged file failed every later receive's count: it is replaced, the counters starting again. */
    @Test
    void aDamagedFileIsReplacedByTheNextReceive() throws Exception {
        Files.createDirectories(ReceiveTotals.path(state, "laptop").getParent());
        for (String damaged : List.of(
                "{\"client\":\"laptop\",\"filesys",
                "null",
                "{\"client\":\"laptop\",\"filesystems\":{\"tank/b\":null}}")) {
            Files.writeString(ReceiveTotals.path(state, "laptop"), damaged);
            assertThrows(java.io.IOException.class, () -> ReceiveTotals.read(state, "laptop"), damaged);
            ReceiveTotals.add(state, "laptop", "tank/a", 100);
            assertEquals(
                    new ReceiveTotals.ClientTotals("laptop", Map.of("tank/a", new ReceiveTotals.Totals(1, 100))),
                    ReceiveTotals.read(state, "laptop"),
                    damaged);
        }
    }
}
