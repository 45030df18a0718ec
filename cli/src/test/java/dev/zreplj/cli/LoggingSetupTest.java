package dev.zreplj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.core.ConsoleAppender;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class LoggingSetupTest {
    /** Logback finds the setup through its service file: INFO and up, to stderr only, MINA's own WARNs quiet. */
    @Test
    void logbackUsesItAndLogsGoToStderrOnly() {
        LoggerContext context = (LoggerContext) LoggerFactory.getILoggerFactory();
        Logger root = context.getLogger(Logger.ROOT_LOGGER_NAME);
        // The level of this JVM's context is whatever the last Main.run in it chose (WARN when quiet), so
        // the setup's own level is checked on a fresh context.
        LoggerContext fresh = new LoggerContext();
        LoggingSetup setup = new LoggingSetup();
        setup.setContext(fresh);
        setup.configure(fresh);
        assertEquals(Level.INFO, fresh.getLogger(Logger.ROOT_LOGGER_NAME).getLevel());
        ConsoleAppender<?> stderr = assertInstanceOf(ConsoleAppender.class, root.getAppender("STDERR"));
        assertEquals("System.err", stderr.getTarget());
        assertEquals("%d{HH:mm:ss.SSS} %-5level %msg%n", ((PatternLayoutEncoder) stderr.getEncoder()).getPattern());
        assertEquals(
                1,
                java.util.stream.StreamSupport.stream(
                                java.util.Spliterators.spliteratorUnknownSize(root.iteratorForAppenders(), 0), false)
                        .count());
        assertEquals(Level.ERROR, context.getLogger("org.apache.sshd").getLevel());
    }
}
