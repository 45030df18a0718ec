package dev.zreplj.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class OutputTest {
    @Test
    void notOnATerminalIsQuietUnlessAskedForMore() {
        assertEquals(Output.QUIET, Output.of(false, false, false, false));
        assertEquals(Output.SUMMARY, Output.of(false, false, false, true));
        assertEquals(Output.SUMMARY, Output.of(false, true, false, false));
        assertEquals(Output.DETAIL, Output.of(false, false, true, false));
        assertEquals(Output.DETAIL, Output.of(false, true, true, true));
        assertEquals(Output.QUIET, Output.of(true, false, false, true), "--quiet on a terminal too");
    }

    @Test
    void quietPrintsOnlyFailures() {
        assertFalse(Output.QUIET.prints(false));
        assertTrue(Output.QUIET.prints(true));
        assertTrue(Output.SUMMARY.prints(false));
        assertTrue(Output.DETAIL.prints(false));
    }

    @Test
    void quietAndVerboseTogetherAreAUsageError() {
        CliRun r = CliRun.of("-q", "--verbose", "version");
        assertEquals(
                new CliRun(2, "", "zreplj: --quiet cannot be combined with --verbose (see 'zreplj version --help')\n"),
                r);
    }
}
