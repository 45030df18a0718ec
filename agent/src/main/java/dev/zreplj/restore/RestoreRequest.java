package dev.zreplj.restore;

import dev.zreplj.zfs.DatasetName;

/**
 * What the user asked {@code zreplj restore} for.
 *
 * @param source    the filesystem's name as on the client (the box's jail-relative path)
 * @param snapshot  the snapshot to restore, null for the newest the box holds
 * @param target    the local dataset to receive into
 * @param recursive also every filesystem below {@code source}, into the same place below {@code target}
 * @param force     receive over an existing local dataset ({@code zfs recv -F}), rolling it back
 */
public record RestoreRequest(String source, String snapshot, DatasetName target, boolean recursive, boolean force) {}
