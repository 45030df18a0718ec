package dev.zreplj.cli;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * An authorized_keys file without one client's lines: those whose forced command runs {@code stdinserver
 * [--restore-only] CLIENT_ID} for exactly that CLIENT_ID (a client whose id only begins the same keeps its lines).
 * Every other line stays byte for byte, comments, blank lines, other options and a last line without a newline
 * included: the file is the box user's, and other keys in it (an admin's, another tool's) must not change.
 */
final class AuthorizedKeysLines {
    private AuthorizedKeysLines() {}

    /** The file's bytes without the client's lines, and those lines (without their newline), in file order. */
    record Removal(byte[] kept, List<String> removed) {}

    static Removal withoutClient(byte[] file, String clientId) {
        ByteArrayOutputStream kept = new ByteArrayOutputStream(file.length);
        List<String> removed = new ArrayList<>();
        int start = 0;
        while (start < file.length) {
            int end = start;
            while (end < file.length && file[end] != '\n') end++;
            int next = Math.min(end + 1, file.length);
            String line = new String(file, start, end - start, StandardCharsets.UTF_8);
            if (forcedCommand(line).filter(c -> servesClient(c, clientId)).isPresent()) {
                removed.add(line);
            } else {
                kept.write(file, start, next - start);
            }
            start = next;
        }
        return new Removal(kept.toByteArray(), removed);
    }

    /**
     * The {@code command="..."} option of an authorized_keys line, unescaped as sshd(8) reads it (only {@code \"}
     * is an escape there); empty for a comment, a blank line or a key without one.
     */
    static Optional<String> forcedCommand(String line) {
        String s = line.stripLeading();
        if (s.isEmpty() || s.startsWith("#")) {
            return Optional.empty();
        }
        int i = 0;
        // Options: name or name="value", comma-separated, up to the first blank outside quotes.
        while (i < s.length() && s.charAt(i) != ' ' && s.charAt(i) != '\t') {
            int nameStart = i;
            while (i < s.length()
                    && s.charAt(i) != '='
                    && s.charAt(i) != ','
                    && s.charAt(i) != ' '
                    && s.charAt(i) != '\t') {
                i++;
            }
            String name = s.substring(nameStart, i);
            String value = null;
            if (i < s.length() && s.charAt(i) == '=') {
                i++;
                if (i >= s.length() || s.charAt(i) != '"') {
                    return Optional.empty();
                }
                i++;
                StringBuilder v = new StringBuilder();
                while (i < s.length() && s.charAt(i) != '"') {
                    if (s.charAt(i) == '\\' && i + 1 < s.length() && s.charAt(i + 1) == '"') {
                        i++;
                    }
                    v.append(s.charAt(i++));
                }
                if (i >= s.length()) {
                    return Optional.empty();
                }
                i++;
                value = v.toString();
            }
            if (name.equalsIgnoreCase("command") && value != null) {
                return Optional.of(value);
            }
            if (i < s.length() && s.charAt(i) == ',') {
                i++;
            }
        }
        return Optional.empty();
    }

    /** Whether the command ends in {@code stdinserver CLIENT_ID} or {@code stdinserver --restore-only CLIENT_ID}. */
    static boolean servesClient(String command, String clientId) {
        List<String> words = shellWords(command);
        int n = words.size();
        if (n >= 2 && words.get(n - 2).equals("stdinserver")) {
            return words.get(n - 1).equals(clientId);
        }
        return n >= 3
                && words.get(n - 3).equals("stdinserver")
                && words.get(n - 2).equals("--restore-only")
                && words.get(n - 1).equals(clientId);
    }

    /** The words the shell makes of a command with single or double quotes and no expansions. */
    private static List<String> shellWords(String command) {
        List<String> words = new ArrayList<>();
        StringBuilder word = null;
        char quote = 0;
        for (int i = 0; i < command.length(); i++) {
            char c = command.charAt(i);
            if (quote != 0) {
                if (c == quote) {
                    quote = 0;
                } else {
                    word.append(c);
                }
            } else if (c == ' ' || c == '\t') {
                if (word != null) {
                    words.add(word.toString());
                    word = null;
                }
            } else {
                if (word == null) word = new StringBuilder();
                if (c == '\'' || c == '"') {
                    quote = c;
                } else if (c == '\\' && i + 1 < command.length()) {
                    word.append(command.charAt(++i));
                } else {
                    word.append(c);
                }
            }
        }
        if (word != null) words.add(word.toString());
        return words;
    }
}
