package org.rtmpgw.tunnel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class RequestRateLimitTest {
  private static final long SECOND = 1_000_000_000L;

  @Test
  void allowsTheLimitPerWindowThenRefuses() {
    RequestRateLimit r = new RequestRateLimit(3);
    long t = 5 * SECOND;
    assertThat(r.tryAcquire(t)).isTrue();
    assertThat(r.tryAcquire(t + 1)).isTrue();
    assertThat(r.tryAcquire(t + 2)).isTrue();
    assertThat(r.tryAcquire(t + 3)).isFalse();
    assertThat(r.tryAcquire(t + SECOND - 1)).isFalse();
  }

  @Test
  void aNewWindowStartsAfterOneSecond() {
    RequestRateLimit r = new RequestRateLimit(2);
    long t = 0;
    r.tryAcquire(t);
    r.tryAcquire(t);
    assertThat(r.tryAcquire(t)).isFalse();
    assertThat(r.tryAcquire(t + SECOND)).isTrue();
    assertThat(r.tryAcquire(t + SECOND)).isTrue();
    assertThat(r.tryAcquire(t + SECOND)).isFalse();
  }

  @Test
  void negativeNanoTimesWork() {
    RequestRateLimit r = new RequestRateLimit(1);
    long t = Long.MIN_VALUE + 10;
    assertThat(r.tryAcquire(t)).isTrue();
    assertThat(r.tryAcquire(t + 1)).isFalse();
    assertThat(r.tryAcquire(t + SECOND)).isTrue();
  }

  @Test
  void zeroMeansNoLimit() {
    RequestRateLimit r = new RequestRateLimit(0);
    for (int i = 0; i < 100_000; i++) {
      assertThat(r.tryAcquire(0)).isTrue();
    }
  }

  @Test
  void negativeLimitIsRejected() {
    assertThatThrownBy(() -> new RequestRateLimit(-1)).isInstanceOf(IllegalArgumentException.class);
  }
}
