package dev.zreplj.stdinserver;

import dev.zreplj.protocol.ErrorCodes;
import dev.zreplj.protocol.RemoteException;
import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.InvalidNameException;
import java.util.Collection;

/**
 * A client's part of the pool, {@code <root_fs>/<client>}. Turns the names a client sends (the sender's
 * dataset names) into datasets inside the jail, or refuses them; nothing here runs zfs.
 */
final class Jail {
    private final DatasetName root;

    Jail(DatasetName root) {
        this.root = root;
    }

    DatasetName root() {
        return root;
    }

    /**
     * The dataset a client's path names. The path is parsed as a dataset name on its own, so '..', '.',
     * '@', '#', leading or doubled '/', spaces and option-like components are refused before they are
     * joined to the jail; the join is then checked to lie strictly below the jail.
     */
    DatasetName resolve(String path) throws RemoteException {
        if (path == null) {
            throw refused("no dataset path given");
        }
        DatasetName target;
        try {
            DatasetName.of(path);
            int length = root.value().length() + 1 + path.length();
            if (length > DatasetName.MAX_LENGTH) {
                throw tooLong("dataset path", path, length);
            }
            target = root.child(path);
        } catch (InvalidNameException e) {
            throw refused("dataset path '" + shorten(path) + "' is invalid: " + e.getMessage());
        }
        if (target.equals(root) || !target.isSelfOrDescendantOf(root)) {
            throw refused("dataset path '" + shorten(path) + "' lies outside the jail " + root);
        }
        return target;
    }

    /**
     * The dataset of a request about snapshots (RECV, DESTROY): the path as {@link #resolve(String)}
     * takes it, and each snapshot name valid on its own and within the length limit joined to it.
     */
    DatasetName resolve(String path, Collection<String> snapshots) throws RemoteException {
        DatasetName target = resolve(path);
        for (String snapshot : snapshots) {
            validateSnapshotName(snapshot);
            int length = target.value().length() + 1 + snapshot.length();
            if (length > DatasetName.MAX_LENGTH) {
                throw tooLong("snapshot name", target + "@" + snapshot, length);
            }
        }
        return target;
    }

    /** The sender-side name of a dataset inside the jail. */
    String pathOf(DatasetName dataset) {
        return dataset.relativeTo(root);
    }

    static void validateSnapshotName(String snapshot) throws RemoteException {
        try {
            DatasetName.validateComponent(snapshot, "snapshot name");
        } catch (InvalidNameException e) {
            throw refused(e.getMessage());
        }
    }

    /**
     * A name the jail makes too long for zfs. The client sees only its own names, so the refusal says what the
     * jail adds and by how much the filesystem's name is over: without it the admin cannot tell what to shorten.
     */
    private RemoteException tooLong(String what, String name, int length) {
        return refused(what + " '" + shorten(name) + "' is longer than " + DatasetName.MAX_LENGTH + " characters ("
                + length + ") on the box, which puts '" + root + "/' before the filesystem's name: shorten the"
                + " filesystem's name by " + (length - DatasetName.MAX_LENGTH) + ", or exclude it from the job's"
                + " filter");
    }

    private static RemoteException refused(String message) {
        return new RemoteException(ErrorCodes.JAIL, message, "");
    }

    private static String shorten(String s) {
        String t = s.length() > 80 ? s.substring(0, 80) + "..." : s;
        StringBuilder sb = new StringBuilder();
        for (char c : t.toCharArray()) {
            sb.append(c < 0x20 || c == 0x7f ? String.format("\\x%02x", (int) c) : String.valueOf(c));
        }
        return sb.toString();
    }
}
