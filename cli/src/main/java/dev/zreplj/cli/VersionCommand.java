package dev.zreplj.cli;

import dev.zreplj.config.ConfigException;
import dev.zreplj.protocol.StreamInflater;
import dev.zreplj.zfs.Capabilities;
import dev.zreplj.zfs.Zfs;
import dev.zreplj.zfs.ZfsException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParentCommand;

/**
 * Prints the zreplj and Java versions, the zfs found and each capability. Exits 0 even when zfs is
 * missing or does not answer: an admin runs {@code version} precisely to find out what is missing, and
 * the answer is a clear line on stdout, not a failure of the command.
 */
@Command(
        name = "version",
        description = "Version, Java version, the zfs found and its capabilities, whether zstd loads"
                + " (exits 0 and says so when no usable zfs is found).")
final class VersionCommand implements Callable<Integer> {
    @ParentCommand
    Main parent;

    @Override
    public Integer call() {
        Zfs zfs = null;
        String notFound = null;
        try {
            Path configured = configuredZfs();
            zfs = configured != null ? new Zfs(configured) : Zfs.locate();
        } catch (ZfsException e) {
            notFound = e.getMessage();
        }
        print(System.out, zrepljVersion(), zfs, notFound);
        // Whether streams can go compressed here: zstd's native library fails to load where it is unpacked
        // into a noexec tmpdir (docs/troubleshooting.md), which otherwise shows only as a warning in a pass.
        System.out.println(StreamInflater.unavailable()
                .map(why -> "zstd: unavailable, streams go uncompressed (" + why + ")")
                .orElse("zstd: available"));
        return ExitCodes.OK;
    }

    /**
     * The config's {@code global.zreplj.zfs_binary}, which every other command runs: the capabilities shown
     * must be that zfs's. Null without a config file or the key; a config that does not load is said on
     * stderr and otherwise ignored, as version must answer whatever else is broken.
     */
    private Path configuredZfs() {
        Path file = parent.configPath();
        if (!Files.exists(file)) {
            return null;
        }
        try {
            return parent.loadConfig().global().zfsBinary();
        } catch (ConfigException e) {
            System.err.println(
                    "zreplj: the config is not read, so the zfs below is the one on PATH: " + e.getMessage());
            return null;
        }
    }

    /** From the jar manifest's Implementation-Version; "dev" when run from classes. */
    static String zrepljVersion() {
        String v = VersionCommand.class.getPackage().getImplementationVersion();
        return v == null || v.isBlank() ? "dev" : v;
    }

    /** @param zfs the zfs found, or null with {@code notFound} saying why */
    static void print(PrintStream out, String zrepljVersion, Zfs zfs, String notFound) {
        out.println("zreplj " + zrepljVersion);
        out.println("java " + System.getProperty("java.version") + " (" + System.getProperty("java.vendor") + ")");
        if (zfs == null) {
            out.println("zfs: not found (" + notFound + ")");
            return;
        }
        Capabilities caps;
        try {
            caps = zfs.capabilities();
        } catch (ZfsException e) {
            out.println("zfs " + zfs.binary() + ": does not answer (" + e.getMessage() + ")");
            return;
        }
        out.println("zfs " + zfs.binary() + " (" + caps.version() + ")");
        for (Capabilities.Feature f : caps.features()) {
            out.println("  " + f.name() + ": " + (f.present() ? "yes" : "no"));
        }
        List<String> missing = caps.missing();
        if (!missing.isEmpty()) {
            out.println("missing:");
            missing.forEach(m -> out.println("  - " + m));
        }
    }
}
