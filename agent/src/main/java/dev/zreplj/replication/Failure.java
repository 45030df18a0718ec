package dev.zreplj.replication;

import dev.zreplj.protocol.ErrorCodes;
import dev.zreplj.protocol.RemoteException;
import dev.zreplj.zfs.ZfsException;
import java.io.IOException;

/**
 * Why a filesystem failed, typed once where the failure is caught so that nobody reads messages to
 * decide. Transient causes may pass by themselves, so another attempt in the same pass is worth it;
 * permanent ones need a person or a changed state.
 */
public enum Failure {
    /** The channel or session to the box broke. */
    CONNECTION_LOST(true),
    /** The box is receiving into the same dataset for someone else, or repaired the target and asks again. */
    BUSY(true),
    /** The watchdog cut work that made no progress. */
    STALLED(true),
    /** The box said no (its jail, its policy, a stream it rejects, a guid that does not match). */
    REFUSED(false),
    /** The box's zfs recv ran out of space: the client's jail is at its quota, or the box's pool is full. */
    NO_SPACE(false),
    /** The two sides diverged and the config does not allow resolving it. */
    CONFLICT(false),
    /** The local zfs failed. */
    ZFS(false),
    /** Anything else: a bug or an environment problem; reported with its message. */
    ERROR(false);

    /** What the admin does about {@link #NO_SPACE}; the filesystem's line ends with it. */
    public static final String NO_SPACE_ADVICE = "the client's jail on the box is at its quota or the box's pool is"
            + " full: raise the jail's quota or free space in the box's pool, or keep fewer snapshots there"
            + " (keep_receiver); the next pass sends it again";

    /** A step's failure for {@link #NO_SPACE}, after "step @A -> @B: ": the box's own words, then what to do. */
    public static String noSpace(String boxWords) {
        return "the backup box has no space for it: " + boxWords + "; " + NO_SPACE_ADVICE;
    }

    private final boolean passing;

    Failure(boolean passing) {
        this.passing = passing;
    }

    /** Whether the cause may pass by itself within the pass. */
    public boolean isTransient() {
        return passing;
    }

    /** The kind of a caught failure. */
    public static Failure of(Throwable e) {
        if (e instanceof StalledException) {
            return STALLED;
        }
        if (e instanceof RemoteException r) {
            if (ErrorCodes.BUSY.equals(r.code()) || ErrorCodes.RETRY.equals(r.code())) {
                return BUSY;
            }
            return ErrorCodes.ZFS.equals(r.code())
                            && ZfsException.isNoSpace(r.detail().isBlank() ? r.getMessage() : r.detail())
                    ? NO_SPACE
                    : REFUSED;
        }
        if (e instanceof ZfsException) {
            return ZFS;
        }
        if (e instanceof IOException) {
            return CONNECTION_LOST;
        }
        return ERROR;
    }
}
