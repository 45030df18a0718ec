package dev.zreplj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.zreplj.zfs.DatasetName;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class BoxSetupPlanTest {
    private static final DatasetName ROOT = DatasetName.of("backup/zreplj");
    private static final BoxSetupPlan.User BOX =
            new BoxSetupPlan.User("zreplj", 998, 997, Path.of("/var/lib/zreplj"), "/bin/sh");
    private static final BoxSetupPlan.User ROOT_USER =
            new BoxSetupPlan.User("root", 0, 0, Path.of("/root"), "/bin/bash");

    private static BoxSetupPlan.Found fresh(BoxSetupPlan.User u, boolean delegates) {
        return new BoxSetupPlan.Found(
                ROOT, false, u, delegates, Path.of("/var/lib/zreplj"), false, false, "zfs", List.of(), List.of());
    }

    @Test
    void aFreshOpenZfsBoxGetsRootFsGrantStateAndSshDirectories() {
        BoxSetupPlan plan = BoxSetupPlan.of(fresh(BOX, true));
        assertEquals(List.of(), plan.problems());
        assertEquals(
                List.of(
                        "zfs create -o canmount=off -o mountpoint=none backup/zreplj",
                        "zfs allow -u zreplj create,receive,send,destroy,rollback,mount,hold,release,userprop,mountpoint,canmount,sharenfs,sharesmb,volmode"
                                + " backup/zreplj",
                        "install -d -o zreplj -g 997 -m 0750 /var/lib/zreplj /var/lib/zreplj/metrics /var/lib/zreplj/metrics/clients",
                        "install -d -o zreplj -g 997 -m 0700 /var/lib/zreplj/.ssh && touch"
                                + " /var/lib/zreplj/.ssh/authorized_keys && chown zreplj:997"
                                + " /var/lib/zreplj/.ssh/authorized_keys && chmod 0600 /var/lib/zreplj/.ssh/authorized_keys"),
                plan.steps().stream().map(s -> String.join(" ", s.command())).toList());
    }

    /** zfs recv only warns where the box user may not set a property recv.properties overrides or inherits. */
    @Test
    void theSinksRecvPropertiesAreGrantedToo() {
        BoxSetupPlan.Found f = new BoxSetupPlan.Found(
                ROOT,
                true,
                BOX,
                true,
                Path.of("/var/lib/zreplj"),
                true,
                true,
                "zfs",
                List.of("readonly", "special_small_blocks", "com.example:note", "canmount"),
                List.of());
        assertEquals(
                List.of(
                        "zfs allow -u zreplj create,receive,send,destroy,rollback,mount,hold,release,userprop,mountpoint,"
                                + "canmount,sharenfs,sharesmb,volmode,readonly,special_small_blocks backup/zreplj"),
                BoxSetupPlan.of(f).steps().stream()
                        .map(s -> String.join(" ", s.command()))
                        .toList(),
                "native properties added once; a user property needs userprop only");
    }

    /** A link the box user planted in its own directories is refused before anything changes. */
    @Test
    void aLinkInTheBoxUsersDirectoriesIsAProblem() {
        BoxSetupPlan plan = BoxSetupPlan.of(new BoxSetupPlan.Found(
                ROOT,
                false,
                BOX,
                true,
                Path.of("/var/lib/zreplj"),
                false,
                false,
                "zfs",
                List.of(),
                List.of(Path.of("/var/lib/zreplj/.ssh"))));
        assertEquals(
                List.of("/var/lib/zreplj/.ssh is a symbolic link; box setup does not follow links in"
                        + " the box user's directories (remove it and run box setup again)"),
                plan.problems());
    }

    @Test
    void aSecondRunOnlyRenewsTheGrant() {
        // zfs allow adds to what is delegated, so repeating it is harmless and repairs a grant someone narrowed.
        BoxSetupPlan plan = BoxSetupPlan.of(new BoxSetupPlan.Found(
                ROOT, true, BOX, true, Path.of("/var/lib/zreplj"), true, true, "zfs", List.of(), List.of()));
        assertEquals(
                List.of(BoxSetupPlan.Kind.ALLOW),
                plan.steps().stream().map(BoxSetupPlan.Step::kind).toList());
    }

    @Test
    void rootNeedsNoGrantAndIsWarnedAboutItsRcFiles() {
        BoxSetupPlan plan = BoxSetupPlan.of(fresh(ROOT_USER, false));
        assertEquals(List.of(), plan.problems());
        assertEquals(
                List.of(
                        "zfs create -o canmount=off -o mountpoint=none backup/zreplj",
                        "install -d -o root -g 0 -m 0750 /var/lib/zreplj /var/lib/zreplj/metrics /var/lib/zreplj/metrics/clients",
                        "install -d -o root -g 0 -m 0700 /root/.ssh"),
                plan.steps().stream().map(s -> String.join(" ", s.command())).toList());
        assertEquals(1, plan.notes().size());
        assertTrue(plan.notes().get(0).startsWith("root's shell /bin/bash reads its rc files"), plan.notes()::toString);
    }

    @Test
    void aUserWhoseShellRunsRcFilesOrWhereZfsCannotDelegateIsRefused() {
        BoxSetupPlan.User bash = new BoxSetupPlan.User("zreplj", 998, 997, Path.of("/var/lib/zreplj"), "/bin/bash");
        assertEquals(
                List.of(
                        "the login shell of zreplj is /bin/bash, which runs rc files (or refuses) for every channel sshd"
                                + " starts; give it /bin/sh: usermod -s /bin/sh zreplj"),
                BoxSetupPlan.of(fresh(bash, true)).problems());
        // Where zfs cannot delegate no user but root can be the box's: its shell is beside the point, and advice
        // to change it first sent the admin to usermod for nothing.
        assertEquals(
                List.of(
                        "this zfs cannot delegate permissions (zfs allow; zfs-fuse cannot), so the box must run as root:"
                                + " zreplj box setup --user root backup/zreplj"),
                BoxSetupPlan.of(fresh(bash, false)).problems());
    }

    @Test
    void theSshdSnippetIsTheOneInContrib() throws Exception {
        Path contrib = Path.of("..", "contrib", "sshd", "sshd_config.d-zreplj.conf");
        List<String> shipped = Files.readAllLines(contrib).stream()
                .filter(l -> !l.strip().startsWith("#"))
                .toList();
        List<String> printed = BoxSetupPlan.snippet(BOX, Path.of("/etc/zreplj/zreplj.yml"))
                .lines()
                .filter(l -> !l.startsWith("#"))
                .toList();
        assertEquals(shipped, printed);
    }

    @Test
    void forRootTheSshdSnippetLeavesTheAdminsOwnLoginsAlone() {
        BoxSetupPlan.User root = new BoxSetupPlan.User("root", 0, 0, Path.of("/root"), "/bin/bash");
        List<String> printed = BoxSetupPlan.snippet(root, Path.of("/etc/zreplj/zreplj.yml"))
                .lines()
                .filter(l -> !l.startsWith("#"))
                .toList();
        assertEquals(
                List.of(
                        "Match User root",
                        "    MaxSessions 16",
                        "    ClientAliveInterval 30",
                        "    ClientAliveCountMax 4"),
                printed);
    }

    @Test
    void passwdEntriesParse() throws Exception {
        assertEquals(BOX, BoxUserLookup.parsePasswd("zreplj:x:998:997:zreplj backup box:/var/lib/zreplj:/bin/sh"));
    }

    /** zfs-fuse has no zfs recv -o/-x: the admin hears at setup that the sink's recv.properties cannot apply. */
    @Test
    void recvPropertiesAZfsCannotApplyAreNamedAtSetup() {
        assertEquals(
                List.of("this zfs has no 'zfs recv -o/-x', so the sink jobs' recv.properties (readonly, org.x:y) are"
                        + " not applied to what the box receives: the box's log says so, and a"
                        + " property stream that sets one of them is refused"),
                BoxSetupPlan.recvPropertiesNotes(List.of("readonly", "org.x:y"), false));
        assertEquals(List.of(), BoxSetupPlan.recvPropertiesNotes(List.of("readonly"), true));
        assertEquals(List.of(), BoxSetupPlan.recvPropertiesNotes(List.of(), false));
    }
}
