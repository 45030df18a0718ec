package dev.zreplj.replication;

import dev.zreplj.zfs.SendRequest;
import dev.zreplj.zfs.SourceZfs;
import dev.zreplj.zfs.ZfsException;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One {@code zfs send -nvP} per step, for the progress display and the report. It runs beside the step's
 * {@code zfs send}, not before it: the estimate is read-only and only shown, and waiting for it put one zfs
 * call between each step and its first byte. A zfs that cannot estimate (zfs-fuse has no {@code send -n}) is
 * not asked at all ({@link dev.zreplj.zfs.Zfs#estimateSendSize} answers at once), and one that fails is asked once
 * per pass, not once per step.
 */
final class SizeEstimator {
    private static final Logger log = LoggerFactory.getLogger(SizeEstimator.class);

    private final SourceZfs zfs;
    private volatile boolean unsupported;

    SizeEstimator(SourceZfs zfs) {
        this.zfs = zfs;
    }

    /**
     * The step's estimate, asked on a thread of its own from now on; done at once (empty) once this zfs has
     * shown it cannot estimate. The future never fails: an error is an unknown size.
     */
    CompletableFuture<OptionalLong> start(SendRequest request) {
        if (unsupported) {
            return CompletableFuture.completedFuture(OptionalLong.empty());
        }
        CompletableFuture<OptionalLong> size = new CompletableFuture<>();
        Thread t = new Thread(
                () -> {
                    try {
                        size.complete(estimate(request));
                    } catch (RuntimeException e) {
                        log.debug("estimating {}: {}", request, e.toString());
                        size.complete(OptionalLong.empty());
                    }
                },
                "zreplj-estimate");
        t.setDaemon(true);
        t.start();
        return size;
    }

    OptionalLong estimate(SendRequest request) {
        if (unsupported) {
            return OptionalLong.empty();
        }
        try {
            OptionalLong size = zfs.estimateSendSize(request);
            if (size.isEmpty()) {
                unsupported = true;
                log.debug("no send size estimates from this zfs; not asking again in this pass");
            }
            return size;
        } catch (ZfsException e) {
            log.debug("estimating {}: {}", request, e.getMessage());
            return OptionalLong.empty();
        }
    }

    /** The estimates of one filesystem's steps: their sum, or unknown as soon as one step had none. */
    static final class Tally {
        private long sum;
        private boolean unknown;

        void add(OptionalLong estimate) {
            if (estimate.isPresent()) {
                sum += estimate.getAsLong();
            } else {
                unknown = true;
            }
        }

        /** -1 when unknown (no step attempted counts as unknown too). */
        long total(int stepsAttempted) {
            return unknown || stepsAttempted == 0 ? -1 : sum;
        }
    }
}
