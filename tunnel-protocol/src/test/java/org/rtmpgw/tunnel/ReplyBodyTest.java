package org.rtmpgw.tunnel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class ReplyBodyTest {

  @Test
  void oneArrayIsOnePartAndIsNotCopied() {
    byte[] bytes = {1, 2, 3};
    ReplyBody body = ReplyBody.of(bytes);
    assertThat(body.length()).isEqualTo(3);
    assertThat(body.parts()).hasSize(1);
    assertThat(body.parts().get(0).array()).isSameAs(bytes);
    assertThat(body.toArray()).containsExactly(1, 2, 3);
  }

  @Test
  void partsAreJoinedInOrderAndEqualityIsByBytes() {
    byte[] a = {9, 1, 2, 3};
    byte[] b = {4, 5, 6, 7};
    ReplyBody split =
        ReplyBody.of(List.of(new ReplyBody.Part(a, 1, 3), new ReplyBody.Part(b, 0, 2)));
    assertThat(split.length()).isEqualTo(5);
    assertThat(split.toArray()).containsExactly(1, 2, 3, 4, 5);
    assertThat(split).isEqualTo(ReplyBody.of(new byte[] {1, 2, 3, 4, 5}));
    assertThat(split).hasSameHashCodeAs(ReplyBody.of(new byte[] {1, 2, 3, 4, 5}));
    assertThat(split).isNotEqualTo(ReplyBody.of(new byte[] {1, 2, 3, 4, 6}));
  }

  @Test
  void partOutsideItsArrayIsRefused() {
    assertThatThrownBy(() -> new ReplyBody.Part(new byte[4], 3, 2))
        .isInstanceOf(IndexOutOfBoundsException.class);
    assertThatThrownBy(() -> new ReplyBody.Part(new byte[4], -1, 1))
        .isInstanceOf(IndexOutOfBoundsException.class);
  }
}
