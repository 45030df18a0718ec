package dev.zreplj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.github.dockerjava.api.DockerClient;
import com.github.dockerjava.api.model.Capability;
import com.github.dockerjava.api.model.Device;
import com.github.dockerjava.api.model.ExposedPort;
import com.github.dockerjava.api.model.PortBinding;
import com.github.dockerjava.api.model.Ports;
import dev.zreplj.ssh.testing.TestSshd;
import dev.zreplj.zfs.DatasetName;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.testcontainers.DockerClientFactory;
import org.testcontainers.containers.Container.ExecResult;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.utility.DockerImageName;
import org.testcontainers.utility.MountableFile;

/**
 * A backup box in its own Docker container (issue 16): its own zfs-fuse with the pool {@code boxpool}
 * on a sparse file of the given size, the commit's .deb installed, the sink config serving "laptop"
 * below {@code boxpool/sink}, root's authorized_keys made by {@code zreplj authorized-keys}, and sshd
 * on a fixed port of 127.0.0.1, so that a restart keeps the address the agent's config names. A test can
 * cut its link, freeze it, restart it or fill its pool, none of which the one-host setup can do.
 */
final class BoxContainer implements AutoCloseable {
    static final DatasetName SINK_ROOT = DatasetName.of("boxpool/sink");
    static final DatasetName JAIL = SINK_ROOT.child(EndToEnd.CLIENT);
    private static final String BUILD_SCRIPT = "contrib/box-image/build";

    private final GenericContainer<?> container;
    private final int port;
    private final Path knownHosts;

    /**
     * @param dir       a directory of the test's own: host key and known_hosts
     * @param clientPub the laptop's public key, put behind the forced command
     * @param poolBytes the size of the box's pool file (zfs-fuse needs 64 MiB at least)
     */
    BoxContainer(Path dir, Path clientPub, long poolBytes) throws IOException, InterruptedException {
        String image = image();
        Files.createDirectories(dir);
        Path hostKey = TestSshd.keygen(dir.resolve("host_key"), TestSshd.KeyType.ED25519, "box");
        Path sink = dir.resolve("sink.yml");
        Files.writeString(sink, EndToEnd.sinkYaml("/var/lib/zreplj", SINK_ROOT, ""));
        this.port = freePort();
        container = new GenericContainer<>(DockerImageName.parse(image))
                .withCopyToContainer(MountableFile.forHostPath(deb(), 0644), "/box/zreplj.deb")
                .withCopyToContainer(MountableFile.forClasspathResource("dev/zreplj/cli/box-start", 0755), "/box/start")
                .withCopyToContainer(MountableFile.forHostPath(hostKey, 0600), "/box/host_key")
                .withCopyToContainer(MountableFile.forHostPath(clientPub, 0644), "/box/laptop.pub")
                .withCopyToContainer(MountableFile.forHostPath(sink, 0644), "/box/sink.yml")
                .withEnv("BOX_POOL_BYTES", Long.toString(poolBytes))
                .withCommand("/box/start")
                .withExposedPorts(22)
                // --privileged is refused on these machines; zfs-fuse needs only the fuse device and mounts.
                .withCreateContainerCmdModifier(cmd -> cmd.getHostConfig()
                        .withCapAdd(Capability.SYS_ADMIN)
                        .withDevices(Device.parse("/dev/fuse"))
                        .withPortBindings(
                                new PortBinding(Ports.Binding.bindIpAndPort("127.0.0.1", port), ExposedPort.tcp(22))))
                .waitingFor(Wait.forLogMessage(".*box-start: ready.*", 1).withStartupTimeout(Duration.ofSeconds(180)));
        container.start();
        try {
            knownHosts = dir.resolve("known_hosts");
            Files.writeString(
                    knownHosts,
                    "[127.0.0.1]:" + port + " "
                            + Files.readString(Path.of(hostKey + ".pub")).strip() + "\n");
            awaitSsh(Duration.ofSeconds(30));
        } catch (IOException | InterruptedException | RuntimeException | AssertionError e) {
            container.stop();
            throw e;
        }
    }

    /**
     * The image contrib/box-image/build tags with the hash of its inputs; the test fails, not skips,
     * when the engine or the image is missing.
     */
    static String image() {
        if (!DockerClientFactory.instance().isDockerAvailable()) {
            throw new AssertionError("no Docker engine answers: run " + BUILD_SCRIPT
                    + " as root (it starts dockerd and builds the box image)");
        }
        String image = "zreplj-box:" + inputHash();
        if (!DockerClientFactory.instance().client().listImagesCmd().withImageNameFilter(image).exec().stream()
                .findAny()
                .isPresent()) {
            throw new AssertionError("no Docker image " + image + ": run " + BUILD_SCRIPT + " as root");
        }
        return image;
    }

