package dev.zreplj.cli;

import dev.zreplj.config.Config;
import dev.zreplj.config.Job;
import dev.zreplj.config.PushJob;
import dev.zreplj.zfs.DatasetName;
import dev.zreplj.zfs.InvalidNameException;
import dev.zreplj.zfs.Zfs;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;

/** Prints, as zrepl does, which filesystems a push job's filter accepts. */
@Command(
        name = "filesystems",
        description = "Which filesystems a push job's filter selects: the given names "
                + "in order, or every filesystem zfs lists, sorted.")
final class TestFilesystemsCommand implements Callable<Integer> {
    @ParentCommand
    TestCommand parent;

    @Option(names = "--job", required = true, paramLabel = "NAME", description = "the push job")
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
        if (!(found instanceof PushJob push)) {
            throw CliException.usage("job '" + job + "' is a sink job; only push jobs have a filesystems filter");
        }
        List<DatasetName> names = inputs.isEmpty() ? live(config) : parseInputs();
        PrintStream out = System.out;
        for (DatasetName name : names) {
            out.println((push.filesystems().accepts(name) ? "ACCEPT" : "REJECT") + "\t" + name);
        }
        out.flush();
        return ExitCodes.OK;
    }

    private List<DatasetName> parseInputs() throws CliException {
        List<DatasetName> names = new ArrayList<>();
        for (String input : inputs) {
            try {
                names.add(DatasetName.of(input));
            } catch (InvalidNameException e) {
                throw CliException.usage("--input '" + input + "': " + e.getMessage());
            }
        }
        return names;
    }

    private static List<DatasetName> live(Config config) throws Exception {
        Zfs zfs = config.global().zfsBinary() != null ? new Zfs(config.global().zfsBinary()) : Zfs.locate();
        return zfs.listAllFilesystems();
    }
}
