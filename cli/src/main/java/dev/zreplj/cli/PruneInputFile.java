package dev.zreplj.cli;

import dev.zreplj.pruning.PruneCandidate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code test prune --input} file: one snapshot a line, {@code NAME<TAB>CREATION[<TAB>replicated|unreplicated]},
 * CREATION in unix seconds; blank lines and lines starting with '#' are skipped. A NAME like
 * {@code pool/fs@snap} (as {@code zfs list -Hp -o name,creation} prints it) is shown as given while the
 * rules see only the part after '@'.
 */
final class PruneInputFile {
    /** One input snapshot: the name as written, and what the keep rules see. */
    record Entry(String shownName, PruneCandidate candidate) {}

    private PruneInputFile() {}

    /** @param file the name errors show */
    static List<Entry> parse(String file, String text) throws CliException {
        List<Entry> entries = new ArrayList<>();
        Map<String, Integer> lineOfName = new HashMap<>();
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].endsWith("\r") ? lines[i].substring(0, lines[i].length() - 1) : lines[i];
            int lineNo = i + 1;
            if (line.isBlank() || line.startsWith("#")) {
                continue;
            }
            Entry entry = entry(line, file + ":" + lineNo + ": ");
            Integer before = lineOfName.putIfAbsent(entry.candidate().name(), lineNo);
            if (before != null) {
                throw CliException.usage(
                        file + ":" + lineNo + ": snapshot '" + entry.candidate().name() + "' is already on line "
                                + before + "; list each snapshot of one filesystem once");
            }
            entries.add(entry);
        }
        return List.copyOf(entries);
    }

    private static Entry entry(String line, String where) throws CliException {
        String[] fields = line.split("\t", -1);
        if (fields.length < 2 || fields.length > 3) {
            throw CliException.usage(where + "expected NAME<TAB>CREATION with an optional <TAB>replicated or"
                    + " <TAB>unreplicated, got " + fields.length + " tab-separated field"
                    + (fields.length == 1 ? "" : "s"));
        }
        String shown = fields[0];
        String name = shown.substring(shown.indexOf('@') + 1);
        if (name.isEmpty()) {
            throw CliException.usage(where + "empty snapshot name");
        }
        Instant creation = creation(fields[1], where);
        Boolean replicated = null;
        if (fields.length == 3) {
            replicated = switch (fields[2]) {
                case "replicated" -> Boolean.TRUE;
                case "unreplicated" -> Boolean.FALSE;
                default ->
                    throw CliException.usage(
                            where + "third field must be 'replicated' or 'unreplicated', got '" + fields[2] + "'");
            };
        }
        return new Entry(shown, new PruneCandidate(name, creation, replicated));
    }

    private static Instant creation(String text, String where) throws CliException {
        String bad = where + "creation '" + text + "' is not unix seconds (a whole number, 0 or more)";
        if (text.isEmpty() || !text.chars().allMatch(c -> c >= '0' && c <= '9')) {
            throw CliException.usage(bad);
        }
        try {
            return Instant.ofEpochSecond(Long.parseLong(text));
        } catch (NumberFormatException | java.time.DateTimeException e) {
            throw CliException.usage(bad);
        }
    }
}
