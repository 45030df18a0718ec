package dev.zreplj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.testcontainers.containers.Container.ExecResult;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.utility.DockerImageName;
import org.testcontainers.utility.MountableFile;

/**
 * The .deb that {@code mvn package} builds, judged by Debian's own tools: lintian reports nothing, and
 * dpkg-deb shows the paths the README and authorized_keys rely on. Needs lintian and dpkg-deb (the test
 * run installs lintian). Tagged system for those tools, so that the README's tests without root leave it
 * out. The package's whole life (install, upgrade, remove, purge, install again) runs on a throwaway
 * machine, a container of the box image (tag container too), never on the host.
 */
@Tag("system")
class DebPackageIT {
    private static Path deb() throws IOException {
        try (Stream<Path> files = Files.list(Path.of("target"))) {
            List<Path> debs = files.filter(p -> p.getFileName().toString().matches("zreplj_.*_all\\.deb"))
                    .toList();
            assertEquals(1, debs.size(), "one package in target/: " + debs);
            return debs.get(0);
        }
    }

    private static String run(String... command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), String.join(" ", command) + ":\n" + out);
        return out;
    }

    @Test
    void lintianFindsNothing() throws Exception {
        String out = run("lintian", "--fail-on", "error,warning", deb().toString());
        List<String> tags = out.lines().filter(l -> l.matches("[EWIPXO]: .*")).toList();
        assertEquals(List.of(), tags, out);
    }

    @Test
    void thePackageHoldsTheStablePathsUnitsConffilesManPagesAndCompletion() throws Exception {
        String contents = run("dpkg-deb", "--contents", deb().toString());
        for (String path : List.of(
                "./usr/bin/zreplj -> ../share/zreplj/bin/zreplj",
                "./usr/share/zreplj/bin/zreplj",
                "./usr/share/zreplj/bin/zreplj-cds-archive",
                "./usr/share/zreplj/lib/zreplj-cli-",
                "./lib/systemd/system/zreplj-agent.service",
                "./lib/systemd/system/zreplj-agent.timer",
                "./lib/systemd/system/zreplj-agent-daemon.service",
                "./etc/zreplj/push.yml.example",
                "./etc/zreplj/sink.yml.example",
                "./etc/zreplj/local.yml.example", // a USB disk or second pool, zrepl's local transport
                "./usr/share/man/man1/zreplj.1.gz",
                "./usr/share/man/man1/zreplj-agent-once.1.gz", // the units' Documentation=
                "./usr/share/man/man1/zreplj-agent-run.1.gz",
                "./usr/share/bash-completion/completions/zreplj",
                "./usr/share/doc/zreplj/copyright",
                "./usr/share/doc/zreplj/examples/sshd/sshd_config.d-zreplj.conf")) {
            assertTrue(contents.contains(path), path + " missing from:\n" + contents);
        }
        assertTrue(!contents.contains(".jsa"), "the class-data archives are made by postinst, not shipped");
        String control = run("dpkg-deb", "--field", deb().toString(), "Depends");
        assertTrue(control.contains("default-jre-headless (>= 2:1.17) | java17-runtime-headless"), control);
        String conffiles = run("dpkg-deb", "--info", deb().toString(), "conffiles");
        assertEquals(
                "/etc/zreplj/push.yml.example\n/etc/zreplj/sink.yml.example\n/etc/zreplj/local.yml.example\n",
                conffiles);
        // A Java runtime installed, upgraded or removed: postinst makes the archives again for it.
        assertEquals("interest-noawait /usr/lib/jvm\n", run("dpkg-deb", "--info", deb().toString(), "triggers"));
    }

    /**
     * The maintainer scripts over the package's whole life, in a container of the box image (the test
     * resource {@code deb-lifecycle} says each step and check): an older build installed without a usable
     * java (the install goes on without the class-data archive), a box's and an agent's state, an edited
     * conffile and an enabled, running timer; the upgrade keeps the user, the state with every owner and
     * mode and the edited conffile, asks nothing, restarts the running daemon and makes archives the JVM
     * takes; an archive whose jar was replaced is refused; the trigger on /usr/lib/jvm runs the dump again;
     * remove keeps the user, the state and the enablement, and installing again starts the enabled timer
     * the removal stopped; purge removes the state and the enablement but keeps the user (ZFS grants are by
     * uid); a user zreplj that the admin made is kept as made. About a minute, most of it the archives' dump.
     */
    @Test
    @Tag("container")
    void theMaintainerScriptsOverTheWholeLifeOfThePackage() throws Exception {
        try (GenericContainer<?> box = new GenericContainer<>(DockerImageName.parse(BoxContainer.image()))
                .withCopyToContainer(MountableFile.forHostPath(deb().toAbsolutePath(), 0644), "/box/zreplj.deb")
                .withCopyToContainer(
                        MountableFile.forClasspathResource("dev/zreplj/cli/deb-lifecycle", 0755), "/box/deb-lifecycle")
                .withCommand("sh", "-c", "echo deb-lifecycle: ready; exec sleep infinity")
                .waitingFor(
                        Wait.forLogMessage(".*deb-lifecycle: ready.*", 1).withStartupTimeout(Duration.ofSeconds(60)))) {
            box.start();
            ExecResult r = box.execInContainer("/box/deb-lifecycle");
            String out = r.getStdout() + r.getStderr();
            System.out.println(out);
            assertEquals(0, r.getExitCode(), out);
            assertTrue(out.contains("deb-lifecycle: all "), out);
        }
    }
}
