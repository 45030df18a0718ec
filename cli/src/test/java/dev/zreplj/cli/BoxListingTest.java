package dev.zreplj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import com.fasterxml.jackson.databind.JsonNode;
import dev.zreplj.protocol.DetailedFilesystem;
import dev.zreplj.protocol.DetailedListing;
import dev.zreplj.protocol.DetailedVersion;
import dev.zreplj.protocol.RemoteFilesystem;
import dev.zreplj.protocol.RemoteVersion;
import dev.zreplj.zfs.VersionType;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class BoxListingTest {
    private static final long BOX_NOW = 1_800_000_000L;

    @Test
    void agesGetCoarserAsTheyGrow() {
        assertEquals("0s", BoxListing.age(0));
        assertEquals("59s", BoxListing.age(59));
        assertEquals("1m", BoxListing.age(60));
        assertEquals("59m", BoxListing.age(3599));
        assertEquals("1h", BoxListing.age(3600));
        assertEquals("3h12m", BoxListing.age(3 * 3600 + 12 * 60 + 59));
        assertEquals("2d", BoxListing.age(2 * 86_400 + 59 * 60));
        assertEquals("2d5h", BoxListing.age(2 * 86_400 + 5 * 3600));
        assertEquals("12d", BoxListing.age(12 * 86_400 + 5 * 3600));
    }

    @Test
    void sizesInBinaryUnitsAndUnknownAsDash() {
        assertEquals("512 B", BoxListing.size(512L));
        assertEquals("96.0 KiB", BoxListing.size(98_304L));
        assertEquals("1.5 MiB", BoxListing.size(3L << 19));
        assertEquals("2.0 GiB", BoxListing.size(2L << 30));
        assertEquals("-", BoxListing.size(null));
    }

    private static DetailedListing detailed() {
        return new DetailedListing(
                BOX_NOW,
                List.of(
                        new DetailedFilesystem("rpool", true, List.of(), null, 98_304L, 98_304L, "off"),
                        new DetailedFilesystem(
                                "rpool/home",
                                false,
                                List.of(
                                        new DetailedVersion(
                                                "zrepl_1",
                                                VersionType.SNAPSHOT,
                                                -1,
                                                10,
                                                BOX_NOW - 2 * 86_400,
                                                3L << 19),
                                        new DetailedVersion(
                                                "zrepl_2",
                                                VersionType.SNAPSHOT,
                                                7,
                                                12,
                                                BOX_NOW - 3 * 3600 - 12 * 60,
                                                0L),
                                        new DetailedVersion(
                                                "cursor",
                                                VersionType.BOOKMARK,
                                                7,
                                                12,
                                                BOX_NOW - 3 * 3600 - 12 * 60,
                                                null),
                                        new DetailedVersion("future", VersionType.SNAPSHOT, 9, 13, BOX_NOW + 60, 512L)),
                                "1-token",
                                12L << 20,
                                11L << 20,
                                null)));
    }

    @Test
    void theTableIsAlignedWithTheBoxsAgesAndHumanSizes() {
        List<String> lines =
                BoxListing.detailed("laptop", "root@box", detailed()).lines();
        assertEquals(
                List.of(
                        "job laptop (root@box)",
                        "  NAME                                         AGE      USED     REFER  ENCRYPTION  GUID",
                        "  rpool (placeholder), 0 snapshots               -  96.0 KiB  96.0 KiB  off         -",
                        "  rpool/home (partial receive), 3 snapshots      -  12.0 MiB  11.0 MiB  -           -",
                        "    @zrepl_1                                    2d   1.5 MiB         -  -           18446744073709551615",
                        "    @zrepl_2                                 3h12m       0 B         -  -           7",
                        "    #cursor                                  3h12m         -         -  -           7",
                        "    @future                                     0s     512 B         -  -           9"),
                lines);
    }

    @Test
    void jsonHasExactBytesSecondsTheBoxClockAndNullForUnknown() throws Exception {
        BoxListing l = BoxListing.detailed("laptop", "root@box", detailed());
        JsonNode doc = StatusCommand.JSON.readTree(StatusCommand.JSON.writeValueAsString(Map.of("jobs", List.of(l))));
        JsonNode job = doc.get("jobs").get(0);
        assertEquals(BOX_NOW, job.get("box_clock").asLong());
        JsonNode home = job.get("filesystems").get(1);
        assertEquals(12L << 20, home.get("used").asLong());
        assertEquals(11L << 20, home.get("referenced").asLong());
        assertEquals(true, home.get("partial_receive").asBoolean());
        assertEquals(true, home.get("encryption").isNull(), "unknown, not off");
        assertEquals("off", job.get("filesystems").get(0).get("encryption").asText());
        JsonNode first = home.get("versions").get(0);
        assertEquals(2 * 86_400, first.get("age_seconds").asLong());
        assertEquals(3L << 19, first.get("used").asLong());
        assertEquals(BOX_NOW - 2 * 86_400, first.get("creation").asLong());
        assertEquals(true, home.get("versions").get(2).get("used").isNull(), "a bookmark has no space of its own");
        assertEquals(0, home.get("versions").get(3).get("age_seconds").asLong(), "never negative");
    }

    @Test
    void anOlderBoxGetsTheOldColumnsAndOneNoteNotAnError() {
        RemoteFilesystem fs = new RemoteFilesystem(
                "rpool/home", false, List.of(new RemoteVersion("zrepl_1", VersionType.SNAPSHOT, 5, 10, 1000)), null);
        BoxListing l = BoxListing.legacy("laptop", "root@box", List.of(fs), 1000 + 90, "0.0.9");
        assertNull(l.error());
        assertNull(l.boxClock());
        assertNull(l.filesystems().get(0).used());
        assertEquals(
                List.of(
                        "job laptop (root@box)",
                        "  NAME                    AGE  GUID",
                        "  rpool/home, 1 snapshot    -  -",
                        "    @zrepl_1               1m  5",
                        "  note: the box's zreplj 0.0.9 lists no sizes or encryption (no 'list-details'): ages by this"
                                + " machine's clock; update zreplj on the box for more"),
                l.lines());
    }
}
