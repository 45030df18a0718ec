package dev.zreplj.zfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ZfsOutputTest {
    private final List<RefusedName> refused = new ArrayList<>();

    private static DatasetName n(String s) {
        return DatasetName.of(s);
    }

    private static ZfsVersion snap(String fs, String name, long guid, long txg, long creation) {
        return new ZfsVersion(n(fs), VersionType.SNAPSHOT, name, guid, txg, Instant.ofEpochSecond(creation));
    }

    private static ZfsVersion bm(String fs, String name, long guid, long txg, long creation) {
        return new ZfsVersion(n(fs), VersionType.BOOKMARK, name, guid, txg, Instant.ofEpochSecond(creation));
    }

    /** Captured from zfs-fuse: 'zfs get -Hp -r -o name,property,value guid,createtxg,creation zexpa'. */
    static final String ZFS_FUSE_GET = """
            zexpa	guid	15490786889831610427
            zexpa	createtxg	1
            zexpa	creation	1795471435
            zexpa@s2	guid	1882489190368554013
            zexpa@s2	createtxg	20
            zexpa@s2	creation	1795471435
            zexpa/fs1	guid	18306063822566330708
            zexpa/fs1	createtxg	7
            zexpa/fs1	creation	1795471435
            zexpa/fs1@s2	guid	17890820383066757120
            zexpa/fs1@s2	createtxg	20
            zexpa/fs1@s2	creation	1795471435
            zexpa/fs1@s1	guid	42
            zexpa/fs1@s1	createtxg	12
            zexpa/fs1@s1	creation	1795471430
            zexpa/fs1/sub	guid	3899249480801721443
            zexpa/fs1/sub	createtxg	9
            zexpa/fs1/sub	creation	1795471435
            """;

    @Test
    void zfsFuseGetOutputBecomesVersionsPerFilesystem() throws Exception {
        Map<DatasetName, List<ZfsVersion>> v = ZfsOutput.versionsFromGet(ZFS_FUSE_GET, refused::add);
        assertEquals(List.of(n("zexpa"), n("zexpa/fs1"), n("zexpa/fs1/sub")), List.copyOf(v.keySet()));
        assertEquals(List.of(snap("zexpa", "s2", 1882489190368554013L, 20, 1795471435)), v.get(n("zexpa")));
        assertEquals(
                List.of(
                        snap("zexpa/fs1", "s1", 42, 12, 1795471430),
                        snap("zexpa/fs1", "s2", Long.parseUnsignedLong("17890820383066757120"), 20, 1795471435)),
                v.get(n("zexpa/fs1")),
                "sorted by createtxg, guids above 2^63 kept as unsigned");
        assertEquals(List.of(), v.get(n("zexpa/fs1/sub")));
        assertEquals(List.of(), refused);
    }

    /** The OpenZFS 2.3 shape (zfs-lab README): 'zfs list -Hp -r -t filesystem,volume,snapshot,bookmark'. */
    @Test
    void openZfsListOutputWithBookmarks() throws Exception {
        String out = """
                tank	111	1	1795467900
                tank/data	222	5	1795467940
                tank/data@s1	5951748584222993490	10	1795467949
                tank/data#b1	5951748584222993490	10	1795467949
                tank/data@s2	16638495237845643433	11	1795467952
                tank/empty	333	6	1795467941
                """;
        Map<DatasetName, List<ZfsVersion>> v = ZfsOutput.versionsFromList(out, refused::add);
        assertEquals(List.of(n("tank"), n("tank/data"), n("tank/empty")), List.copyOf(v.keySet()));
        assertEquals(
                List.of(
                        snap("tank/data", "s1", 5951748584222993490L, 10, 1795467949),
                        bm("tank/data", "b1", 5951748584222993490L, 10, 1795467949),
                        snap("tank/data", "s2", Long.parseUnsignedLong("16638495237845643433"), 11, 1795467952)),
                v.get(n("tank/data")),
                "snapshot before bookmark at equal createtxg");
        assertEquals(List.of(), v.get(n("tank")));
        assertEquals(List.of(), v.get(n("tank/empty")));
    }

    /** A client's stream sets a received snapshot's creation: one past Instant's range failed the whole listing. */
    @Test
    void aCreationTimeBeyondAnyCalendarListsAsTheLatestTime() throws Exception {
        String out = """
                tank	111	1	1795467900
                tank/data	222	5	1795467940
                tank/data@ok	7	10	1795467949
                tank/data@forged	8	11	40000000000000000
                """;
        List<ZfsVersion> v = ZfsOutput.versionsFromList(out, refused::add).get(n("tank/data"));
        assertEquals(
                List.of(
                        snap("tank/data", "ok", 7, 10, 1795467949),
                        snap("tank/data", "forged", 8, 11, 253_402_300_799L)),
                v);
        assertEquals(java.time.Instant.parse("9999-12-31T23:59:59Z"), v.get(1).creation());
    }

    @Test
    void versionsWithALocalPropertyKeepOnlyLocalValuesOfFilesystems() throws Exception {
        String out = String.join(
                "\n",
                "tank\tguid\t1\t-",
                "tank\tcreatetxg\t1\t-",
                "tank\tcreation\t100\t-",
                "tank\tzreplj:cursor:j\t-\t-",
                "tank/a\tguid\t2\t-",
                "tank/a\tcreatetxg\t5\t-",
                "tank/a\tcreation\t200\t-",
                "tank/a\tzreplj:cursor:j\t00000000000000ab\tlocal",
                "tank/a@s\tguid\t3\t-",
                "tank/a@s\tcreatetxg\t6\t-",
                "tank/a@s\tcreation\t300\t-",
                "tank/a@s\tzreplj:cursor:j\t00000000000000ab\tinherited from tank/a",
                "tank/a/b\tguid\t4\t-",
                "tank/a/b\tcreatetxg\t7\t-",
                "tank/a/b\tcreation\t400\t-",
                "tank/a/b\tzreplj:cursor:j\t00000000000000ab\tinherited from tank/a",
                "tank/-x\tguid\t5\t-",
                "tank/-x\tcreatetxg\t8\t-",
                "tank/-x\tcreation\t500\t-",
                "tank/-x\tzreplj:cursor:j\t00000000000000ab\tlocal",
                "tank/-x@s\tguid\t6\t-",
                "tank/-x@s\tcreatetxg\t9\t-",
                "tank/-x@s\tcreation\t600\t-",
                "tank/-x@s\tzreplj:cursor:j\t00000000000000ab\tinherited from tank/-x",
                "");
        VersionListing l = ZfsOutput.versionsWithProperty(out, "zreplj:cursor:j", true, refused::add);
        // A filesystem zreplj refuses by name is left out, and named once however many lines it had.
        assertEquals(
                List.of("tank/-x"), l.refused().stream().map(RefusedName::name).toList());
        assertTrue(l.refused().get(0).reason().contains("must not start with '-'"), l.refused()::toString);
        assertEquals(
                List.of(n("tank"), n("tank/a"), n("tank/a/b")),
                List.copyOf(new java.util.TreeMap<>(l.versions()).keySet()));
        assertEquals(List.of(snap("tank/a", "s", 3, 6, 300)), l.versions().get(n("tank/a")));
        assertEquals(Map.of(n("tank/a"), "00000000000000ab"), l.values());
        assertEquals(
                Map.of(n("tank"), "-", n("tank/a"), "00000000000000ab", n("tank/a/b"), "00000000000000ab"),
                ZfsOutput.versionsWithProperty(out, "zreplj:cursor:j", false, refused::add)
                        .values(),
                "every source, as zfs get gives them");
        assertUnparsable(
                () -> ZfsOutput.versionsWithProperty("tank\tguid\t1\n", "p", true, refused::add),
                "expected name, property, value and source separated by tabs");
    }

    @Test
    void emptyOutputIsEmpty() throws Exception {
        assertEquals(Map.of(), ZfsOutput.versionsFromList("", refused::add));
        assertEquals(Map.of(), ZfsOutput.versionsFromGet("\n", refused::add));
        assertEquals(List.of(), ZfsOutput.names("", refused::add));
    }

    @Test
    void malformedLinesAreErrorsNamingTheLine() {
        assertUnparsable(
                () -> ZfsOutput.versionsFromList("tank/a@s\t1\t2\n", refused::add),
                "cannot parse zfs output line 'tank/a@s\t1\t2': expected 4 tab-separated fields");
        assertUnparsable(
                () -> ZfsOutput.versionsFromList("tank/a\t1.63E\t20\tMon Nov 23 22:03 2026\n", refused::add),
                "cannot parse zfs output line 'tank/a\t1.63E\t20\tMon Nov 23 22:03 2026': guid, createtxg and"
                        + " creation must be numbers (is this 'zfs get -p' output?)");
        assertUnparsable(
                () -> ZfsOutput.versionsFromList("tank\t1\t1\t1\ntank/a@s\t-\t2\t3\n", refused::add),
                "cannot parse zfs output line 'tank/a@s\t-\t2\t3'");
        assertUnparsable(
                () -> ZfsOutput.versionsFromGet("tank\tguid\n", refused::add),
                "cannot parse zfs output line 'tank\tguid': expected name, property and value separated by tabs");
        assertUnparsable(
                () -> ZfsOutput.versionsFromGet("tank\tused\t5\n", refused::add), "unexpected property 'used'");
        assertUnparsable(
                () -> ZfsOutput.versionsFromGet("tank\tguid\t1\ntank\tguid\t2\n", refused::add),
                "property 'guid' repeated for tank");
        assertUnparsable(
                () -> ZfsOutput.versionsFromGet("tank\tguid\t1\ntank\tcreation\t2\n", refused::add),
                "no createtxg for tank");
        assertUnparsable(
                () -> ZfsOutput.versionsFromList("tank/a@s\t1\t2\t3\n", refused::add),
                "tank/a has versions but was not listed itself");
        assertUnparsable(
                () -> ZfsOutput.properties("tank\tmountpoint\n", refused::add), "expected name, property and value");
    }

    @Test
    void namesZfsAllowsButWeRefuseAreReportedAndSkipped() throws Exception {
        // spaces inside names are ZFS's and zrepl's (taken); a trailing one or a comma zreplj refuses
        String out = "tank\t1\t1\t1\ntank/my data \t2\t2\t2\ntank/my data @s\t3\t3\t3\ntank/ok\t4\t4\t4\n"
                + "tank/ok@bad,name\t5\t5\t5\ntank/ok@good\t6\t6\t6\ntank/ok@my snap\t7\t7\t7\n";
        Map<DatasetName, List<ZfsVersion>> v = ZfsOutput.versionsFromList(out, refused::add);
        assertEquals(List.of(n("tank"), n("tank/ok")), List.copyOf(v.keySet()));
        assertEquals(
                List.of(snap("tank/ok", "good", 6, 6, 6), snap("tank/ok", "my snap", 7, 7, 7)), v.get(n("tank/ok")));
        assertEquals(
                List.of("tank/my data ", "tank/my data ", "tank/ok@bad,name"),
                refused.stream().map(RefusedName::name).toList());
        assertTrue(
                refused.get(0).reason().contains("'my data ' must not start or end with a space"),
                refused.get(0)::toString);

        assertEquals(
                List.of(n("a"), n("a/b"), n("a/c d"), n("b")),
                ZfsOutput.names("b\na/b\na/c d\na/e;f\na\n", refused::add));
    }

    @Test
    void propertiesSkipSnapshotsAndKeepTabsInValues() throws Exception {
        String out = "tank\tmountpoint\t/tank\ntank\tzreplj:x\t-\ntank@s\tmountpoint\t-\n"
                + "tank/a\tmountpoint\tnone\ntank/a\tzreplj:x\ta\tb\ntank/a#b\tmountpoint\t-\n";
        Map<DatasetName, Map<String, String>> p = ZfsOutput.properties(out, refused::add);
        assertEquals(
                Map.of(
                        n("tank"),
                        Map.of("mountpoint", "/tank", "zreplj:x", "-"),
                        n("tank/a"),
                        Map.of("mountpoint", "none", "zreplj:x", "a\tb")),
                p);
    }

    @Test
    void holdsListingBecomesHoldsAndSkipsWhatWeWouldNotPassBack() throws Exception {
        String out = "tank/a@s1\tzrepl_last_received_J_push\tThu Jan  1 00:00 2024\n"
                + "tank/a@s1\tother\tThu Jan  1 00:00 2024\n"
                + "tank/a@s2\t-F\tThu Jan  1 00:00 2024\n"
                + "tank/my;data@s\tt\tThu Jan  1 00:00 2024\n"
                + "tank/my data@s p\tmy tag\tThu Jan  1 00:00 2024\n";
        assertEquals(
                List.of(
                        new Hold(n("tank/a"), "s1", "zrepl_last_received_J_push"),
                        new Hold(n("tank/a"), "s1", "other"),
                        new Hold(n("tank/my data"), "s p", "my tag")),
                ZfsOutput.holds(out, refused::add));
        assertEquals(
                List.of("tank/a@s2", "tank/my;data"),
                refused.stream().map(RefusedName::name).toList());
        assertEquals(List.of(), ZfsOutput.holds("", refused::add));
        assertUnparsable(
                () -> ZfsOutput.holds("tank/a@s1\ttag\n", refused::add), "expected snapshot, tag and timestamp");
        assertUnparsable(() -> ZfsOutput.holds("tank/a\ttag\tThu\n", refused::add), "is not a snapshot");
    }

    @Test
    void localPropertiesKeepTabsInValuesAndRefuseRepeats() throws Exception {
        assertEquals(
                Map.of("mountpoint", "none", "zreplj:last_received_j_x", "s1,s2", "zreplj:t", "a\tb"),
                ZfsOutput.localProperties("mountpoint\tnone\nzreplj:last_received_j_x\ts1,s2\nzreplj:t\ta\tb\n"));
        assertEquals(Map.of(), ZfsOutput.localProperties(""));
        assertUnparsable(() -> ZfsOutput.localProperties("mountpoint\n"), "expected property and value");
        assertUnparsable(() -> ZfsOutput.localProperties("a:b\t1\na:b\t2\n"), "repeated");
    }

    @Test
    void missingDatasetIsRecognised() {
        assertTrue(ZfsOutput.isMissingDataset("cannot open 'nosuch': dataset does not exist\n"));
        assertTrue(!ZfsOutput.isMissingDataset("cannot open 'tank': permission denied\n"));
    }

    private static void assertUnparsable(org.junit.jupiter.api.function.Executable call, String expected) {
        ZfsException e = assertThrows(ZfsException.class, call);
        assertTrue(e.getMessage().contains(expected), () -> "message was: " + e.getMessage());
    }

    @Test
    void propertiesByNameKeepsSnapshotsAndLeavesBookmarksOut() throws ZfsException {
        String out = "tank/j\tused\t98304\n"
                + "tank/j/a\tused\t1179648\n"
                + "tank/j/a\treferenced\t1114112\n"
                + "tank/j/a\tencryption\taes-256-gcm\n"
                + "tank/j/a@s1\tused\t65536\n"
                + "tank/j/a#b1\tused\t-\n";
        Map<String, Map<String, String>> p = ZfsOutput.propertiesByName(out);
        assertEquals(List.of("tank/j", "tank/j/a", "tank/j/a@s1"), List.copyOf(p.keySet()));
        assertEquals(
                Map.of("used", "1179648", "referenced", "1114112", "encryption", "aes-256-gcm"), p.get("tank/j/a"));
        assertEquals(Map.of("used", "65536"), p.get("tank/j/a@s1"));
        assertThrows(ZfsException.class, () -> ZfsOutput.propertiesByName("tank/j used 1\n"));
    }
}