    /** The first 16 hex digits of sha256(build script + Dockerfile), as contrib/box-image/build computes. */
    private static String inputHash() {
        Path dir = repositoryRoot().resolve("contrib/box-image");
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(Files.readAllBytes(dir.resolve("build")));
            sha.update(Files.readAllBytes(dir.resolve("Dockerfile")));
            return HexFormat.of().formatHex(sha.digest()).substring(0, 16);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Path repositoryRoot() {
        // the tests run in cli/
        return Path.of("").toAbsolutePath().getParent();
    }

    private static Path deb() throws IOException {
        try (Stream<Path> files = Files.list(Path.of("target"))) {
            List<Path> debs = files.filter(p -> p.getFileName().toString().matches("zreplj_.*_all\\.deb"))
                    .toList();
            assertEquals(
                    1, debs.size(), "one package in target/ (the container tests run after 'mvn package'): " + debs);
            return debs.get(0).toAbsolutePath();
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    int port() {
        return port;
    }

    Path knownHosts() {
        return knownHosts;
    }

    String id() {
        return container.getContainerId();
    }

    /** Runs a command in the box; fails the test when it exits non-zero. */
    String exec(String... command) {
        ExecResult r = execResult(command);
        assertEquals(0, r.getExitCode(), () -> String.join(" ", command) + " in the box: " + r.getStderr());
        return r.getStdout();
    }

    ExecResult execResult(String... command) {
        try {
            return container.execInContainer(command);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted", e);
        }
    }

    /** Names and guids of every snapshot below root on the box, "name\tguid" per line, sorted. */
    String snapshotsWithGuids(DatasetName root) {
        return exec("zfs", "get", "-Hp", "-r", "-o", "name,value", "guid", root.value())
                .lines()
                .filter(l -> l.contains("@"))
                .sorted()
                .map(l -> l + "\n")
                .collect(Collectors.joining());
    }

    /** Whether a zfs receive runs in the box. */
    boolean receiving() {
        return exec("ps", "-eo", "args").lines().anyMatch(l -> EndToEnd.isReceive(l + " ", JAIL.value()));
    }

    /** Waits until a zfs receive runs in the box, at most the given time. */
    void awaitReceive(Process agent, Duration limit, Path agentLog) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!receiving()) {
            assertTrue(agent.isAlive(), () -> "the agent ended before the stream started: " + read(agentLog));
            assertTrue(System.nanoTime() < deadline, () -> "no zfs recv in the box within " + limit);
            Thread.sleep(20);
        }
    }

    DockerClient docker() {
        return container.getDockerClient();
    }

    void pause() {
        docker().pauseContainerCmd(id()).exec();
    }

    void unpause() {
        docker().unpauseContainerCmd(id()).exec();
    }

    /** The network the container is on (Docker's default bridge). */
    private String network() {
        return container
                .getContainerInfo()
                .getNetworkSettings()
                .getNetworks()
                .keySet()
                .iterator()
                .next();
    }

    void disconnect() {
        docker().disconnectFromNetworkCmd()
                .withNetworkId(network())
                .withContainerId(id())
                .withForce(true)
                .exec();
    }

    void connect(String network) {
        docker().connectToNetworkCmd()
                .withNetworkId(network)
                .withContainerId(id())
                .exec();
    }

    String networkName() {
        return network();
    }

    /** docker restart: box-start runs again (zfs-fuse, the pool imported, sshd); waits until sshd answers. */
    void restart() throws InterruptedException {
        long readyBefore = readyCount();
        docker().restartContainerCmd(id()).withTimeout(5).exec();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (readyCount() <= readyBefore) {
            assertTrue(System.nanoTime() < deadline, () -> "the box did not come back within 60 s:\n" + logs());
            Thread.sleep(100);
        }
        awaitSsh(Duration.ofSeconds(30));
    }

    private long readyCount() {
        return logs().lines().filter(l -> l.contains("box-start: ready")).count();
    }

    String logs() {
        return container.getLogs();
    }

    /** Waits until sshd's banner comes through the published port. */
    void awaitSsh(Duration limit) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (true) {
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
                s.setSoTimeout(2000);
                InputStream in = s.getInputStream();
                byte[] banner = new byte[4];
                if (in.readNBytes(banner, 0, 4) == 4
                        && new String(banner, java.nio.charset.StandardCharsets.US_ASCII).equals("SSH-")) {
                    return;
                }
            } catch (IOException e) {
                // not up yet
            }
            assertTrue(
                    System.nanoTime() < deadline,
                    () -> "sshd in the box did not answer within " + limit + ":\n" + logs());
            Thread.sleep(200);
        }
    }

    static String read(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return "(no " + file + ")";
        }
    }

    @Override
    public void close() {
        container.stop();
    }
}
