package dev.zreplj.cli;

import dev.zreplj.zfs.DatasetName;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * What {@code zreplj box setup} does on a box, decided from what it found there, so that every decision is
 * tested without ZFS or root. Each step is idempotent: a second run finds everything in place.
 */
record BoxSetupPlan(List<Step> steps, List<String> problems, List<String> notes) {

    /**
     * What the stdinserver does below root_fs, as zfs-allow(8) names it: create the jail and placeholders
     * (create, with mountpoint=none set at creation: mountpoint), receive (-F rolls back, -s keeps a
     * resumable state, recv -A aborts it: destroy), send (the way back: a restore's
     * zfs send of what the box holds), destroy snapshots the client prunes, the last-received
     * holds and their release, and its user properties (zrepl:placeholder). OpenZFS asks for mount beside
     * create, receive, destroy and rollback even when nothing mounts (recv -u); canmount because received
     * filesystems' mount and share properties are excluded (recv -x canmount,sharenfs,sharesmb: without
     * their permission zfs recv warns "cannot receive sharenfs property: permission denied" on every step);
     * volmode because a received volume gets volmode=none (recv -o: without it zfs recv only warns and the
     * volume becomes a block device on the box, which the stdinserver then reports as a failed receive).
     * Found by running each of these as a delegated user on OpenZFS 2.3 (docs/box.md).
     */
    static final List<String> PERMISSIONS = List.of(
            "create",
            "receive",
            "send",
            "destroy",
            "rollback",
            "mount",
            "hold",
            "release",
            "userprop",
            "mountpoint",
            "canmount",
            "sharenfs",
            "sharesmb",
            "volmode");

    /** Shells that run no rc file for {@code sh -c COMMAND}, which is how sshd starts the forced command. */
    static final Set<String> QUIET_SHELLS = Set.of("/bin/sh", "/usr/bin/sh", "/bin/dash", "/usr/bin/dash");

    /**
     * What a step does: through the zfs layer, or for directories in Java, which never follows a link in them
     * (the command printed for those, {@code install -d}, makes the same change by hand).
     */
    enum Kind {
        CREATE_ROOT_FS,
        ALLOW,
        STATE_DIRECTORY,
        SSH_DIRECTORY
    }

    /** One change: a line for the operator and the command that makes it (printed by --dry-run). */
    record Step(Kind kind, String description, List<String> command) {}

    /** A user from the password database. */
    record User(String name, int uid, int gid, Path home, String shell) {
        boolean isRoot() {
            return uid == 0;
        }
    }

    /**
     * What the box has now.
     *
     * @param sshDirRight ~/.ssh is the user's with mode 0700 and, for a user other than root, its authorized_keys
     *     the user's with mode 0600
     * @param links those of the state directory, its metrics/clients, ~/.ssh and (not root) its authorized_keys
     *     that are symbolic links: the
     *     box user can plant one in its own directories (metrics -> /etc), and root's setup must not give the
     *     target away
     */
    record Found(
            DatasetName rootFs,
            boolean rootFsExists,
            User user,
            boolean zfsDelegates,
            Path stateDir,
            boolean stateDirRight,
            boolean sshDirRight,
            String zfs,
            List<String> recvProperties,
            List<Path> links) {
        Found {
            recvProperties = List.copyOf(recvProperties);
            links = List.copyOf(links);
        }
    }

    /**
     * {@link #PERMISSIONS} and the native properties the sink jobs' {@code recv.properties} override or
     * inherit: without their permission zfs recv only warns and receives the stream's value, so a migrated
     * {@code override: {readonly: "on"}} left the copies writable. User properties (with a colon) need
     * {@code userprop} only.
     */
    static List<String> permissions(Found f) {
        List<String> out = new ArrayList<>(PERMISSIONS);
        for (String p : f.recvProperties()) {
            if (p.indexOf(':') < 0 && !out.contains(p)) {
                out.add(p);
            }
        }
        return out;
    }

    /**
     * Where zfs has no {@code recv -o/-x} (zfs-fuse) the stdinserver receives without the sink's recv.properties:
     * setup is where the admin who configured them hears it first.
     */
    static List<String> recvPropertiesNotes(List<String> recvProperties, boolean zfsReceivesProperties) {
        if (zfsReceivesProperties || recvProperties.isEmpty()) {
            return List.of();
        }
        return List.of("this zfs has no 'zfs recv -o/-x', so the sink jobs' recv.properties ("
                + String.join(", ", recvProperties) + ") are not applied to what the box receives: the box's log says"
                + " so, and a property stream that sets one of them is refused");
    }

    /**
     * For a local sink's root_fs: its creation alone. The box user's steps, problems and notes are for a
     * stdinserver sshd starts; a local sink's is the agent's child.
     */
    BoxSetupPlan rootFsOnly() {
        return new BoxSetupPlan(
                steps.stream().filter(s -> s.kind() == Kind.CREATE_ROOT_FS).toList(), List.of(), List.of());
    }

