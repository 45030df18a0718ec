package dev.zreplj.stdinserver;

import dev.zreplj.protocol.Hello;
import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.InvalidNameException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * Names of the receiver's protection of its last received snapshot, per push job: zrepl's hold tag
 * {@code zrepl_last_received_J_<job>}, and the user property {@code zreplj:last_received_j_<job>} on the
 * filesystem that records which snapshots carry it (zfs-fuse cannot list holds). User property names
 * allow only lowercase, so the job is escaped there: '_' becomes "__" and an uppercase letter X "_x".
 * The value is the snapshot names, comma-separated.
 */
final class LastReceived {
    static final String TAG_PREFIX = "zrepl_last_received_J_";
    static final String PROPERTY_PREFIX = "zreplj:last_received_j_";
    /** Keeps tag and escaped property name far below ZFS's 255 characters. */
    static final int MAX_JOB_LENGTH = Hello.MAX_JOB_LENGTH;

    private LastReceived() {}

    /** A job name a client may send: a dataset name component of at most {@link #MAX_JOB_LENGTH} characters. */
    static void validateJob(String job) {
        DatasetName.validateIdentifier(job, "job name");
        if (job.length() > MAX_JOB_LENGTH) {
            throw new InvalidNameException(
                    "job name '" + job.substring(0, 20) + "...' is longer than " + MAX_JOB_LENGTH + " characters");
        }
    }

    static String tag(String job) {
        return TAG_PREFIX + job;
    }

    static String property(String job) {
        StringBuilder sb = new StringBuilder(PROPERTY_PREFIX);
        for (char c : job.toCharArray()) {
            if (c == '_') {
                sb.append("__");
            } else if (c >= 'A' && c <= 'Z') {
                sb.append('_').append(Character.toLowerCase(c));
            } else {
                sb.append(c);
            }
        }
        return sb.toString();
    }

    /** The job of a last-received property ({@link #property}'s escaping undone), or empty. */
    static Optional<String> jobOf(String property) {
        if (!property.startsWith(PROPERTY_PREFIX)) {
            return Optional.empty();
        }
        String escaped = property.substring(PROPERTY_PREFIX.length());
        StringBuilder job = new StringBuilder();
        for (int i = 0; i < escaped.length(); i++) {
            char c = escaped.charAt(i);
            if (c != '_') {
                job.append(c);
            } else if (i + 1 < escaped.length() && escaped.charAt(i + 1) == '_') {
                job.append('_');
                i++;
            } else if (i + 1 < escaped.length() && escaped.charAt(i + 1) >= 'a' && escaped.charAt(i + 1) <= 'z') {
                job.append(Character.toUpperCase(escaped.charAt(i + 1)));
                i++;
            } else {
                return Optional.empty();
            }
        }
        return job.isEmpty() || !property(job.toString()).equals(property)
                ? Optional.empty()
                : Optional.of(job.toString());
    }

    /** The snapshot names a property value records; a name we would not pass to zfs is left out. */
    static List<String> names(String value) {
        List<String> out = new ArrayList<>();
        if (value == null) {
            return out;
        }
        for (String name : value.split(",")) {
            try {
                DatasetName.validateComponent(name, "snapshot name");
                out.add(name);
            } catch (InvalidNameException e) {
                // "-" (unset), "" or a hand-edited value: nothing zreplj put there.
            }
        }
        return out;
    }

    static String value(Collection<String> names) {
        return String.join(",", names);
    }
}
