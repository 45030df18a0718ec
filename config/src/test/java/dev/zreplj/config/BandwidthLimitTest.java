package dev.zreplj.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** zrepl's internal/util/datasizeunit/datasizeunit_test.go, in bytes (zrepl keeps bits). */
class BandwidthLimitTest {
    @ParameterizedTest
    @CsvSource(
            delimiter = ';',
            value = {
                "23 bit; 2.875",
                "23bit; 2.875",
                "10MiB; 10485760",
                "10 MiB; 10485760",
                "10.5 Kib; 1344",
                "10.5Kib; 1344",
                "1 bit; 0.125",
                "1 B; 1",
                "1 Kb; 125",
                "1 Kib; 128",
                "1 Mb; 125000",
                "1 Mib; 131072",
                "1 Gb; 125000000",
                "1 Gib; 134217728",
                "1 Tb; 125000000000",
                "1 Tib; 137438953472",
                "12345 B; 12345",
                "-1 B; -1",
                "23.5 MiB; 24641536",
                "128 KiB; 131072"
            })
    void zreplsDataSizes(String text, double bytes) {
        assertEquals(bytes, BandwidthLimit.parseBytes(text));
    }

    @ParameterizedTest
    @CsvSource(
            delimiter = ';',
            value = {
                "10; '10' is not a data size: expected a number and a unit such as B, KiB, MiB, GiB, Kb, Mb (bits) or bit, e.g. '23.5 MiB'",
                "10 MB/s; '10 MB/s' is not a data size: expected a number and a unit such as B, KiB, MiB, GiB, Kb, Mb (bits) or bit, e.g. '23.5 MiB'",
                "1.5 bit; '1.5 bit': a number of bits must be whole",
                "1.2.3 B; '1.2.3 B': '1.2.3' is not a number"
            })
    void refusedWithOneLine(String text, String message) {
        assertEquals(
                message,
                assertThrows(IllegalArgumentException.class, () -> BandwidthLimit.parseBytes(text))
                        .getMessage());
    }
}