    static BoxSetupPlan of(Found f) {
        List<Step> steps = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        List<String> notes = new ArrayList<>();
        User u = f.user();
        if (u.isRoot() && !QUIET_SHELLS.contains(u.shell())) {
            notes.add("root's shell " + u.shell() + " reads its rc files for every channel sshd starts: keep them"
                    + " silent and fast, or give the box its own user (possible only where zfs allow works)");
        }
        if (!u.isRoot() && !f.zfsDelegates()) {
            // Alone: advice to mend this user's shell first would send the admin to usermod for a user that can
            // never be the box's here.
            problems.add("this zfs cannot delegate permissions (zfs allow; zfs-fuse cannot), so the box must run"
                    + " as root: zreplj box setup --user root " + f.rootFs());
        } else if (!u.isRoot() && !QUIET_SHELLS.contains(u.shell())) {
            problems.add("the login shell of " + u.name() + " is " + u.shell() + ", which runs rc files (or refuses)"
                    + " for every channel sshd starts; give it /bin/sh: usermod -s /bin/sh " + u.name());
        }
        for (Path p : f.links()) {
            problems.add(p + " is a symbolic link; box setup does not follow links in the box"
                    + " user's directories (remove it and run box setup again)");
        }
        if (!f.rootFsExists()) {
            // canmount=off: root_fs holds only the clients' jails; nothing of it is ever mounted.
            steps.add(new Step(
                    Kind.CREATE_ROOT_FS,
                    "create root_fs " + f.rootFs() + " (canmount=off, mountpoint=none)",
                    List.of(
                            f.zfs(),
                            "create",
                            "-o",
                            "canmount=off",
                            "-o",
                            "mountpoint=none",
                            f.rootFs().value())));
        }
        if (!u.isRoot()) {
            steps.add(new Step(
                    Kind.ALLOW,
                    "allow " + u.name() + " on " + f.rootFs() + ": " + String.join(",", permissions(f)),
                    List.of(
                            f.zfs(),
                            "allow",
                            "-u",
                            u.name(),
                            String.join(",", permissions(f)),
                            f.rootFs().value())));
        }
        if (!f.stateDirRight()) {
            // metrics/ is the one subdirectory a root agent on the same machine writes too (docs/systemd.md).
            steps.add(directories(
                    Kind.STATE_DIRECTORY,
                    "set up state directory " + f.stateDir() + " and its metrics/clients: owner " + u.name()
                            + ", mode 0750",
                    u,
                    "0750",
                    f.stateDir(),
                    f.stateDir().resolve("metrics"),
                    f.stateDir().resolve("metrics/clients")));
        }
        if (!f.sshDirRight()) {
            Step dir = directories(
                    Kind.SSH_DIRECTORY,
                    "set up " + u.home().resolve(".ssh") + ": owner " + u.name() + ", mode 0700",
                    u,
                    "0700",
                    u.home().resolve(".ssh"));
            if (!u.isRoot()) {
                // sshd reads it as the user; root's >> under a umask of 027 would make it root's 0640, unreadable.
                Path keys = u.home().resolve(".ssh/authorized_keys");
                List<String> command = new ArrayList<>(dir.command());
                command.addAll(List.of(
                        "&&",
                        "touch",
                        keys.toString(),
                        "&&",
                        "chown",
                        u.name() + ":" + u.gid(),
                        keys.toString(),
                        "&&",
                        "chmod",
                        "0600",
                        keys.toString()));
                dir = new Step(
                        Kind.SSH_DIRECTORY,
                        dir.description() + "; its authorized_keys (created empty when missing): owner " + u.name()
                                + ", mode 0600",
                        List.copyOf(command));
            }
            steps.add(dir);
        }
        return new BoxSetupPlan(List.copyOf(steps), List.copyOf(problems), List.copyOf(notes));
    }

    /** {@code install -d}: the directories, owned by {@code u} with {@code mode}. */
    private static Step directories(Kind kind, String description, User u, String mode, Path... dirs) {
        List<String> command =
                new ArrayList<>(List.of("install", "-d", "-o", u.name(), "-g", String.valueOf(u.gid()), "-m", mode));
        for (Path dir : dirs) {
            command.add(dir.toString());
        }
        return new Step(kind, description, List.copyOf(command));
    }

    /**
     * The authorized_keys and sshd_config lines that match this user, as contrib/sshd has them. For root only
     * what the agent needs (channels, a dead link noticed): the rest of the block would take password logins,
     * TTYs and forwarding from the admin's own root logins, and each key line's {@code restrict} already
     * takes them from the client.
     */
    static String snippet(User u, Path config) {
        Path keys = u.home().resolve(".ssh/authorized_keys");
        if (u.isRoot()) {
            return String.join(
                    "\n",
                    "# " + keys + ": one line per client, made here with",
                    "#   zreplj --config " + config + " authorized-keys CLIENT_ID --key CLIENT.pub >> " + keys,
                    "# /etc/ssh/sshd_config.d/zreplj.conf (then: systemctl reload ssh). Not contrib/sshd's whole block:",
                    "# for root it would also bind the admin's own logins (no TTY, no forwarding); each key line's",
                    "# 'restrict' and forced command confine the client.",
                    "Match User root",
                    "    MaxSessions 16",
                    "    ClientAliveInterval 30",
                    "    ClientAliveCountMax 4",
                    "");
        }
        return String.join(
                "\n",
                "# " + keys + ": one line per client, made here with",
                "#   zreplj --config " + config + " authorized-keys CLIENT_ID --key CLIENT.pub >> " + keys,
                "# /etc/ssh/sshd_config.d/zreplj.conf (then: systemctl reload ssh):",
                "Match User " + u.name(),
                "    PasswordAuthentication no",
                "    KbdInteractiveAuthentication no",
                "    PubkeyAuthentication yes",
                "    AuthenticationMethods publickey",
                "    MaxSessions 16",
                "    ClientAliveInterval 30",
                "    ClientAliveCountMax 4",
                "    AllowTcpForwarding no",
                "    AllowAgentForwarding no",
                "    X11Forwarding no",
                "    PermitTTY no",
                "    PermitUserRC no",
                "");
    }
}
