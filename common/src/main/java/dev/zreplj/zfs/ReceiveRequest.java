package dev.zreplj.zfs;

import java.util.List;
import java.util.Map;

/**
 * One {@code zfs recv} into {@code target}. {@link Zfs#receive} adds {@code -u} where supported; the
 * caller decides rollback ({@code -F}), resumability ({@code -s}), and property overrides/excludes,
 * which are dropped with a logged warning where the zfs lacks {@code -o}/{@code -x}.
 */
public record ReceiveRequest(
        DatasetName target,
        boolean rollback,
        boolean resumable,
        Map<String, String> overrideProperties,
        List<String> excludeProperties) {
    public ReceiveRequest {
        overrideProperties = Map.copyOf(overrideProperties);
        excludeProperties = List.copyOf(excludeProperties);
    }

    public static ReceiveRequest plain(DatasetName target) {
        return new ReceiveRequest(target, false, false, Map.of(), List.of());
    }
}
