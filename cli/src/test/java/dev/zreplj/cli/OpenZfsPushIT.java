package dev.zreplj.cli;

import dev.zreplj.cli.openzfs.OpenZfsLab;
import java.nio.file.Path;
import org.junit.jupiter.api.Tag;

/**
 * The push suite on OpenZFS 2.3, in the lab guest (contrib/zfs-lab). Fails with
 * {@link OpenZfsLab#NOT_RUNNING} when the lab is not started; developers may pass
 * -DexcludedGroups=openzfs explicitly, CI never does.
 */
@Tag("openzfs")
class OpenZfsPushIT extends PushSuite {
    @Override
    LabEndToEnd open(Path dir, String filesystemsYaml, String jobTail) {
        return new LabEndToEnd(OpenZfsLab.connect(), filesystemsYaml, jobTail);
    }

    /** Under TCG a stdinserver JVM takes about 7 s to say HELLO on an idle host. */
    @Override
    int stallTimeoutSeconds() {
        return 30;
    }
}
