package dev.zreplj.ssh;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * The part of zrepl's {@code connect.options} (ssh {@code -o Key=Value}) that zreplj can honour with MINA.
 * Anything else is listed in {@link #ignored()} so the transport can warn about it once.
 *
 * @param compression       Compression=yes: zlib@openssh.com (OpenSSH 9 refuses plain zlib)
 * @param ciphers           Ciphers=a,b: exactly these, in this order (empty: zreplj's own order)
 * @param kexAlgorithms     KexAlgorithms=a,b: exactly these, in this order (empty: zreplj's own order)
 * @param keepaliveInterval ServerAliveInterval=N seconds (0 turns keepalive off)
 * @param keepaliveCountMax ServerAliveCountMax=N: unanswered keepalives before the link counts as dead
 * @param connectTimeout    ConnectTimeout=N seconds, used when dial_timeout is not set
 * @param ignored           entries that were not understood, as given
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

    public static SshOptions parse(List<String> options) {
        boolean compression = false;
        List<String> ciphers = List.of();
        List<String> kex = List.of();
        Optional<Duration> keepalive = Optional.empty();
        Optional<Integer> countMax = Optional.empty();
        Optional<Duration> connectTimeout = Optional.empty();
        List<String> ignored = new ArrayList<>();
        for (String option : options) {
            String[] kv = split(option);
            if (kv == null) {
                ignored.add(option);
                continue;
            }
            String value = kv[1];
            switch (kv[0].toLowerCase(Locale.ROOT)) {
                case "compression" -> {
                    Optional<Boolean> yes = yesNo(value);
                    if (yes.isPresent()) compression = yes.get();
                    else ignored.add(option);
                }
                case "ciphers" -> ciphers = list(value);
                case "kexalgorithms" -> kex = list(value);
                case "serveraliveinterval" -> {
                    Optional<Integer> n = nonNegative(value);
                    if (n.isPresent()) keepalive = Optional.of(Duration.ofSeconds(n.get()));
                    else ignored.add(option);
                }
                case "serveralivecountmax" -> {
                    Optional<Integer> n = nonNegative(value).filter(i -> i > 0);
                    if (n.isPresent()) countMax = n;
                    else ignored.add(option);
                }
                case "connecttimeout" -> {
                    Optional<Integer> n = nonNegative(value).filter(i -> i > 0);
                    if (n.isPresent()) connectTimeout = Optional.of(Duration.ofSeconds(n.get()));
                    else ignored.add(option);
                }
                default -> ignored.add(option);
            }
        }
        return new SshOptions(compression, ciphers, kex, keepalive, countMax, connectTimeout, ignored);
    }

    /** "Key=Value", "Key Value" or "Key = Value" as ssh accepts them; null when there is no value. */
    private static String[] split(String option) {
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
