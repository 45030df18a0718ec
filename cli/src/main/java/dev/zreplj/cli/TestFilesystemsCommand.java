package dev.zreplj.cli;

import dev.zreplj.config.Config;
import dev.zreplj.config.FilesystemFilter;
import dev.zreplj.config.Job;
import dev.zreplj.config.PushJob;
import dev.zreplj.config.SinkJob;
import dev.zreplj.config.SnapJob;
import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.InvalidNameException;
import dev.zreplj.zfs.RefusedName;
import dev.zreplj.zfs.Zfs;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** Prints, as zrepl does, which filesystems a push job's filter accepts. */
@Command(
        name = "filesystems",
        description = "Which filesystems a push or snap job's filter selects: the given names "
                + "in order, or every filesystem zfs lists, sorted.")
final class TestFilesystemsCommand implements Callable<Integer> {
    @ParentCommand
    TestCommand parent;

    @Option(names = "--job", required = true, paramLabel = "NAME", description = "the push or snap job")
    String job;

    @Option(names = "--input", paramLabel = "FS", description = "a filesystem name to test (repeatable)")
    List<String> inputs = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        Config config = parent.parent.loadConfig();
        Job found = config.job(job)
                .orElseThrow(() -> CliException.usage("no job named '" + job + "' in "
                        + config.file() + " (jobs: "
                        + String.join(
                                ", ", config.jobs().stream().map(Job::name).toList())
                        + ")"));
        if (found instanceof SinkJob) {
            throw CliException.usage(
                    "job '" + job + "' is a sink job; only push and snap jobs have a filesystems filter");
        }
        Filtered push = found instanceof SnapJob snap
                ? new Filtered(snap.filesystems(), "snapshot")
                : new Filtered(((PushJob) found).filesystems(), "replicate");
        PrintStream out = System.out;
        if (!inputs.isEmpty()) {
            parseInputs(push).forEach(out::println);
        } else {
            // Sorted by name, the names zreplj refuses among them: the filter may select one, and then every
            // pass fails on it, so it belongs in the answer, not only in a log line.
            TreeMap<String, String> lines = new TreeMap<>();
            List<RefusedName> refused = new ArrayList<>();
            for (DatasetName name : live(config, refused::add)) {
                lines.put(name.value(), line(push, name));
            }
            for (RefusedName r : refused) {
                lines.put(r.name(), line(push, r));
            }
            lines.values().forEach(out::println);
        }
        out.flush();
        return ExitCodes.OK;
    }

    /** A job's filter, and what zreplj does with what it selects (the verb of a refused name's line). */
    private record Filtered(FilesystemFilter filesystems, String verb) {}

    /** zrepl's line: verdict, name and its error field, empty but for its tab where there is no error. */
    private static String line(Filtered push, DatasetName name) {
        return (push.filesystems().accepts(name) ? "ACCEPT" : "REJECT") + "\t" + name + "\t";
    }

    private static String line(Filtered push, RefusedName r) {
        return push.filesystems().accepts(r.name())
                ? "ACCEPT\t" + r.name() + "\tbut zreplj cannot " + push.verb() + " it: " + r.reason()
                        + "; a pass fails on it: " + RefusedName.ADVICE
                : "REJECT\t" + r.name() + "\t";
    }

    /**
     * Every input's line, or a usage error for the first name zfs itself could not have. A name zfs allows and
     * zreplj refuses ({@code tank/-old}) gets the line the listing gives it, since a pass would meet it so.
     */
    private List<String> parseInputs(Filtered push) throws CliException {
        List<String> lines = new ArrayList<>();
        for (String input : inputs) {
            try {
                lines.add(line(push, DatasetName.of(input)));
            } catch (InvalidNameException e) {
                if (!zfsAllows(input)) {
                    throw CliException.usage("--input '" + input + "': " + e.getMessage());
                }
                lines.add(line(push, new RefusedName(input, e.getMessage())));
            }
        }
        return lines;
    }

    /** ZFS's own name rules, laxer than {@link DatasetName}: a leading '-', '.' or a space at an end is allowed. */
    private static boolean zfsAllows(String name) {
        if (name.isEmpty() || name.length() > DatasetName.MAX_LENGTH || !asciiLetter(name.charAt(0))) {
            return false;
        }
        for (String part : name.split("/", -1)) {
            if (part.isEmpty() || !part.chars().allMatch(TestFilesystemsCommand::zfsNameChar)) {
                return false;
            }
        }
        return true;
    }

    private static boolean asciiLetter(int c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    }

    private static boolean zfsNameChar(int c) {
        return asciiLetter(c) || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.' || c == ':' || c == ' ';
    }

    private static List<DatasetName> live(Config config, Consumer<RefusedName> refused) throws Exception {
        Zfs zfs = config.global().zfsBinary() != null ? new Zfs(config.global().zfsBinary()) : Zfs.locate();
        return zfs.listAllFilesystems(refused);
    }
}
