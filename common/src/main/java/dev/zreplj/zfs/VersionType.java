package dev.zreplj.zfs;

public enum VersionType {
    SNAPSHOT('@'),
    BOOKMARK('#');

    private final char separator;

    VersionType(char separator) {
        this.separator = separator;
    }

    public char separator() {
        return separator;
    }
}
