package dev.zreplj.zfs;

/** A user hold: {@code tag} on snapshot {@code filesystem@snapshot}, as {@code zfs holds} lists it. */
public record Hold(DatasetName filesystem, String snapshot, String tag) {
    public Hold {
        DatasetName.validateComponent(snapshot, "snapshot name");
        DatasetName.validateComponent(tag, "hold tag");
    }
}
