package dev.zreplj.cli;

import dev.zreplj.zfs.DatasetName;
import java.io.IOException;
import java.util.List;

/**
 * A whole push setup as {@link PushSuite} drives it: a laptop pool, a backup-box pool with a sink below
 * it, an sshd whose forced command is the built launcher's stdinserver, and the agent run through the
 * same launcher. Two places hold one: this machine on zfs-fuse ({@link EndToEnd}) and the OpenZFS lab
 * guest ({@link LabEndToEnd}); paths and commands are those of the machine the setup lives on.
 */
interface PushSetup extends AutoCloseable {
    /** The laptop's pool. */
    DatasetName src();

    /** The box's pool. */
    DatasetName dst();

    /** The sink's root_fs on the box. */
    DatasetName sinkRoot();

    /** Where the box keeps {@link EndToEnd#CLIENT}'s filesystems. */
    DatasetName jail();

    /** The box's config file, for running {@code zreplj stdinserver} directly. */
    String sinkConfigPath();

    DatasetName createFilesystem(DatasetName name);

    void writeRandomFile(DatasetName fs, String fileName, int bytes);

    /** zfs with these arguments on the machine of the pools (one for both here); its stdout. */
    String zfs(String... args);

    /** Snapshot names (after '@') of exactly this filesystem, in creation order. */
    List<String> snapshotNames(DatasetName fs);

    /** A property value as {@code zfs get -H -o value} prints it. */
    String get(String dataset, String property);

    /** Names and exact guids of every snapshot below a dataset, "name\tguid" per line, sorted by name. */
    String snapshotsWithGuids(DatasetName root);

    /** Every dataset below (and including) root, sorted by name. */
    List<String> datasets(DatasetName root);

    /** The launcher with the agent's config and these arguments. */
    EndToEnd.Run agent(String... args);

    /** The launcher with these arguments and stdin (may be null). */
    EndToEnd.Run zreplj(List<String> args, byte[] stdin);

    /** Replaces text in the agent's config file (which must contain it). */
    void replaceInAgentConfig(String from, String to) throws IOException;

    /** Replaces the agent's pinned host key of the box by a freshly generated one. */
    void pinImpostorHostKey() throws IOException;

    /** Starts the agent with these arguments and SIGKILLs it soon after a zfs receive into target began. */
    void killAgentWhileReceiving(String target, String... args) throws IOException, InterruptedException;

    /** Whether a zfs receive into target is running on the box. */
    boolean receiving(String target);

    /** What {@link #stallReceiver} saw: the agent's exit, its output, and its seconds from SIGSTOP to exit. */
    record Stalled(int exit, String output, double secondsFromStopToExit) {
        @Override
        public String toString() {
            return "exit " + exit + " " + secondsFromStopToExit + " s after SIGSTOP\n--- output\n" + output;
        }
    }

    /**
     * Starts the agent with these arguments; as soon as a zfs receive into target runs, SIGSTOPs the
     * stdinserver serving it (zfs recv's parent) and waits up to {@code limitSeconds} for the agent to
     * exit. The stdinserver stays stopped until {@link #continueStopped()}.
     */
    Stalled stallReceiver(String target, int limitSeconds, String... args) throws IOException, InterruptedException;

    /** SIGCONTs the stdinserver {@link #stallReceiver} stopped, if any; safe to call more than once. */
    void continueStopped();

    @Override
    void close();
}
