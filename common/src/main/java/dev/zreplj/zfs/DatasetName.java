package dev.zreplj.zfs;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.TreeSet;

/**
 * A validated ZFS filesystem or volume name ({@code pool/a/b}). Every name that reaches {@code zfs}
 * goes through here first, so a hostile or mistyped name can never become an option or a path trick.
 * Stricter than ZFS where ZFS is lax in dangerous ways: no leading '-', no '.'/'..' components, no space at
 * either end of a component (spaces inside are allowed, as by ZFS).
 */
public record DatasetName(String value) implements Comparable<DatasetName> {
    public static final int MAX_LENGTH = 255;

    public DatasetName {
        validate(value);
    }

    public static DatasetName of(String value) {
        return new DatasetName(value);
    }

    /**
     * Checks one name component (between slashes, or the part after '@' / '#') against ZFS's rules:
     * letters, digits, {@code _ - . :} and spaces, as ZFS and zrepl allow them. Stricter than ZFS where it
     * is lax in dangerous or confusing ways: no leading '-' (an option to zfs), no '.'/'..' components,
     * no space at either end (invisible in logs and one-line errors).
     */
    public static void validateComponent(String component, String what) {
        check(component, what, true);
    }

    /**
     * Checks a name that zreplj itself puts on the command line of others or into tags: job names, client
     * identities (the {@code authorized_keys} forced command's argument), hold tags. As a component, but
     * without spaces.
     */
    public static void validateIdentifier(String identifier, String what) {
        check(identifier, what, false);
    }

    // Every message quotes the name through printable(): a client's name is quoted in its one-line refusal.
    private static void check(String component, String what, boolean spaces) {
        if (component == null || component.isEmpty()) {
            throw new InvalidNameException(what + " is empty");
        }
        if (component.equals(".") || component.equals("..")) {
            throw new InvalidNameException(what + " '" + printable(component) + "' is not allowed");
        }
        if (component.charAt(0) == '-') {
            throw new InvalidNameException(what + " '" + printable(component) + "' must not start with '-'");
        }
        for (int i = 0; i < component.length(); i++) {
            char c = component.charAt(i);
            boolean ok = (c >= 'a' && c <= 'z')
                    || (c >= 'A' && c <= 'Z')
                    || (c >= '0' && c <= '9')
                    || c == '_'
                    || c == '-'
                    || c == '.'
                    || c == ':'
                    || (spaces && c == ' ');
            if (!ok) {
                throw new InvalidNameException(what + " '" + printable(component) + "' contains '" + printable(c)
                        + "'; allowed are letters, digits" + (spaces ? ", spaces" : "") + " and _ - . :");
            }
        }
        if (component.charAt(0) == ' ' || component.charAt(component.length() - 1) == ' ') {
            throw new InvalidNameException(what + " '" + printable(component) + "' must not start or end with a space");
        }
    }

    private static void validate(String value) {
        if (value == null || value.isEmpty()) {
            throw new InvalidNameException("dataset name is empty");
        }
        if (value.length() > MAX_LENGTH) {
            throw new InvalidNameException("dataset name '" + printable(value.substring(0, 40)) + "...' is longer than "
                    + MAX_LENGTH + " characters");
        }
        if (value.indexOf('@') >= 0 || value.indexOf('#') >= 0) {
            throw new InvalidNameException("dataset name '" + printable(value) + "' must not contain '@' or '#'");
        }
        if (value.startsWith("/") || value.endsWith("/") || value.contains("//")) {
            throw new InvalidNameException("dataset name '" + printable(value) + "' has an empty component");
        }
        String[] parts = value.split("/", -1);
        for (String part : parts) {
            validateComponent(part, "dataset name component");
        }
        char first = parts[0].charAt(0);
        if (!((first >= 'a' && first <= 'z') || (first >= 'A' && first <= 'Z'))) {
            throw new InvalidNameException("pool name '" + printable(parts[0]) + "' must start with a letter");
        }
    }

    private static String printable(String s) {
        StringBuilder out = new StringBuilder();
        s.chars().forEach(c -> out.append(printable((char) c)));
        return out.toString();
    }

    private static String printable(char c) {
        return c < 0x20 || c == 0x7f ? String.format("\\x%02x", (int) c) : String.valueOf(c);
    }

    public List<String> components() {
        return List.of(value.split("/"));
    }

    public String pool() {
        int slash = value.indexOf('/');
        return slash < 0 ? value : value.substring(0, slash);
    }

    public int depth() {
        return components().size();
    }

    public Optional<DatasetName> parent() {
        int slash = value.lastIndexOf('/');
        return slash < 0 ? Optional.empty() : Optional.of(new DatasetName(value.substring(0, slash)));
    }

    /** Appends a relative path of one or more components ("a" or "a/b"), each validated. */
    public DatasetName child(String relative) {
        return new DatasetName(value + "/" + relative);
    }

    /** True when this is {@code other} itself or lies below it. */
    public boolean isSelfOrDescendantOf(DatasetName other) {
        return value.equals(other.value) || value.startsWith(other.value + "/");
    }

    /**
     * {@code names} without those at or below another one, sorted: the roots whose recursive listings cover
     * them all, each dataset once.
     */
    public static List<DatasetName> outermost(Collection<DatasetName> names) {
        List<DatasetName> roots = new ArrayList<>();
        // Sorted by name, an ancestor comes before its descendants.
        for (DatasetName d : new TreeSet<>(names)) {
            if (roots.stream().noneMatch(d::isSelfOrDescendantOf)) {
                roots.add(d);
            }
        }
        return List.copyOf(roots);
    }

    /** The path below {@code ancestor} ("" for the ancestor itself). */
    public String relativeTo(DatasetName ancestor) {
        if (!isSelfOrDescendantOf(ancestor)) {
            throw new IllegalArgumentException(value + " is not inside " + ancestor.value);
        }
        return value.equals(ancestor.value) ? "" : value.substring(ancestor.value.length() + 1);
    }

    // equals and hashCode by hand: a record's own go through an invokedynamic bootstrap and method handles,
    // which the interpreter runs slowly; a pass over 1000 filesystems hashes these names tens of thousands of
    // times before anything is compiled (JFR of a no-op pass: ~30 ms in the generated equals alone).
    @Override
    public boolean equals(Object o) {
        return o instanceof DatasetName other && value.equals(other.value);
    }

    @Override
    public int hashCode() {
        return value.hashCode();
    }

    @Override
    public int compareTo(DatasetName o) {
        return value.compareTo(o.value);
    }

    @Override
    public String toString() {
        return value;
    }
}
