package org.rtmpgw.tunnel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReplyBodyTest {

  @Test
  void oneArrayIsOnePartAndIsNotCopied() {
    byte[] bytes = {1, 2, 3};
    ReplyBody body = ReplyBody.of(bytes);
    assertThat(body.length()).isEqualTo(3);
    assertThat(body.parts()).hasSize(1);
    assertThat(body.parts().get(0).bytes().array()).isSameAs(bytes);
    assertThat(body.toArray()).containsExactly(1, 2, 3);
  }

  @Test
  void partsAreJoinedInOrderAndEqualityIsByBytes() {
    byte[] a = {9, 1, 2, 3};
    byte[] b = {4, 5, 6, 7};
    ReplyBody split =
        ReplyBody.of(List.of(ReplyBody.Part.of(a, 1, 3), ReplyBody.Part.of(b, 0, 2)));
    assertThat(split.length()).isEqualTo(5);
    assertThat(split.toArray()).containsExactly(1, 2, 3, 4, 5);
    assertThat(split).isEqualTo(ReplyBody.of(new byte[] {1, 2, 3, 4, 5}));
    assertThat(split).hasSameHashCodeAs(ReplyBody.of(new byte[] {1, 2, 3, 4, 5}));
    assertThat(split).isNotEqualTo(ReplyBody.of(new byte[] {1, 2, 3, 4, 6}));
  }

  @Test
  void partOutsideItsArrayIsRefused() {
    assertThatThrownBy(() -> ReplyBody.Part.of(new byte[4], 3, 2))
        .isInstanceOf(IndexOutOfBoundsException.class);
    assertThatThrownBy(() -> ReplyBody.Part.of(new byte[4], -1, 1))
        .isInstanceOf(IndexOutOfBoundsException.class);
  }

  @Test
  void sharedPartsAreRetainedAndReleasedOncePerHolderAndArrayPartsIgnoreIt() {
    CountedBuffer pooled = new CountedBuffer(new byte[] {7, 8, 9}, 8);
    pooled.retain(); // the body's reference
    ReplyBody body =
        ReplyBody.of(
            List.of(ReplyBody.Part.of(new byte[] {1}, 0, 1),
                ReplyBody.Part.shared(pooled.bytes(), pooled)));
    assertThat(body.toArray()).containsExactly(1, 7, 8, 9);
    assertThat(pooled.refs()).isEqualTo(2);

    body.retain(); // a second holder, e.g. a replayed retry
    assertThat(pooled.refs()).isEqualTo(3);
    body.release();
    body.release();
    assertThat(pooled.refs()).as("only the caller's own reference is left").isEqualTo(1);
  }

  @Test
  void partViewsAreIndependentOfEachOtherAndOfWriters() {
    ReplyBody body = ReplyBody.of(new byte[] {1, 2, 3});
    ByteBuffer first = body.parts().get(0).bytes();
    first.get(new byte[3]); // a writer consumed its view
    assertThat(first.hasRemaining()).isFalse();
    assertThat(body.parts().get(0).bytes().remaining()).isEqualTo(3);
    assertThat(body.toArray()).containsExactly(1, 2, 3);
  }
}
