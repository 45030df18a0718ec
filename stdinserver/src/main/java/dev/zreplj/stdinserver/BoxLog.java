package dev.zreplj.stdinserver;

import dev.zreplj.files.StateFiles;
import dev.zreplj.protocol.Printable;
import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.InvalidNameException;
import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.BucketConfiguration;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The box's own log, {@code <state_dir>/log/stdinserver.log}: the forced command's stderr goes to the
 * client, so the admin would never see a refusal there. One line per event, {@code TIME LEVEL
 * client 'ID' [pid N]: message}, with the client id from the forced command and every character of the
 * message that could end a line or fake an escape written as an escape ({@link Printable}), so a client
 * cannot forge a line attributed to another. Every stdinserver process appends whole lines with one
 * {@code O_APPEND} write each, so concurrent processes do not interleave within a line.
 *
 * <p>A refusal costs a client one cheap request, and each is a line here: so the refusals and failures of one
 * client share a budget across all its processes ({@code <state_dir>/log-budget/<client>.bucket}, {@link
 * #BUDGET} lines, refilled over a day); past it, a process writes one line saying so and no more refusals,
 * and a hostile client cannot fill the disk of the state directory (whose receive times the floor needs).
 * Receives and destroys (real work) are always logged; a SEND served shares the budget ({@link #served}).
 */
final class BoxLog {
    private static final Logger log = LoggerFactory.getLogger(BoxLog.class);
    /** Refusal and failure lines a client may write in a day (a refilling bucket). */
    static final long BUDGET = 10_000;
    /** The longest message a line holds; the rest is cut off, saying how much. */
    static final int MAX_TEXT = 2000;

    private final Path file;
    private final String clientId;
    private final PrintStream err;
    private final Path budgetFile;
    private final long budget;
    private Bucket bucket;
    private boolean overBudget;

    /** @param err the forced command's stderr (the client's): refusals are repeated there, so it knows why */
    BoxLog(Path stateDir, String clientId, PrintStream err) {
        this(stateDir, clientId, err, BUDGET);
    }

    /** @param budget refusal and failure lines the client may write in a day */
    BoxLog(Path stateDir, String clientId, PrintStream err, long budget) {
        this.file = path(stateDir);
        this.clientId = Printable.of(clientId);
        this.err = err;
        // An invalid CLIENT_ID (the forced command's, refused at once) makes no file name: it has no budget.
        this.budgetFile =
                validIdentifier(clientId) ? stateDir.resolve("log-budget").resolve(clientId + ".bucket") : null;
        this.budget = budget;
    }

    static Path path(Path stateDir) {
        return stateDir.resolve("log").resolve("stdinserver.log");
    }

    /** An event worth the admin's eye: into the box's log, and (as before) the process's log on stderr. */
    void info(String message) {
        String text = Printable.of(message);
        log.info("client {}: {}", clientId, text);
        write("INFO", text);
    }

    /**
     * A SEND served: real work, but a client can ask for the same small one without end, so its lines share the
     * daily budget of the refusals (an honest restore uses a few hundred at most).
     */
    void served(String message) {
        String text = Printable.of(message);
        log.info("client {}: {}", clientId, text);
        budgeted("INFO", text);
    }

    /** A refused request (the client got its ERROR reply): into the box's log, and the process's log on stderr. */
    void refused(String message) {
        String text = Printable.of(message);
        log.warn("client {}: {}", clientId, text);
        budgeted("WARN", text);
    }

    /** A failure that ends the process, or a keep_floor refusal: the box's log, and one line on the client's stderr. */
    void failure(String message) {
        String text = Printable.of(message);
        err.println("zreplj stdinserver: client '" + clientId + "': " + text);
        budgeted("WARN", text);
    }

    /** A failure the client has already been told in its own words: into the box's log only. */
    void record(String message) {
        budgeted("WARN", Printable.of(message));
    }

    /** A refusal or failure line, when the client's budget has one left; once per process, a line that it has not. */
    private void budgeted(String level, String text) {
        if (take()) {
            write(level, text);
        } else if (!overBudget) {
            overBudget = true;
            write(
                    "WARN",
                    "over its log budget of " + budget + " lines a day: further refusals, failures and sends of"
                            + " this channel are not logged here");
        }
    }

    private static boolean validIdentifier(String clientId) {
        try {
            DatasetName.validateIdentifier(clientId, "CLIENT_ID");
            return true;
        } catch (InvalidNameException e) {
            return false;
        }
    }

    private boolean take() {
        if (budgetFile == null) {
            return true;
        }
        try {
            if (bucket == null) {
                BucketConfiguration configuration = BucketConfiguration.builder()
                        .addLimit(Bandwidth.builder()
                                .capacity(budget)
                                .refillGreedy(budget, Duration.ofDays(1))
                                .build())
                        .build();
                bucket = new FileBuckets().builder().build(budgetFile, () -> configuration);
            }
            return bucket.tryConsume(1);
        } catch (RuntimeException e) {
            // Without its budget file the box still logs: a line too many beats a refusal unaccounted for. Any
            // RuntimeException: Bucket4j wraps the file's error in its own (a full state disk), and one thrown out
            // of here cut the receive's refusal off from the client.
            log.warn("cannot use the log budget {}: {}", budgetFile, Printable.of(rootMessage(e)));
            return true;
        }
    }

    /** The innermost cause's words ("No space left on device"), after what the bucket store said it was doing. */
    private static String rootMessage(Throwable e) {
        Throwable store = e;
        while (!(store instanceof UncheckedIOException) && store.getCause() != null) {
            store = store.getCause();
        }
        Throwable root = store;
        while (root.getCause() != null) {
            root = root.getCause();
        }
        return root == store ? String.valueOf(store.getMessage()) : store.getMessage() + ": " + root.getMessage();
    }

    /** Whether the log's last byte ends a line (or it is empty); an append channel cannot read it. */
    private static boolean endsALine(Path file, long size) {
        if (size == 0) {
            return true;
        }
        try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
            ByteBuffer last = ByteBuffer.allocate(1);
            return in.read(last, size - 1) != 1 || last.get(0) == '\n';
        } catch (IOException e) {
            return true; // a log this process may append to but not read: the line is written as before
        }
    }

    private void write(String level, String full) {
        // A client's name can be a whole request frame long (a refused name is quoted in the refusal).
        String text = full.length() <= MAX_TEXT
                ? full
                : full.substring(0, MAX_TEXT) + "... (" + (full.length() - MAX_TEXT) + " more characters)";
        String line = Instant.now() + " " + level + " client '" + clientId + "' [pid "
                + ProcessHandle.current().pid() + "]: " + text + "\n";
        try {
            LockFile.createDirectories(file.getParent());
            // Not through a link: a local sink's stdinserver runs as root in the box user's directory.
            try (FileChannel ch = StateFiles.openAppend(file, LockFile.BOX_FILE)) {
                // A full disk takes what fits of a line and no more: the next line, once there is room, must not
                // run on from that cut one as if one event had both texts.
                if (!endsALine(file, ch.size())) {
                    line = "\n" + line;
                }
                ByteBuffer bytes = ByteBuffer.wrap(line.getBytes(StandardCharsets.UTF_8));
                while (bytes.hasRemaining()) {
                    ch.write(bytes); // what did not fit fails here (ENOSPC), and says so below
                }
            }
        } catch (IOException e) {
            // The receive or destroy must not fail because the log cannot be written; say so where we can.
            log.warn("cannot write the box log {}", Printable.of(StateFiles.describe(file, e)));
        }
    }
}
