package dev.zreplj.testing;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import org.slf4j.LoggerFactory;

/** What a class logged while a test's action ran: its level and message, for asserting on both. */
public final class LogCapture {
    private LogCapture() {}

    public interface Action {
        void run() throws Exception;
    }

    /** Each line {@code source}'s logger took during {@code action}, as "LEVEL message", in order. */
    public static List<String> logged(Class<?> source, Action action) throws Exception {
        Logger logger = (Logger) LoggerFactory.getLogger(source);
        ListAppender<ILoggingEvent> appender = new ListAppender<>();
        appender.start();
        logger.addAppender(appender);
        try {
            action.run();
        } finally {
            logger.detachAppender(appender);
        }
        return appender.list.stream()
                .map(e -> e.getLevel() + " " + e.getFormattedMessage())
                .toList();
    }
}
