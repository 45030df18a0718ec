package dev.zreplj.stdinserver;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
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
 */
final class BoxLog {
    private static final Logger log = LoggerFactory.getLogger(BoxLog.class);

    private final Path file;
    private final String clientId;
    private final PrintStream err;

    /** @param err the forced command's stderr (the client's): refusals are repeated there, so it knows why */
    BoxLog(Path stateDir, String clientId, PrintStream err) {
        this.file = path(stateDir);
        this.clientId = Printable.of(clientId);
        this.err = err;
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

    /** A refused request (the client got its ERROR reply): into the box's log, and the process's log on stderr. */
    void refused(String message) {
        String text = Printable.of(message);
        log.warn("client {}: {}", clientId, text);
        write("WARN", text);
    }

    /** A failure that ends the process, or a keep_floor refusal: the box's log, and one line on the client's stderr. */
    void failure(String message) {
        String text = Printable.of(message);
        err.println("zreplj stdinserver: client '" + clientId + "': " + text);
        write("WARN", text);
    }

    /** A failure the client has already been told in its own words: into the box's log only. */
    void record(String message) {
        write("WARN", Printable.of(message));
    }

    private void write(String level, String text) {
        String line = Instant.now() + " " + level + " client '" + clientId + "' [pid "
                + ProcessHandle.current().pid() + "]: " + text + "\n";
        try {
            Files.createDirectories(file.getParent());
            try (FileChannel ch = FileChannel.open(
                    file, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND)) {
                ch.write(ByteBuffer.wrap(line.getBytes(StandardCharsets.UTF_8)));
            }
        } catch (IOException e) {
            // The receive or destroy must not fail because the log cannot be written; say so where we can.
            log.warn("cannot write the box log {}: {}", file, Printable.of(e.getMessage()));
        }
    }
}
