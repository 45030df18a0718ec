package dev.zreplj.replication;

/**
 * What one filesystem's stream can do on this agent and box, as the planner needs it.
 *
 * @param resume this agent's zfs has {@code send -t} and the box announced resumable receives it can check
 *               ({@code recv -x} for the resumed stream's payload); without, a partial receive on the box is
 *               discarded instead
 * @param series both sides can carry several snapshots in one stream (this zfs has {@code send -I}, the box
 *               announced {@code snapshot-series}): consecutive incremental steps become one, see
 *               {@link SeriesPlanner}
 * @param raw    the stream is raw (the job sends raw and zfs encrypts the filesystem; {@code zfs send -w} of an
 *               unencrypted one is a plain stream): a partial receive is resumed only when its token says the
 *               same, since {@code zfs send -t} takes the stream's flags from the box's token
 */
public record StreamAbilities(boolean resume, boolean series, boolean raw) {
    /** Resumable, one snapshot per stream, not raw. */
    public static final StreamAbilities RESUMABLE = new StreamAbilities(true, false, false);

    public StreamAbilities withResume(boolean value) {
        return new StreamAbilities(value, series, raw);
    }

    public StreamAbilities withSeries(boolean value) {
        return new StreamAbilities(resume, value, raw);
    }

    public StreamAbilities withRaw(boolean value) {
        return new StreamAbilities(resume, series, value);
    }
}
