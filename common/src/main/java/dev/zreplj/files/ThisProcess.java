package dev.zreplj.files;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;

/** The user this process runs as: /proc/self belongs to it. */
public final class ThisProcess {
    private static final Path SELF = Path.of("/proc/self");

    private ThisProcess() {}

    /** Its uid, read once; -1 where there is no /proc/self (not Linux), which matches no file's owner. */
    public static int uid() {
        return Uid.VALUE;
    }

    /** Its user, as the file system names owners. */
    static UserPrincipal user() throws IOException {
        return Files.getOwner(SELF);
    }

    /** Whether {@code path} (followed if a link) belongs to this process's user. */
    public static boolean owns(Path path) throws IOException {
        return uidOf(path) == uid();
    }

    private static int uidOf(Path path) throws IOException {
        try {
            return (Integer) Files.getAttribute(path, "unix:uid");
        } catch (UnsupportedOperationException | IllegalArgumentException e) {
            throw new IOException(path + ": the file system does not say who owns it", e);
        }
    }

    private static final class Uid {
        static final int VALUE = read();

        private static int read() {
            try {
                return uidOf(SELF);
            } catch (IOException e) {
                return -1;
            }
        }
    }
}
