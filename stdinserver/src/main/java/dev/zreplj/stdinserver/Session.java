package dev.zreplj.stdinserver;

import dev.zreplj.config.SinkJob;
import java.nio.file.Path;

/**
 * What one stdinserver process serves: the client (from the forced command), its sink job and jail, the
 * push job the client named in its HELLO (null when it named none), and whether that HELLO listed
 * {@link dev.zreplj.protocol.Wire#DESTROY_FAILED}.
 */
record Session(String clientId, SinkJob job, Jail jail, String pushJob, Path stateDir, boolean destroyFailed) {}
