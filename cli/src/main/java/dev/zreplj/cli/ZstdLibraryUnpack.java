package dev.zreplj.cli;

import com.github.luben.zstd.util.ZstdVersion;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * Unpacks zstd-jni's native library for this machine into the installation (bin/zreplj-cds-archive runs it
 * at install time, as the installation's owner), where bin/zreplj points zstd-jni at it (-DZstdNativePath).
 * Otherwise zstd-jni unpacks it into java.io.tmpdir on every start and cannot load it where /tmp is mounted
 * noexec (hardened hosts, systemd's PrivateTmp on such a host): streams then went uncompressed. The
 * installation is the one place only the installer may write, like the jars: the library is code the agent
 * runs as root, so never a directory the box user (or anyone else) can write.
 */
final class ZstdLibraryUnpack {
    private ZstdLibraryUnpack() {}

    /** The library's name in the directory, bin/zreplj spells it from zstd-jni's jar name. */
    static String fileName() {
        return "libzstd-jni-" + ZstdVersion.VERSION + ".so";
    }

    /** The jar's resource for this machine (zstd-jni's own naming on Linux), or null off Linux. */
    static String resource() {
        String os = System.getProperty("os.name", "");
        if (!os.equals("Linux")) {
            return null;
        }
        return "/linux/" + System.getProperty("os.arch") + "/" + fileName();
    }

    /** Writes the library into {@code dir} (made if missing) atomically; returns its path. */
    static Path unpack(Path dir) throws IOException {
        String resource = resource();
        InputStream in = resource == null ? null : ZstdVersion.class.getResourceAsStream(resource);
        if (in == null) {
            throw new IOException("zstd-jni has no native library for " + System.getProperty("os.name") + "/"
                    + System.getProperty("os.arch"));
        }
        Files.createDirectories(dir);
        Path target = dir.resolve(fileName());
        Path tmp = dir.resolve(fileName() + ".tmp");
        try (in) {
            Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
        }
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        return target;
    }

    public static void main(String[] args) {
        if (args.length != 1) {
            System.err.println("usage: ZstdLibraryUnpack DIRECTORY");
            System.exit(ExitCodes.USAGE);
        }
        try {
            unpack(Path.of(args[0]));
        } catch (IOException | RuntimeException e) {
            System.err.println("cannot unpack zstd's native library into " + args[0] + ": " + e.getMessage());
            System.exit(ExitCodes.FAILURE);
        }
    }
}
