package org.rtmpgw.tunnel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PollingDelayTest {

  private static List<Integer> emptyReplies(PollingDelay delay, int count) {
    List<Integer> bytes = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      bytes.add(delay.next(false) & 0xff);
    }
    return bytes;
  }

  @Test
  void red5LadderAfterTenEmptyRepliesThenDataRestartsIt() {
    PollingDelay delay = new PollingDelay(10);

    assertThat(emptyReplies(delay, 16))
        .containsExactly(
            0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x03, 0x05, 0x09, 0x11,
            0x21, 0x21);
    assertThat(delay.consecutiveEmpty()).isEqualTo(16);

    assertThat(delay.next(true)).isEqualTo(PollingDelay.FAST);
    assertThat(delay.consecutiveEmpty()).isZero();
    assertThat(emptyReplies(delay, 11))
        .containsExactly(0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x01, 0x03);
  }

  @Test
  void dataRepliesAreAlwaysFast() {
    PollingDelay delay = new PollingDelay(10);
    for (int i = 0; i < 50; i++) {
      assertThat(delay.next(true)).isEqualTo((byte) 0x01);
    }
    assertThat(delay.consecutiveEmpty()).isZero();
  }

  @Test
  void dataInTheMiddleOfTheLadderDropsToFast() {
    PollingDelay delay = new PollingDelay(2);
    assertThat(emptyReplies(delay, 4)).containsExactly(0x01, 0x01, 0x03, 0x05);

    assertThat(delay.next(true)).isEqualTo((byte) 0x01);

    assertThat(emptyReplies(delay, 3)).containsExactly(0x01, 0x01, 0x03);
  }

  @Test
  void zeroGraceClimbsFromTheFirstEmptyReply() {
    assertThat(emptyReplies(new PollingDelay(0), 6))
        .containsExactly(0x03, 0x05, 0x09, 0x11, 0x21, 0x21);
  }

  @Test
  void neverExceedsMaxNor0x41ForHaishinKit() {
    PollingDelay delay = new PollingDelay(10);

    assertThat(emptyReplies(delay, 10_000)).allSatisfy(b -> assertThat(b).isBetween(0x01, 0x21));
    assertThat(delay.next(false)).isEqualTo(PollingDelay.MAX);
  }

  @Test
  void constantsMatchTheWire() {
    assertThat(PollingDelay.CLOSING).isEqualTo((byte) 0x00);
    assertThat(PollingDelay.FAST).isEqualTo((byte) 0x01);
    assertThat(PollingDelay.MAX).isEqualTo((byte) 0x21);
  }

  @Test
  void negativeGraceIsRejected() {
    assertThatThrownBy(() -> new PollingDelay(-1)).isInstanceOf(IllegalArgumentException.class);
  }
}
