package dev.zreplj.replication;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class SizeEstimatorTest {
    @Test
    void tallySumsTheStepsEstimates() {
        SizeEstimator.Tally t = new SizeEstimator.Tally();
        t.add(OptionalLong.of(100));
        t.add(OptionalLong.of(23));
        assertEquals(123, t.total(2));
    }

    @Test
    void oneStepWithoutEstimateMakesTheTotalUnknown() {
        SizeEstimator.Tally t = new SizeEstimator.Tally();
        t.add(OptionalLong.of(100));
        t.add(OptionalLong.empty());
        assertEquals(-1, t.total(2));
    }

    @Test
    void noStepAttemptedIsUnknown() {
        assertEquals(-1, new SizeEstimator.Tally().total(0));
    }
}
