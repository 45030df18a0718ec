package dev.zreplj.agent;

import java.time.Instant;

/**
 * A snapshot a pass took and when its round began (unix seconds): before the pre_snapshot hooks ran, at the
 * instant its name was made from. zfs stamps the snapshot's creation only after the hooks, so a job whose hooks
 * take longer than the schedule's slack would find each snapshot less than an interval old at the next slot.
 */
public record SnapshotRound(String name, long started) {
    public SnapshotRound(String name, Instant started) {
        this(name, started.getEpochSecond());
    }

    public Instant startedAt() {
        return Instant.ofEpochSecond(started);
    }
}
