package org.rtmpgw.tunnel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EmptySource;
import org.junit.jupiter.params.provider.ValueSource;

class RtmptRepliesTest {

  @Test
  void openReplyIsIdAndOneLineFeed() {
    assertThat(RtmptReplies.open("node1-AbC"))
        .isEqualTo("node1-AbC\n".getBytes(StandardCharsets.US_ASCII));
  }

  @Test
  void openReplySurvivesEveryClientsIdExtraction() {
    String id = "gw-AbCdEfGhIjKlMnOpQrStUv";
    byte[] body = RtmptReplies.open(id);

    // librtmp, Shumway and the Red5 client drop the last byte of the body.
    assertThat(new String(body, 0, body.length - 1, StandardCharsets.US_ASCII)).isEqualTo(id);
    // FFmpeg, HaishinKit and RootEncoder strip trailing whitespace.
    assertThat(new String(body, StandardCharsets.US_ASCII).strip()).isEqualTo(id);
  }

  @ParameterizedTest
  @EmptySource
  @ValueSource(strings = {"a b", "abc\n", "abc\r", "a.b", "a/b", "\u00e9"})
  void openReplyRejectsIdsThatCouldNotComeBackInAPath(String id) {
    assertThatThrownBy(() -> RtmptReplies.open(id)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void openReplyRejectsOverlongAndNullIds() {
    assertThat(RtmptReplies.open("a".repeat(64))).hasSize(65);
    assertThatThrownBy(() -> RtmptReplies.open("a".repeat(65)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> RtmptReplies.open(null)).isInstanceOf(NullPointerException.class);
  }

  @Test
  void pollReplyIsDelayByteThenPayloadSlice() {
    byte[] payload = {10, 11, 12, 13, 14};

    assertThat(RtmptReplies.poll((byte) 0x05, payload, 1, 3)).containsExactly(0x05, 11, 12, 13);
  }

  @Test
  void pollReplyWithoutPayloadIsJustTheDelayByte() {
    assertThat(RtmptReplies.poll((byte) 0x21, new byte[0], 0, 0)).containsExactly(0x21);
    assertThat(RtmptReplies.poll((byte) 0x09, new byte[] {1, 2}, 2, 0)).containsExactly(0x09);
    assertThat(RtmptReplies.poll(PollingDelay.FAST)).containsExactly(0x01);
  }

  @Test
  void pollReplyCopiesThePayload() {
    byte[] payload = {1, 2, 3};
    byte[] reply = RtmptReplies.poll(PollingDelay.FAST, payload, 0, 3);

    Arrays.fill(payload, (byte) 9);

    assertThat(reply).containsExactly(1, 1, 2, 3);
  }

  @Test
  void pollReplyRejectsBadSlices() {
    byte[] payload = new byte[4];
    assertThatThrownBy(() -> RtmptReplies.poll((byte) 1, payload, 2, 3))
        .isInstanceOf(IndexOutOfBoundsException.class);
    assertThatThrownBy(() -> RtmptReplies.poll((byte) 1, payload, -1, 1))
        .isInstanceOf(IndexOutOfBoundsException.class);
    assertThatThrownBy(() -> RtmptReplies.poll((byte) 1, payload, 0, -1))
        .isInstanceOf(IndexOutOfBoundsException.class);
  }

  @Test
  void closeReplyIsOneZeroByteAndAFreshArray() {
    byte[] first = RtmptReplies.close();
    first[0] = 7;

    assertThat(RtmptReplies.close()).containsExactly(0x00);
  }

  @Test
  void contentTypeHasNoParameters() {
    assertThat(RtmptReplies.CONTENT_TYPE).isEqualTo("application/x-fcs");
  }
}
