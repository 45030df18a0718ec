package dev.zreplj.ssh;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class RemoteStderrTest {
    private static void write(RemoteStderr err, String text) {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        err.write(bytes, 0, bytes.length);
    }

    @Test
    void keepsTheLastNonBlankLinesAndAPendingOne() {
        RemoteStderr err = new RemoteStderr("remote: ");
        assertEquals(List.of(), err.lastLines());
        write(err, "bash: line 1: /opt/zreplj/bin/zreplj: No such file or directory\r\n");
        assertEquals(List.of("bash: line 1: /opt/zreplj/bin/zreplj: No such file or directory"), err.lastLines());
        write(err, "\n  \n1\n2\n3\n4\n5\nhalf");
        assertEquals(List.of("2", "3", "4", "5", "half"), err.lastLines().subList(1, 6));
        assertEquals(List.of("1", "2", "3", "4", "5", "half"), err.lastLines());
        err.close();
        assertEquals(List.of("2", "3", "4", "5", "half"), err.lastLines(), "at most " + RemoteStderr.KEPT_LINES);
    }
}
