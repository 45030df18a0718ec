package dev.zreplj.zfs;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Reads capabilities from what {@code zfs} prints without touching any dataset: its usage text (every
 * subcommand with its flags), the reaction of {@code zfs holds} to no arguments, and {@code zfs version}.
 * Usage text is the one probe that has the same shape on zfs-fuse and every OpenZFS, and asking it
 * changes nothing.
 */
final class ZfsUsage {
    private static final Pattern FLAGS = Pattern.compile("(?<![\\w-])-([A-Za-z]+)\\b");

    private final Map<String, List<String>> forms;

    private ZfsUsage(Map<String, List<String>> forms) {
        this.forms = forms;
    }

    /** Parses the text {@code zfs} prints when run without arguments. */
    static ZfsUsage parse(String usage) throws ZfsException {
        return parse(usage, System.getProperty("user.name"));
    }

    /** @param user the account zfs ran as: one that zfs cannot even reach /dev/zfs or zfs-fuse with is told why */
    static ZfsUsage parse(String usage, String user) throws ZfsException {
        if (!usage.contains("usage:")) {
            throw new ZfsException("zfs did not print its usage when run without arguments: " + firstLine(usage)
                    + ZfsException.unreachableHint(usage, user));
        }
        Map<String, List<String>> forms = new HashMap<>();
        String current = null;
        StringBuilder line = null;
        for (String raw : usage.split("\n")) {
            boolean continuation = raw.startsWith("\t    ") || raw.startsWith("\t\t");
            if (continuation && line != null) {
                line.append(' ').append(raw.strip());
                continue;
            }
            if (line != null) {
                forms.computeIfAbsent(current, k -> new java.util.ArrayList<>()).add(line.toString());
                line = null;
            }
            if (raw.startsWith("\t") && !raw.isBlank()) {
                String text = raw.strip();
                int space = text.indexOf(' ');
                current = space < 0 ? text : text.substring(0, space);
                line = new StringBuilder(text);
            }
        }
        if (line != null) {
            forms.computeIfAbsent(current, k -> new java.util.ArrayList<>()).add(line.toString());
        }
        return new ZfsUsage(forms);
    }

    boolean has(String command) {
        return forms.containsKey(command);
    }

    /** Every single-letter option any form of {@code command} mentions. */
    Set<Character> flags(String command) {
        Set<Character> out = new HashSet<>();
        for (String form : forms.getOrDefault(command, List.of())) {
            Matcher m = FLAGS.matcher(form.substring(command.length()));
            while (m.find()) {
                for (char c : m.group(1).toCharArray()) {
                    out.add(c);
                }
            }
        }
        return out;
    }

    List<String> forms(String command) {
        return forms.getOrDefault(command, List.of());
    }

    /**
     * @param holdsOutput what {@code zfs holds} without arguments printed: OpenZFS complains with its
     *                    usage; zfs-fuse lists the command but delegates it to a missing python helper
     * @param versionOutput what {@code zfs version} printed, null when it failed (zfs-fuse has none)
     * @param fallbackVersion the name to report when there is no {@code zfs version}
     */
    Capabilities capabilities(String holdsOutput, @Nullable String versionOutput, String fallbackVersion) {
        Set<Character> recv = flags("receive");
        Set<Character> send = flags("send");
        String version = versionOutput == null || versionOutput.isBlank() ? fallbackVersion : firstLine(versionOutput);
        return new Capabilities(
                version,
                has("bookmark"),
                has("holds") && holdsOutput.contains("usage:"),
                recv.contains('s') && send.contains('t'),
                flags("list").contains('p'),
                recv.contains('u'),
                send.contains('w'),
                forms("snapshot").stream().anyMatch(f -> f.endsWith("...")),
                forms("destroy").stream().anyMatch(f -> f.contains("@") && f.contains("[,...]")),
                recv.contains('o') && recv.contains('x'),
                sendFlagsOf(send),
                // zfs-fuse: "[-[iI] snapshot]", OpenZFS: "[-i|-I snapshot]"; not a letter the flag pattern reads
                forms("send").stream().anyMatch(f -> f.contains("-I") || f.contains("[iI]")));
    }

    /** The {@link SendFlag} options among {@code zfs send}'s. */
    private static Set<Character> sendFlagsOf(Set<Character> send) {
        Set<Character> out = new HashSet<>(send);
        out.retainAll(Capabilities.ALL_SEND_FLAGS);
        return out;
    }

    /** {@code zfs get -t}: lets a recursive get skip snapshots instead of filtering them afterwards. */
    boolean getHasTypes() {
        return flags("get").contains('t');
    }

    private static String firstLine(String s) {
        return s.strip().lines().findFirst().orElse("").strip();
    }
}
