package dev.zreplj.config;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.yaml.snakeyaml.nodes.Node;

/**
 * zrepl 0.7's top-level {@code include:}: a list of paths, each a {@code .yml} file or a directory whose
 * {@code *.yml} files are taken in name order. Relative paths are relative to the including file's
 * directory. An included file contributes its {@code jobs} only and must not include further files;
 * its jobs keep their own file name in every error.
 */
final class ConfigInclude {
    private ConfigInclude() {}

    static List<ConfigLoader.JobNode> jobs(YamlMapping top, Path configFile) throws ConfigException {
        YamlSource src = top.source();
        Path absolute = configFile.toAbsolutePath();
        // Only a root has no parent, and a root is no config file: its read fails with a clear message.
        Path base = absolute.getParent() != null ? absolute.getParent() : absolute;
        List<ConfigLoader.JobNode> jobs = new ArrayList<>();
        for (Node entry : src.sequence(top.require("include"), "'include'")) {
            for (Path file : files(src, entry, base)) {
                jobs.addAll(jobsOf(file, src.warnings()));
            }
        }
        return jobs;
    }

    private static List<Path> files(YamlSource src, Node entry, Path base) throws ConfigException {
        String text = src.nonEmptyString(entry, "each 'include' entry");
        Path path;
        try {
            path = base.resolve(text);
        } catch (InvalidPathException e) {
            throw src.error(entry, "include '" + text + "' is not a usable path");
        }
        if (Files.isDirectory(path)) {
            List<Path> files = new ArrayList<>();
            try (DirectoryStream<Path> dir = Files.newDirectoryStream(path, "*.yml")) {
                dir.forEach(files::add);
            } catch (IOException e) {
                throw src.error(entry, "include '" + text + "': cannot list directory " + path + ": " + e.getMessage());
            }
            files.removeIf(f -> !Files.isRegularFile(f));
            files.sort(null);
            return files;
        }
        if (Files.isRegularFile(path)) {
            if (!path.getFileName().toString().endsWith(".yml")) {
                throw src.error(entry, "include '" + text + "': included files must end with .yml (as in zrepl)");
            }
            return List.of(path);
        }
        throw src.error(
                entry,
                "include '" + text + "': " + path
                        + (Files.exists(path) ? " is not a file or directory" : " does not exist")
                        + "; give a .yml file or a directory of them");
    }

    private static List<ConfigLoader.JobNode> jobsOf(Path file, List<String> warnings) throws ConfigException {
        YamlSource src = new YamlSource(file.toString(), warnings);
        Node root = ConfigLoader.composeFile(src, file);
        if (root == null) {
            return List.of();
        }
        YamlMapping m = src.mapping(root, "an included file");
        if (m.has("include")) {
            throw src.error(m.keyNode("include"), "an included file must not include other files (as in zrepl)");
        }
        m.allowOnly("jobs");
        List<ConfigLoader.JobNode> jobs = new ArrayList<>();
        if (m.has("jobs")) {
            for (Node n : src.sequence(m.require("jobs"), "'jobs'")) {
                jobs.add(new ConfigLoader.JobNode(src, n));
            }
        }
        return jobs;
    }
}
