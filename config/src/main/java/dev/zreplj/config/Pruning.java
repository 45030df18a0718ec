package dev.zreplj.config;

import dev.zreplj.pruning.KeepRule;
import java.util.List;

public record Pruning(List<KeepRule> keepSender, List<KeepRule> keepReceiver) {
    public Pruning {
        keepSender = List.copyOf(keepSender);
        keepReceiver = List.copyOf(keepReceiver);
    }
}
