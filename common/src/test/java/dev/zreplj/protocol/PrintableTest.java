package dev.zreplj.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class PrintableTest {
    @Test
    void nothingAClientSendsCanEndTheLine() {
        assertEquals(
                "a\\x0ab\\x0dc\\x00d\\x7fe\\x85f\\u2028g\\u2029h\\x1b[31m",
                Printable.of("a\nb\rc\0d\u007fe\u0085f\u2028g\u2029h\u001b[31m"));
        assertEquals("lone \\ud800 surrogate", Printable.of("lone \ud800 surrogate"));
    }

    @Test
    void ordinaryTextAndPairsStayAsTheyAre() {
        assertEquals(
                "tank/home@zrepl_1 \\x0a already escaped, 'quoted', ünïcode, \ud83d\ude00",
                Printable.of("tank/home@zrepl_1 \\x0a already escaped, 'quoted', ünïcode, \ud83d\ude00"));
        assertEquals("null", Printable.of(null));
    }
}
