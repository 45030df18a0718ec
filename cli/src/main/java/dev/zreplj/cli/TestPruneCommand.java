package dev.zreplj.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.zreplj.config.ConfigLoader;
import dev.zreplj.pruning.KeepRule;
import dev.zreplj.pruning.KeepRules;
import dev.zreplj.pruning.PruneCandidate;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/** Offline keep-rule simulation: which of the listed snapshots the rules keep and which they destroy. */
@Command(name = "prune", description = "Offline keep-rule simulation.")
final class TestPruneCommand implements Callable<Integer> {
    @ParentCommand
    TestCommand parent;

    @Spec
    CommandSpec spec;

    @Option(
            names = "--rules",
            required = true,
            paramLabel = "FILE",
            description = "YAML list of keep rules (keep_sender/keep_receiver syntax)")
    Path rules;

    @Option(
            names = "--input",
            required = true,
            paramLabel = "FILE",
            description = "one snapshot a line: NAME<TAB>CREATION[<TAB>replicated|unreplicated]; - for stdin")
    String input;

    @Option(names = "--json", description = "print a JSON array of {name, creation, action}")
    boolean json;

    /** One output line / JSON object. */
    record Decision(String name, long creation, String action) {}

    @Override
    public Integer call() throws Exception {
        // The config's own reading of keep_sender, so that test prune accepts and refuses what configcheck does.
        List<KeepRule> keepRules = new ConfigLoader().loadKeepRules(rules.toString(), read(rules, "rules file"));
        String inputText = input.equals("-")
                ? new String(System.in.readAllBytes(), StandardCharsets.UTF_8)
                : read(Path.of(input), "input file");
        List<PruneInputFile.Entry> entries = PruneInputFile.parse(input.equals("-") ? "<stdin>" : input, inputText);

        List<PruneCandidate> candidates =
                entries.stream().map(PruneInputFile.Entry::candidate).toList();
        List<Boolean> keep = KeepRules.keep(keepRules, candidates);
        List<Decision> decisions = new ArrayList<>(entries.size());
        for (int i = 0; i < entries.size(); i++) {
            PruneInputFile.Entry e = entries.get(i);
            decisions.add(new Decision(
                    e.shownName(), e.candidate().creation().getEpochSecond(), keep.get(i) ? "keep" : "destroy"));
        }
        print(decisions);
        return ExitCodes.OK;
    }

    private void print(List<Decision> decisions) throws JsonProcessingException {
        PrintWriter out = spec.commandLine().getOut();
        if (json) {
            out.print(new ObjectMapper().writeValueAsString(decisions) + "\n");
        } else {
            StringBuilder text = new StringBuilder();
            for (Decision d : decisions) {
                text.append(d.action()).append('\t').append(d.name()).append('\n');
            }
            out.print(text);
        }
        out.flush();
    }

    private static String read(Path file, String what) throws CliException {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (NoSuchFileException e) {
            throw CliException.usage("cannot read " + what + " " + file + ": no such file");
        } catch (CharacterCodingException e) {
            throw CliException.usage("cannot read " + what + " " + file + ": not valid UTF-8");
        } catch (IOException e) {
            throw CliException.usage("cannot read " + what + " " + file + ": " + e.getMessage());
        }
    }
}
