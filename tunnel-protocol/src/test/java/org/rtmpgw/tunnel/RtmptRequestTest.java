package org.rtmpgw.tunnel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class RtmptRequestTest {

  @Test
  void sendCarriesSessionIdAndSeq() {
    RtmptRequest request = new RtmptRequest(RtmptCommand.SEND, "abc", 0);

    assertThat(request.sessionId()).isEqualTo("abc");
    assertThat(request.seq()).isZero();
    assertThat(request.hasSeq()).isTrue();
  }

  @Test
  void closeWithoutSeqHasNoSeq() {
    RtmptRequest request = new RtmptRequest(RtmptCommand.CLOSE, "abc", RtmptRequest.NO_SEQ);

    assertThat(request.hasSeq()).isFalse();
    assertThat(RtmptRequest.NO_SEQ).isEqualTo(-1L);
  }

  @Test
  void identAndOpenHaveNeitherSessionIdNorSeq() {
    RtmptRequest ident = new RtmptRequest(RtmptCommand.IDENT, null, RtmptRequest.NO_SEQ);
    RtmptRequest open = new RtmptRequest(RtmptCommand.OPEN, null, RtmptRequest.NO_SEQ);

    assertThat(ident.sessionId()).isNull();
    assertThat(ident.hasSeq()).isFalse();
    assertThat(open.sessionId()).isNull();
    assertThat(open.hasSeq()).isFalse();
  }

  @Test
  void largestGrammarSeqIsAccepted() {
    assertThat(new RtmptRequest(RtmptCommand.IDLE, "a", 999_999_999_999_999_999L).seq())
        .isEqualTo(999_999_999_999_999_999L);
  }

  @Test
  void nullCommandIsRejected() {
    assertThatThrownBy(() -> new RtmptRequest(null, "abc", 1))
        .isInstanceOf(NullPointerException.class);
  }

  @Test
  void seqBelowMinusOneIsRejected() {
    assertThatThrownBy(() -> new RtmptRequest(RtmptCommand.SEND, "abc", -2))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new RtmptRequest(RtmptCommand.CLOSE, "abc", Long.MIN_VALUE))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void contradictoryPartsAreRejected() {
    assertThatThrownBy(() -> new RtmptRequest(RtmptCommand.OPEN, "abc", RtmptRequest.NO_SEQ))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new RtmptRequest(RtmptCommand.IDENT, null, 0))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new RtmptRequest(RtmptCommand.SEND, null, 0))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new RtmptRequest(RtmptCommand.CLOSE, null, RtmptRequest.NO_SEQ))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> new RtmptRequest(RtmptCommand.IDLE, "abc", RtmptRequest.NO_SEQ))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void equalRequestsAreEqualValues() {
    assertThat(new RtmptRequest(RtmptCommand.IDLE, "abc", 3))
        .isEqualTo(new RtmptRequest(RtmptCommand.IDLE, "abc", 3))
        .hasSameHashCodeAs(new RtmptRequest(RtmptCommand.IDLE, "abc", 3))
        .isNotEqualTo(new RtmptRequest(RtmptCommand.SEND, "abc", 3));
  }
}
