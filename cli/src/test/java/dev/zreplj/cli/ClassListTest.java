package dev.zreplj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shipped class lists name only classes that exist: a class renamed or deleted stays in a list as a
 * silent "Cannot find" at every install's -Xshare:dump. (That they hold every class a pass loads is
 * ClassListIT's.)
 */
class ClassListTest {
    @TempDir
    Path tmp;

    @Test
    void everyListedClassIsOnTheClassPath() throws Exception {
        for (String name : List.of("zreplj", "stdinserver")) {
            Set<String> gone = ClassListIT.classes(List.of(ClassListIT.LISTS.resolve(name + ".classlist"))).stream()
                    .filter(c -> ClassLoader.getSystemResource(c + ".class") == null)
                    .collect(Collectors.toCollection(java.util.TreeSet::new));
            assertTrue(
                    gone.isEmpty(),
                    () -> name + ".classlist names classes that are gone: " + gone
                            + "; run contrib/dev/regenerate-classlists");
        }
    }

    @Test
    void classNamesAreTheFirstWordOfLinesButCommentsDirectivesAndProxies() throws Exception {
        Path list = Files.writeString(
                tmp.resolve("x.classlist"),
                String.join(
                        "\n",
                        "# comment",
                        "java/lang/Object",
                        "dev/zreplj/cli/Main id: 7",
                        "@lambda-proxy dev/zreplj/cli/Main run ()Ljava/lang/Runnable;",
                        "jdk/proxy2/$Proxy11",
                        "com/sun/proxy/jdk/proxy1/$Proxy9",
                        ""));
        assertEquals(Set.of("java/lang/Object", "dev/zreplj/cli/Main"), ClassListIT.classes(List.of(list)));
    }

    @Test
    void theJdksOwnClassesAreToldApartFromZrepljsAndItsLibraries() {
        for (String c : List.of(
                "java/lang/Object",
                "javax/crypto/Cipher",
                "jdk/internal/misc/Unsafe",
                "sun/nio/ch/Net",
                "com/sun/crypto/provider/GHASH")) {
            assertTrue(ClassListIT.jdk(c), c);
        }
        for (String c : List.of(
                "dev/zreplj/cli/Main",
                "org/apache/sshd/client/SshClient",
                "picocli/CommandLine",
                "com/fasterxml/jackson/core/JsonParser",
                "net/i2p/crypto/eddsa/EdDSAEngine")) {
            assertFalse(ClassListIT.jdk(c), c);
        }
    }
}
