package dev.zreplj.config;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The part of zrepl's {@code connect.options} (ssh {@code -o Key=Value}) that zreplj can honour with MINA.
 * Anything else is listed in {@link #ignored()} so the transport can warn about it once, as is an option
 * given again: ssh takes the first value of each.
 *
 * @param compression       Compression=yes: zlib@openssh.com (OpenSSH 9 refuses plain zlib)
 * @param ciphers           Ciphers=a,b: exactly these, in this order (empty: zreplj's own order)
 * @param kexAlgorithms     KexAlgorithms=a,b: exactly these, in this order (empty: zreplj's own order)
 * @param keepaliveInterval ServerAliveInterval=N seconds (0 turns keepalive off)
 * @param keepaliveCountMax ServerAliveCountMax=N: unanswered keepalives before the link counts as dead
 * @param connectTimeout    ConnectTimeout=N seconds, used when dial_timeout is not set
 * @param ignored           entries that were not understood or repeat an earlier key, as given
 */
public record SshOptions(
        boolean compression,
        List<String> ciphers,
        List<String> kexAlgorithms,
        Optional<Duration> keepaliveInterval,
        Optional<Integer> keepaliveCountMax,
        Optional<Duration> connectTimeout,
        List<String> ignored) {
    public SshOptions {
        ciphers = List.copyOf(ciphers);
        kexAlgorithms = List.copyOf(kexAlgorithms);
        ignored = List.copyOf(ignored);
    }

    /** What each key zreplj honours takes, by lowercase key; the keys it honours are these. */
    private static final Pattern TIME_PART = Pattern.compile("(\\d+)([sSmMhHdDwW]?)");

    private static final Map<String, String> TAKES = Map.of(
            "compression", "yes or no",
            "ciphers", "a list of cipher names",
            "kexalgorithms", "a list of key exchange names",
            "serveraliveinterval", "a time (seconds, or with units as ssh reads them: 30s, 1m, 1h30m)",
            "serveralivecountmax", "a count",
            "connecttimeout", "a time (seconds, or with units as ssh reads them: 30s, 1m, 1h30m)");

    /**
     * Why zreplj cannot use one {@code Key=Value} option as given; empty when it is used.
     *
     * @return an error where ssh would refuse the value too, else a warning (a key zreplj does not honour, a
     *     value without effect)
     */
    public static Optional<Problem> problem(String option) {
        if (parse(List.of(option)).ignored().isEmpty()) {
            return Optional.empty();
        }
        String[] kv = split(option);
        String key = kv == null ? option.strip() : kv[0];
        String takes = TAKES.get(key.toLowerCase(Locale.ROOT));
        if (takes == null) {
            String honoured = "'" + key + "' in 'options' has no effect in zreplj: it honours"
                    + " only Compression, Ciphers, KexAlgorithms, ServerAliveInterval, ServerAliveCountMax and"
                    + " ConnectTimeout; ";
            return Optional.of(new Problem(
                    false,
                    OPENSSH_FIXED.contains(key.toLowerCase(Locale.ROOT))
                            ? honoured + "remove it (host keys: connect.known_hosts, connect.host_key_policy)"
                            : honoured + "remove it, or set connect.ssh_client: openssh, which hands it to ssh"));
        }
        boolean time = key.equalsIgnoreCase("serveraliveinterval") || key.equalsIgnoreCase("connecttimeout");
        if (kv != null && (time ? seconds(kv[1]) : nonNegative(kv[1])).isPresent()) {
            // 0 where zreplj needs at least 1 (ServerAliveCountMax, ConnectTimeout): ssh takes it, zreplj ignores it.
            return Optional.of(new Problem(
                    false,
                    "'" + option.strip() + "' in 'options' has no effect in zreplj: it takes 1 or more; remove it"));
        }
        return Optional.of(new Problem(true, "ssh option '" + option.strip() + "': " + key + " takes " + takes));
    }

    /**
     * Options zreplj gives OpenSSH's {@code ssh} itself under {@code ssh_client: openssh}, ahead of the job's own:
     * ssh takes the first value it is given for each, so the job's cannot loosen the host key check, change
     * the key, or take over the control socket. Lowercase.
     */
    public static final Set<String> OPENSSH_FIXED = Set.of(
            "stricthostkeychecking",
            "userknownhostsfile",
            "globalknownhostsfile",
            "updatehostkeys",
            "checkhostip",
            "hashknownhosts",
            "knownhostscommand",
            "identityfile",
            // ssh's alias of IdentityFile (ssh -G lists its key beside connect.identity_file)
            "identityfile2",
            "identitiesonly",
            "identityagent",
            "certificatefile",
            "batchmode",
            "passwordauthentication",
            "kbdinteractiveauthentication",
            // ssh's aliases of KbdInteractiveAuthentication
            "challengeresponseauthentication",
            "skeyauthentication",
            "tisauthentication",
            "controlmaster",
            "controlpath",
            "controlpersist",
            "user",
            "port",
            "hostname",
            "requesttty",
            "remotecommand",
            "sessiontype",
            "stdinnull",
            "forkafterauthentication",
            "exitonforwardfailure",
            "clearallforwardings");

    /**
     * Under {@code ssh_client: openssh} every option goes to {@code ssh -o} as zrepl passes it, except those
     * zreplj fixes ({@link #OPENSSH_FIXED}): a warning for those, nothing for the rest (ssh itself judges their
     * values when it connects).
     */
    public static Optional<Problem> openSshProblem(String option) {
        String key = key(option);
        if (!OPENSSH_FIXED.contains(key.toLowerCase(Locale.ROOT))) {
            return Optional.empty();
        }
        return Optional.of(new Problem(
                false,
                "'" + key + "' in 'options' has no effect in zreplj: it sets it for ssh itself (host keys: "
                        + "connect.known_hosts, connect.host_key_policy; key: connect.identity_file; timeout: "
                        + "connect.dial_timeout); remove it"));
    }

    /** @param error ssh would refuse it too: the connection could never be made as configured */
    public record Problem(boolean error, String message) {}

    public static SshOptions parse(List<String> options) {
        boolean compression = false;
        List<String> ciphers = List.of();
        List<String> kex = List.of();
        Optional<Duration> keepalive = Optional.empty();
        Optional<Integer> countMax = Optional.empty();
        Optional<Duration> connectTimeout = Optional.empty();
        List<String> ignored = new ArrayList<>();
        Set<String> given = new HashSet<>();
        for (String option : options) {
            String[] kv = split(option);
            if (kv == null) {
                ignored.add(option);
                continue;
            }
            String value = kv[1];
            String key = kv[0].toLowerCase(Locale.ROOT);
            if (TAKES.containsKey(key) && !given.add(key)) {
                // ssh uses the first value it obtains for each option; a later one changes nothing.
                ignored.add(option);
                continue;
            }
            switch (key) {
                case "compression" -> {
                    Optional<Boolean> yes = yesNo(value);
                    if (yes.isPresent()) compression = yes.get();
                    else ignored.add(option);
                }
                case "ciphers" -> ciphers = list(value);
                case "kexalgorithms" -> kex = list(value);
                case "serveraliveinterval" -> {
                    Optional<Integer> n = seconds(value);
                    if (n.isPresent()) keepalive = Optional.of(Duration.ofSeconds(n.get()));
                    else ignored.add(option);
                }
                case "serveralivecountmax" -> {
                    Optional<Integer> n = nonNegative(value).filter(i -> i > 0);
                    if (n.isPresent()) countMax = n;
                    else ignored.add(option);
                }
                case "connecttimeout" -> {
                    Optional<Integer> n = seconds(value).filter(i -> i > 0);
                    if (n.isPresent()) connectTimeout = Optional.of(Duration.ofSeconds(n.get()));
                    else ignored.add(option);
                }
                default -> ignored.add(option);
            }
        }
        return new SshOptions(compression, ciphers, kex, keepalive, countMax, connectTimeout, ignored);
    }

    /**
     * Why the option at {@code index} has no effect because an earlier one sets the same key (ssh takes the
     * first value of each option); empty when it is the first, or a key zreplj does not honour anyway.
     */
    public static Optional<Problem> repeatProblem(List<String> options, int index) {
        String key = key(options.get(index));
        if (!TAKES.containsKey(key.toLowerCase(Locale.ROOT))) {
            return Optional.empty();
        }
        for (int i = 0; i < index; i++) {
            if (key(options.get(i)).equalsIgnoreCase(key)) {
                return Optional.of(new Problem(
                        false,
                        "'" + options.get(index).strip() + "' in 'options' has no effect in zreplj: '"
                                + options.get(i).strip() + "' comes first, and ssh takes the first value of"
                                + " each option; remove one"));
            }
        }
        return Optional.empty();
    }

    /** The key of an option as ssh reads it ("Key=Value", "Key Value"), in the case given. */
    public static String key(String option) {
        String[] kv = split(option);
        return kv == null ? option.strip() : kv[0];
    }

    /** "Key=Value", "Key Value" or "Key = Value" as ssh accepts them; null when there is no value. */
    private static String @Nullable [] split(String option) {
        String s = option.strip();
        int i = 0;
        while (i < s.length() && s.charAt(i) != '=' && !Character.isWhitespace(s.charAt(i))) i++;
        String key = s.substring(0, i);
        String rest = s.substring(i).strip();
        if (rest.startsWith("=")) rest = rest.substring(1).strip();
        return key.isEmpty() || rest.isEmpty() ? null : new String[] {key, rest};
    }

    private static Optional<Boolean> yesNo(String value) {
        return switch (value.toLowerCase(Locale.ROOT)) {
            case "yes" -> Optional.of(true);
            case "no" -> Optional.of(false);
            default -> Optional.empty();
        };
    }

    /**
     * OpenSSH's time format (sshd_config(5), "TIME FORMATS"), which ssh reads for ServerAliveInterval and
     * ConnectTimeout: a number of seconds, or a sequence of numbers each with a unit (s, m, h, d, w, either
     * case; none is seconds), summed: {@code 90}, {@code 1m30s}, {@code 2h}.
     */
    static Optional<Integer> seconds(String value) {
        Matcher m = TIME_PART.matcher(value);
        long total = 0;
        int at = 0;
        while (at < value.length() && m.find(at) && m.start() == at) {
            long n;
            try {
                n = Long.parseLong(m.group(1));
            } catch (NumberFormatException e) {
                return Optional.empty();
            }
            long unit = switch (m.group(2).toLowerCase(Locale.ROOT)) {
                case "m" -> 60;
                case "h" -> 3600;
                case "d" -> 86400;
                case "w" -> 604800;
                default -> 1;
            };
            total += n * unit;
            if (n > Integer.MAX_VALUE || total > Integer.MAX_VALUE) {
                return Optional.empty();
            }
            at = m.end();
        }
        return at == value.length() && !value.isEmpty() ? Optional.of((int) total) : Optional.empty();
    }

    private static Optional<Integer> nonNegative(String value) {
        try {
            int n = Integer.parseInt(value);
            return n >= 0 ? Optional.of(n) : Optional.empty();
        } catch (NumberFormatException e) {
            return Optional.empty();
        }
    }

    private static List<String> list(String value) {
        return Arrays.stream(value.split(","))
                .map(String::strip)
                .filter(s -> !s.isEmpty())
                .toList();
    }
}
