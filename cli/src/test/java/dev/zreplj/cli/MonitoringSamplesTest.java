package dev.zreplj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The check commands of contrib/monitoring run {@code zreplj status} through sudo, and their comments give the
 * sudoers lines (docs/monitoring.md): the command each sample runs must be one its own sudoers line allows,
 * else every check fails with sudo's "a password is required" instead of zreplj's state. sudoers matches the
 * arguments as one string, its {@code *} matching any characters, spaces included, so the order of the options
 * counts.
 */
class MonitoringSamplesTest {
    private static final Path DIR = Path.of("..", "contrib", "monitoring");
    private static final Pattern SUDOERS = Pattern.compile("nagios ALL=\\((\\w+)\\) NOPASSWD: (.+)");
    private static final Pattern ARGUMENT = Pattern.compile("\"([^\"]+)\" = \\{([^}]*)}");
    private static final Pattern ORDER = Pattern.compile("order = (-?\\d+)");
    private static final Pattern VALUE = Pattern.compile("value = \"([^\"]*)\"");
    private static final Pattern VAR = Pattern.compile("vars\\.(\\w+) = \"([^\"]*)\"");

    /** Each sudoers line of the file's comments: the user it lets nagios run as, and its command patterns. */
    private static List<Map.Entry<String, String>> sudoers(String text) {
        List<Map.Entry<String, String>> allowed = new ArrayList<>();
        Matcher m = SUDOERS.matcher(text);
        while (m.find()) {
            for (String command : m.group(2).split(", ")) {
                allowed.add(Map.entry(m.group(1), command.strip()));
            }
        }
        assertFalse(allowed.isEmpty(), "no sudoers line found");
        return allowed;
    }

    /** sudoers' argument match: {@code *} is any characters, spaces included; the rest literal. */
    private static boolean allows(List<Map.Entry<String, String>> sudoers, String user, String command) {
        return sudoers.stream()
                .filter(e -> e.getKey().equals(user))
                .anyMatch(e -> command.matches(Pattern.quote(e.getValue()).replace("*", "\\E.*\\Q")));
    }

    /**
     * The command line Icinga 2 builds from the CheckCommand: the command array, then the arguments sorted by
     * their {@code order} (0 when not set) and, with the same order, by name (Icinga keeps a dictionary sorted
     * by key and sorts it by order alone, lib/icinga/macroprocessor.cpp), each with its value; an argument
     * whose macro is not set is left out.
     */
    private static String icingaCommand(String conf, Map<String, String> hostVars) {
        Map<String, String> vars = new TreeMap<>();
        Matcher v = VAR.matcher(conf);
        while (v.find()) {
            vars.put(v.group(1), v.group(2));
        }
        vars.putAll(hostVars);
        Matcher command = Pattern.compile("command = \\[([^]]*)]").matcher(conf);
        assertTrue(command.find(), conf);
        List<String> line = new ArrayList<>();
        for (String word : command.group(1).split(",")) {
            line.add(resolve(word.strip().replace("\"", ""), vars));
        }
        int start = conf.indexOf("arguments = {");
        String arguments = conf.substring(start, conf.indexOf("\n  }\n", start));
        record Argument(String key, int order, String value) {}
        List<Argument> args = new ArrayList<>();
        Matcher a = ARGUMENT.matcher(arguments);
        while (a.find()) {
            Matcher order = ORDER.matcher(a.group(2));
            Matcher value = VALUE.matcher(a.group(2));
            String resolved = value.find() ? resolve(value.group(1), vars) : "";
            if (resolved != null) {
                args.add(new Argument(a.group(1), order.find() ? Integer.parseInt(order.group(1)) : 0, resolved));
            }
        }
        args.sort(Comparator.comparing(Argument::order).thenComparing(Argument::key));
        for (Argument arg : args) {
            line.add(arg.key());
            if (!arg.value().isEmpty()) {
                line.add(arg.value());
            }
        }
        return String.join(" ", line);
    }

    /** The value with its {@code $macro$} replaced; null when the macro is not set (Icinga drops the argument). */
    private static String resolve(String value, Map<String, String> vars) {
        Matcher m = Pattern.compile("\\$(\\w+)\\$").matcher(value);
        if (!m.find()) {
            return value;
        }
        String var = vars.get(m.group(1));
        return var == null ? null : value.replace(m.group(), var);
    }

    @Test
    void icinga2RunsWhatItsSudoersLinesAllowWithAndWithoutAges() throws IOException {
        String conf = Files.readString(DIR.resolve("icinga2-zreplj.conf"));
        List<Map.Entry<String, String>> sudoers = sudoers(conf);
        String prefix = "/usr/bin/sudo -n -u ";
        for (String user : List.of("root", "zreplj")) {
            String plain = icingaCommand(conf, Map.of("zreplj_user", user));
            assertEquals(prefix + user + " /usr/bin/zreplj --config /etc/zreplj/zreplj.yml status", plain);
            String ages = icingaCommand(conf, Map.of("zreplj_user", user, "zreplj_warn", "25h", "zreplj_crit", "49h"));
            for (String command : List.of(plain, ages)) {
                String asUser = command.substring(prefix.length() + user.length() + 1);
                assertTrue(allows(sudoers, user, asUser), "sudo refuses, as " + user + ": " + command);
            }
        }
    }

    @Test
    void nagiosRunsWhatItsSudoersLinesAllow() throws IOException {
        String cfg = Files.readString(DIR.resolve("nagios-zreplj.cfg"));
        List<Map.Entry<String, String>> sudoers = sudoers(cfg);
        Matcher m = Pattern.compile("/usr/bin/sudo (?:-u (\\w+) )?(/usr/bin/zreplj [^\\n]+)")
                .matcher(cfg);
        int checked = 0;
        while (m.find()) {
            String user = m.group(1) == null ? "root" : m.group(1);
            String command = m.group(2).strip().replace("$ARG1$", "25h").replace("$ARG2$", "49h");
            assertTrue(allows(sudoers, user, command), "sudo refuses, as " + user + ": " + command);
            checked++;
        }
        assertEquals(3, checked, "the sample's sudo commands");
    }
}
