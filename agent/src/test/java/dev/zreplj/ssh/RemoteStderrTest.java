package dev.zreplj.ssh;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class RemoteStderrTest {
    private static List<String> logged(byte[]... writes) {
        Logger logger = (Logger) LoggerFactory.getLogger("dev.zreplj.ssh.remote");
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        logger.addAppender(appender);
        try (RemoteStderr err = new RemoteStderr("box: ")) {
            for (byte[] w : writes) err.write(w, 0, w.length);
        } finally {
            logger.detachAppender(appender);
        }
        return appender.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void linesSplitAcrossWritesAreJoinedAndPrefixed() {
        assertEquals(
                List.of("box: one", "box: two", "box: three"), logged(b("o"), b("ne\ntw"), b("o\r\nthr"), b("ee")));
    }

    @Test
    void theRemotesControlCharactersAreEscaped() {
        assertEquals(
                List.of("box: ok\\x1b]0;pwned\\x07\\x1b[31mred\\x0dfake"),
                logged(b("ok\u001b]0;pwned\u0007\u001b[31mred\rfake\n")));
    }

    @Test
    void utf8SurvivesASplitInsideACharacter() {
        byte[] umlaut = b("zürich\n");
        assertEquals(
                List.of("box: zürich"),
                logged(java.util.Arrays.copyOf(umlaut, 2), java.util.Arrays.copyOfRange(umlaut, 2, umlaut.length)));
    }

    @Test
    void anEndlessLineIsCutAtTheLimit() {
        byte[] big = new byte[RemoteStderr.MAX_LINE + 5];
        java.util.Arrays.fill(big, (byte) 'x');
        List<String> lines = logged(big);
        assertEquals(2, lines.size());
        assertEquals("box: " + "x".repeat(RemoteStderr.MAX_LINE), lines.get(0));
        assertEquals("box: xxxxx", lines.get(1));
    }

    @Test
    void keepsTheLastNonBlankLinesAndAPendingOne() {
        RemoteStderr err = new RemoteStderr("remote: ");
        assertEquals(List.of(), err.lastLines());
        byte[] missing = b("bash: line 1: /opt/zreplj/bin/zreplj: No such file or directory\r\n");
        err.write(missing, 0, missing.length);
        assertEquals(List.of("bash: line 1: /opt/zreplj/bin/zreplj: No such file or directory"), err.lastLines());
        byte[] more = b("\n  \n1\n2\n3\n4\n5\nhalf");
        err.write(more, 0, more.length);
        assertEquals(List.of("1", "2", "3", "4", "5", "half"), err.lastLines(), "blank lines are not kept");
        err.close();
        assertEquals(List.of("2", "3", "4", "5", "half"), err.lastLines(), "at most " + RemoteStderr.KEPT_LINES);
    }

    /**
     * A hostile box controls its stderr: without a cap it writes lines as fast as the link carries them into the
     * agent's journal or cron's mail for as long as the pass waits on the channel. Past the cap one line says so,
     * and closing says how many were left out; the last lines are still kept for a start failure's message.
     */
    @Test
    void aFloodOfLinesIsCutAtTheCapWithOneLineSayingSoAndTheCountAtTheEnd() {
        int sent = RemoteStderr.MAX_LINES + 5000;
        List<String> lines = logged(b("junk\n".repeat(sent)));
        assertEquals(RemoteStderr.MAX_LINES + 2, lines.size());
        assertEquals("box: junk", lines.get(RemoteStderr.MAX_LINES - 1));
        assertEquals(
                "box: (more than " + RemoteStderr.MAX_LINES + " lines on stderr; the rest is not logged)",
                lines.get(RemoteStderr.MAX_LINES));
        assertEquals("box: (5000 more lines on stderr were not logged)", lines.get(RemoteStderr.MAX_LINES + 1));
    }
}
