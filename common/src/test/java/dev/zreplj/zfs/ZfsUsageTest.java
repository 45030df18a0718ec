package dev.zreplj.zfs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.zfs.testing.ZfsKinds;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ZfsUsageTest {
    static final String OPENZFS_HOLDS = "missing snapshot argument\nusage:\n\tholds [-rHp] <snapshot> ...\n";
    static final String ZFS_FUSE_VERSION_FAILS = null;

    static String resource(String name) throws IOException {
        try (InputStream in = ZfsUsageTest.class.getResourceAsStream(name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void zfsFuseLacksEverythingModern() throws Exception {
        ZfsUsage usage = ZfsUsage.parse(resource("usage-zfs-fuse.txt"));
        Capabilities caps = usage.capabilities(resource("holds-zfs-fuse.txt"), ZFS_FUSE_VERSION_FAILS, "zfs-fuse");
        assertEquals(ZfsKinds.ZFS_FUSE, caps);
        assertFalse(usage.getHasTypes());
        assertTrue(usage.has("holds"), "zfs-fuse lists 'holds' although it cannot run it");
        assertEquals(Set.of('v', 'n', 'F', 'd'), usage.flags("receive"));
        assertEquals(Set.of('R', 'D', 'p'), usage.flags("send"));
        assertEquals(Set.of('r', 'H', 'd', 'o', 't', 's', 'S'), usage.flags("list"));
    }

    @Test
    void openZfsHasEverything() throws Exception {
        ZfsUsage usage = ZfsUsage.parse(resource("usage-openzfs-2.3.txt"));
        Capabilities caps = usage.capabilities(OPENZFS_HOLDS, "zfs-2.3.1-1\nzfs-kmod-2.3.1-1\n", "unknown");
        assertEquals(ZfsKinds.openZfs("zfs-2.3.1-1"), caps);
        assertTrue(caps.missing().isEmpty());
        assertTrue(usage.getHasTypes());
        assertEquals(Set.of('v', 'M', 'n', 's', 'F', 'h', 'u', 'o', 'x', 'd', 'e', 'A'), usage.flags("receive"));
        assertTrue(usage.flags("send").containsAll(Set.of('w', 't', 'i', 'I', 'R', 'X')));
        assertFalse(usage.flags("send").contains('r'), "--redact must not count as -r...");
        assertEquals(1, usage.forms("list").size());
        assertEquals(2, usage.forms("mount").size());
        assertTrue(usage.has("version"));
    }

    @Test
    void continuationLinesBelongToTheirCommand() throws Exception {
        ZfsUsage usage = ZfsUsage.parse(resource("usage-openzfs-2.3.txt"));
        assertEquals(
                "list [-Hp] [-r|-d max] [-o property[,...]] [-s property]... [-S property]... [-t type[,...]]"
                        + " [filesystem|volume|snapshot] ...",
                usage.forms("list").get(0));
        assertEquals(3, usage.forms("receive").size());
        assertEquals(5, usage.forms("send").size());
    }

    @Test
    void eachFeatureFollowsItsOwnFlag() throws Exception {
        String base = "usage: zfs command args ...\n";
        Capabilities onlyU = ZfsUsage.parse(base + "\treceive [-u] <filesystem>\n\tsend [-D] <snapshot>\n")
                .capabilities("", null, "unknown");
        assertEquals(
                new Capabilities(
                        "unknown", false, false, false, false, true, false, false, false, false, Set.of(), false),
                onlyU);
        assertTrue(
                ZfsUsage.parse(base + "\tsend [-D] [-[iI] snapshot] <snapshot>\n")
                        .capabilities("", null, "unknown")
                        .sendIntermediates(),
                "zfs-fuse's way of listing -I");
        assertTrue(
                ZfsUsage.parse(base + "\tsend [-D] [-i|-I snapshot] <snapshot>\n")
                        .capabilities("", null, "unknown")
                        .sendIntermediates(),
                "OpenZFS's way of listing -I");
        assertFalse(ZfsUsage.parse(base + "\tsend [-D] [-i snapshot] <snapshot>\n")
                .capabilities("", null, "unknown")
                .sendIntermediates());
        Capabilities onlyC = ZfsUsage.parse(base + "\tsend [-Dc] <snapshot>\n").capabilities("", null, "unknown");
        assertEquals(Set.of('c'), onlyC.sendFlags(), "-D is no SendFlag");
        Capabilities sWithoutToken = ZfsUsage.parse(base + "\treceive [-s] <filesystem>\n\tsend [-w] <snapshot>\n")
                .capabilities("", null, "unknown");
        assertFalse(sWithoutToken.resumableReceive(), "resuming needs both recv -s and send -t");
        assertTrue(sWithoutToken.rawSend());
        Capabilities holdsWithUsage =
                ZfsUsage.parse(base + "\tholds [-r] <snapshot> ...\n").capabilities("usage:\n\tholds", null, "unknown");
        assertTrue(holdsWithUsage.holdsListing());
        Capabilities blankVersion = ZfsUsage.parse(base).capabilities("", "  \n", "zfs-fuse");
        assertEquals("zfs-fuse", blankVersion.version());
    }

    @Test
    void refusesSomethingThatIsNotZfs() {
        ZfsException e = assertThrows(ZfsException.class, () -> ZfsUsage.parse("bash: zfs: command not found\n"));
        assertEquals(
                "zfs did not print its usage when run without arguments: bash: zfs: command not found", e.getMessage());
    }

    @Test
    void missingExplainsEachGap() throws Exception {
        Capabilities caps = ZfsUsage.parse(resource("usage-zfs-fuse.txt"))
                .capabilities(resource("holds-zfs-fuse.txt"), null, "zfs-fuse");
        assertEquals(9, caps.missing().size());
        assertTrue(caps.missing().get(0).startsWith("bookmarks"));
        assertTrue(caps.missing().contains("'zfs destroy fs@a,b' (one call per snapshot)"));
        assertEquals(14, caps.features().size());
        assertEquals(
                List.of("properties send (zfs send -p)"),
                caps.features().stream()
                        .filter(Capabilities.Feature::present)
                        .map(Capabilities.Feature::name)
                        .toList());
    }

    @Test
    void aNonRootAccountThatCannotReachZfsAtAllIsToldToRunAsRoot() {
        String fuse = "connect: Permission denied\ninternal error: failed to initialize ZFS library\n";
        ZfsException e = assertThrows(ZfsException.class, () -> ZfsUsage.parse(fuse, "nobody"));
        assertEquals(
                "zfs did not print its usage when run without arguments: connect: Permission denied; zfs ran as"
                        + " 'nobody', not root, and could not reach the ZFS kernel module or the zfs-fuse daemon: run zreplj as"
                        + " root",
                e.getMessage());
        ZfsException asRoot = assertThrows(ZfsException.class, () -> ZfsUsage.parse(fuse, "root"));
        assertEquals(
                "zfs did not print its usage when run without arguments: connect: Permission denied",
                asRoot.getMessage());
    }
}
