package org.rtmpgw.tunnel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.rtmpgw.tunnel.PropertyHarnessFuzzTest.forAll;
import static org.rtmpgw.tunnel.PropertyHarnessFuzzTest.shrinkList;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.rtmpgw.tunnel.PropertyHarnessFuzzTest.Shrinker;

/**
 * Property-based fuzzing of {@link PollingDelay}: for any sequence of replies with and without
 * data, the byte is always one of Red5's rungs (never the closing byte), data resets the ladder,
 * the first {@code n} empty replies in a row are fast, and the k-th one after them is rung k
 * (capped at {@link PollingDelay#MAX}).
 */
class PollingDelayFuzzTest {

  private static final byte[] RUNGS = {0x03, 0x05, 0x09, 0x11, 0x21};

  record Run(int emptyBeforeBackoff, List<Boolean> carriesData) {}

  @Test
  void anyReplySequenceClimbsRed5sLadderAndResetsOnData() {
    forAll(
        "polling byte follows the ladder",
        1_000,
        r -> {
          int threshold = r.nextInt(4) == 0 ? 0 : r.nextInt(15);
          int n = r.nextInt(200);
          int dataOneIn = 1 + r.nextInt(20);
          List<Boolean> data = new ArrayList<>(n);
          for (int i = 0; i < n; i++) {
            data.add(r.nextInt(dataOneIn) == 0);
          }
          return new Run(threshold, data);
        },
        run ->
            shrinkList(run.carriesData(), Shrinker.none())
                .map(d -> new Run(run.emptyBeforeBackoff(), d)),
        Run::toString,
        run -> {
          PollingDelay delay = new PollingDelay(run.emptyBeforeBackoff());
          int empties = 0;
          byte previous = PollingDelay.FAST;
          for (boolean data : run.carriesData()) {
            byte b = delay.next(data);
            assertThat(b).isNotEqualTo(PollingDelay.CLOSING);
            if (data) {
              empties = 0;
              assertThat(b).isEqualTo(PollingDelay.FAST);
            } else {
              empties++;
              int rung = empties - run.emptyBeforeBackoff();
              byte expected =
                  rung <= 0 ? PollingDelay.FAST : RUNGS[Math.min(rung, RUNGS.length) - 1];
              assertThat(b).as("empty reply %d in a row", empties).isEqualTo(expected);
              assertThat(b).isGreaterThanOrEqualTo(previous).isLessThanOrEqualTo(PollingDelay.MAX);
            }
            assertThat(delay.consecutiveEmpty()).isEqualTo(empties);
            previous = b;
          }
        });
  }
}
