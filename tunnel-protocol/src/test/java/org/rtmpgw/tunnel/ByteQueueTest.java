package org.rtmpgw.tunnel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ByteQueueTest {

  private static byte[] range(int from, int to) {
    byte[] bytes = new byte[to - from];
    for (int i = 0; i < bytes.length; i++) {
      bytes[i] = (byte) (from + i);
    }
    return bytes;
  }

  @Test
  void newQueueIsEmpty() {
    ByteQueue queue = new ByteQueue(16);

    assertThat(queue.isEmpty()).isTrue();
    assertThat(queue.size()).isZero();
    assertThat(queue.capacity()).isEqualTo(16);
    assertThat(queue.remaining()).isEqualTo(16);
    assertThat(queue.drainTo(new byte[4], 0, 4)).isZero();
  }

  @Test
  void drainsAcrossChunkBoundariesInOrder() {
    ByteQueue queue = new ByteQueue(100);
    queue.append(range(0, 3), 0, 3);
    queue.append(range(3, 10), 0, 7);
    queue.append(range(10, 12), 0, 2);

    byte[] out = new byte[12];
    assertThat(queue.drainTo(out, 0, 2)).isEqualTo(2);
    assertThat(queue.drainTo(out, 2, 5)).isEqualTo(5);
    assertThat(queue.size()).isEqualTo(5);
    assertThat(queue.drainTo(out, 7, 100 - 95)).isEqualTo(5);

    assertThat(out).isEqualTo(range(0, 12));
    assertThat(queue.isEmpty()).isTrue();
  }

  @Test
  void appendCopiesTheSliceOnly() {
    ByteQueue queue = new ByteQueue(10);
    byte[] src = range(0, 8);

    queue.append(src, 2, 4);
    Arrays.fill(src, (byte) 99);

    byte[] out = new byte[4];
    queue.drainTo(out, 0, 4);
    assertThat(out).containsExactly(2, 3, 4, 5);
  }

  @Test
  void appendBeyondRemainingThrowsAndChangesNothing() {
    ByteQueue queue = new ByteQueue(8);
    queue.append(range(0, 6), 0, 6);

    assertThatThrownBy(() -> queue.append(range(0, 3), 0, 3))
        .isInstanceOf(IllegalStateException.class);
    assertThat(queue.size()).isEqualTo(6);

    queue.append(range(6, 8), 0, 2);
    assertThat(queue.remaining()).isZero();
    assertThatThrownBy(() -> queue.append(new byte[1], 0, 1))
        .isInstanceOf(IllegalStateException.class);
    queue.append(new byte[0], 0, 0);
    assertThat(queue.takeReply((byte) 1, 100).toArray()).containsExactly(1, 0, 1, 2, 3, 4, 5, 6, 7);
  }

  @Test
  void drainingMakesRoomAgain() {
    ByteQueue queue = new ByteQueue(4);
    queue.append(range(0, 4), 0, 4);

    queue.drainTo(new byte[3], 0, 3);
    assertThat(queue.remaining()).isEqualTo(3);
    queue.append(range(4, 7), 0, 3);

    assertThat(queue.takeReply((byte) 0, 4).toArray()).containsExactly(0, 3, 4, 5, 6);
  }

  @Test
  void appendByteBufferConsumesItsRemainingBytes() {
    ByteQueue queue = new ByteQueue(10);
    ByteBuffer src = ByteBuffer.wrap(range(0, 8));
    src.position(3);

    queue.append(src);

    assertThat(src.hasRemaining()).isFalse();
    assertThat(queue.takeReply((byte) 9, 10).toArray()).containsExactly(9, 3, 4, 5, 6, 7);
  }

  @Test
  void appendDirectByteBuffer() {
    ByteQueue queue = new ByteQueue(10);
    ByteBuffer src = ByteBuffer.allocateDirect(4).put(range(1, 5)).flip();

    queue.append(src);

    assertThat(queue.takeReply((byte) 0, 10).toArray()).containsExactly(0, 1, 2, 3, 4);
  }

  @Test
  void appendByteBufferBeyondRemainingConsumesNothing() {
    ByteQueue queue = new ByteQueue(4);
    ByteBuffer src = ByteBuffer.wrap(range(0, 5));

    assertThatThrownBy(() -> queue.append(src)).isInstanceOf(IllegalStateException.class);

    assertThat(src.remaining()).isEqualTo(5);
    assertThat(queue.isEmpty()).isTrue();
  }

  @Test
  void takeReplyHonoursCapAndOrder() {
    ByteQueue queue = new ByteQueue(100);
    queue.append(range(0, 5), 0, 5);
    queue.append(range(5, 9), 0, 4);

    assertThat(queue.takeReply((byte) 0x01, 3).toArray()).containsExactly(0x01, 0, 1, 2);
    assertThat(queue.takeReply((byte) 0x03, 4).toArray()).containsExactly(0x03, 3, 4, 5, 6);
    assertThat(queue.takeReply((byte) 0x05, 4).toArray()).containsExactly(0x05, 7, 8);
    assertThat(queue.takeReply((byte) 0x21, 4).toArray()).containsExactly(0x21);
    assertThat(queue.isEmpty()).isTrue();
  }

  @Test
  void takeReplyWithZeroCapIsJustTheDelayByte() {
    ByteQueue queue = new ByteQueue(4);
    queue.append(range(0, 2), 0, 2);

    assertThat(queue.takeReply((byte) 0x01, 0).toArray()).containsExactly(0x01);
    assertThat(queue.size()).isEqualTo(2);
    assertThatThrownBy(() -> queue.takeReply((byte) 0x01, -1))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void badArgumentsAreRejected() {
    assertThatThrownBy(() -> new ByteQueue(0)).isInstanceOf(IllegalArgumentException.class);
    ByteQueue queue = new ByteQueue(10);
    assertThatThrownBy(() -> queue.append(new byte[4], 2, 3))
        .isInstanceOf(IndexOutOfBoundsException.class);
    assertThatThrownBy(() -> queue.append(new byte[4], -1, 1))
        .isInstanceOf(IndexOutOfBoundsException.class);
    queue.append(new byte[4], 0, 4);
    assertThatThrownBy(() -> queue.drainTo(new byte[4], 2, 3))
        .isInstanceOf(IndexOutOfBoundsException.class);
    assertThat(queue.size()).isEqualTo(4);
  }

  @Test
  void randomAppendsAndDrainsMatchAReferenceFifo() {
    Random random = new Random(42);
    ByteQueue queue = new ByteQueue(1_000);
    ArrayDeque<Byte> reference = new ArrayDeque<>();
    int counter = 0;

    for (int step = 0; step < 20_000; step++) {
      if (random.nextBoolean()) {
        int len = random.nextInt(queue.remaining() + 1);
        byte[] src = new byte[len + 2];
        for (int i = 0; i < len; i++) {
          src[1 + i] = (byte) counter;
          reference.addLast((byte) counter++);
        }
        queue.append(src, 1, len);
      } else {
        int max = random.nextInt(300);
        byte[] out = queue.takeReply((byte) 0x7f, max).toArray();
        assertThat(out[0]).isEqualTo((byte) 0x7f);
        for (int i = 1; i < out.length; i++) {
          assertThat(out[i]).isEqualTo(reference.removeFirst());
        }
        assertThat(out.length - 1).isEqualTo(Math.min(max, out.length - 1 + reference.size()));
      }
      assertThat(queue.size()).isEqualTo(reference.size());
      assertThat(queue.remaining()).isEqualTo(1_000 - reference.size());
    }
  }

  /**
   * A reply larger than the copied head shares the queue's arrays for the rest (no copy), ends
   * mid-chunk when the cap says so, and leaves the rest of that chunk queued, in order.
   */
  @Test
  void largeReplyCopiesItsHeadAndSharesTheRestOfTheQueuedArrays() {
    int head = ByteQueue.REPLY_HEAD_BYTES;
    ByteQueue queue = new ByteQueue(1 << 20);
    byte[] all = new byte[3 * head];
    new Random(5).nextBytes(all);
    queue.append(ByteBuffer.wrap(all, 0, head + 10)); // chunk 1: head and 10 more
    queue.append(ByteBuffer.wrap(all, head + 10, all.length - head - 10)); // chunk 2

    ReplyBody reply = queue.takeReply((byte) 0x01, 2 * head);

    assertThat(reply.length()).isEqualTo(2 * head + 1);
    assertThat(reply.parts()).hasSize(3);
    assertThat(reply.parts().get(0).length()).as("delay byte and copied head").isEqualTo(head + 1);
    assertThat(reply.parts().get(1).length()).as("rest of chunk 1, shared").isEqualTo(10);
    assertThat(reply.parts().get(2).length()).as("start of chunk 2, shared").isEqualTo(head - 10);
    assertThat(reply.parts().get(1).bytes().array()).isNotSameAs(reply.parts().get(2).bytes().array());
    byte[] expected = new byte[2 * head + 1];
    expected[0] = 0x01;
    System.arraycopy(all, 0, expected, 1, 2 * head);
    assertThat(reply.toArray()).isEqualTo(expected);

    assertThat(queue.size()).isEqualTo(head);
    assertThat(queue.takeReply((byte) 0x01, head).toArray())
        .isEqualTo(prepend((byte) 0x01, Arrays.copyOfRange(all, 2 * head, 3 * head)));
    assertThat(queue.isEmpty()).isTrue();
    // the first reply's shared parts still hold their bytes after the queue moved on
    assertThat(reply.toArray()).isEqualTo(expected);
  }

  @Test
  void replyUpToTheCopiedHeadIsOnePart() {
    ByteQueue queue = new ByteQueue(1 << 20);
    queue.append(ByteBuffer.wrap(new byte[ByteQueue.REPLY_HEAD_BYTES]));
    queue.append(ByteBuffer.wrap(new byte[5]));
    assertThat(queue.takeReply((byte) 3, Integer.MAX_VALUE).parts()).hasSize(2);
    queue.append(ByteBuffer.wrap(new byte[ByteQueue.REPLY_HEAD_BYTES]));
    assertThat(queue.takeReply((byte) 3, Integer.MAX_VALUE).parts()).hasSize(1);
  }

  /** A mostly full pooled buffer is queued in place: the reply's bytes are the buffer's own. */
  @Test
  void mostlyFullSharedBufferIsKeptInPlaceAndHandedOutWithReferences() {
    int head = ByteQueue.REPLY_HEAD_BYTES;
    byte[] payload = new byte[head + 1000];
    new Random(9).nextBytes(payload);
    CountedBuffer pooled = new CountedBuffer(payload, payload.length + 10);
    ByteQueue queue = new ByteQueue(1 << 20);

    queue.append(pooled.bytes(), pooled);
    assertThat(pooled.bytes().hasRemaining()).as("consumed").isFalse();
    assertThat(pooled.refs()).as("the caller's and the queue's").isEqualTo(2);
    pooled.release(); // the upstream link lets go of its own reference
    assertThat(pooled.refs()).isEqualTo(1);

    ReplyBody first = queue.takeReply((byte) 1, head + 400);
    assertThat(first.parts()).hasSize(2);
    assertThat(first.parts().get(1).bytes().array())
        .as("not copied").isSameAs(pooled.bytes().array());
    assertThat(pooled.refs()).as("queue (600 bytes left) and first reply").isEqualTo(2);

    ReplyBody second = queue.takeReply((byte) 1, head);
    assertThat(queue.isEmpty()).isTrue();
    assertThat(pooled.refs())
        .as("the queue let go; the second reply copied its 600 bytes into its head")
        .isEqualTo(1);
    byte[] expected = prepend((byte) 1, Arrays.copyOfRange(payload, 0, head + 400));
    assertThat(first.toArray()).isEqualTo(expected);
    assertThat(second.toArray())
        .isEqualTo(prepend((byte) 1, Arrays.copyOfRange(payload, head + 400, payload.length)));

    second.release();
    assertThat(first.toArray()).isEqualTo(expected);
    first.release();
    assertThat(pooled.refs()).as("freed").isZero();
  }

  /** A buffer less than half full is copied, so a queue never pins much more than it holds. */
  @Test
  void sparselyFilledSharedBufferIsCopiedAndNotRetained() {
    CountedBuffer pooled = new CountedBuffer(new byte[] {1, 2, 3}, 64 * 1024);
    ByteQueue queue = new ByteQueue(1 << 20);

    queue.append(pooled.bytes(), pooled);

    assertThat(pooled.refs()).isEqualTo(1);
    pooled.release(); // freed and poisoned: the queue must not care
    byte[] out = new byte[3];
    assertThat(queue.drainTo(out, 0, 3)).isEqualTo(3);
    assertThat(out).containsExactly(1, 2, 3);
  }

  @Test
  void bytesWithoutAnOwnerAreCopied() {
    byte[] array = new byte[40_000];
    new Random(3).nextBytes(array);
    byte[] expected = array.clone();
    ByteQueue queue = new ByteQueue(1 << 20);

    queue.append(ByteBuffer.wrap(array), null);
    Arrays.fill(array, (byte) 0); // the queue must not see this

    byte[] out = new byte[array.length];
    assertThat(queue.drainTo(out, 0, out.length)).isEqualTo(array.length);
    assertThat(out).isEqualTo(expected);
  }

  @Test
  void discardGivesBackEveryQueuedBufferAndEmptiesTheQueue() {
    CountedBuffer a = new CountedBuffer(new byte[40_000], 40_000);
    CountedBuffer b = new CountedBuffer(new byte[40_000], 60_000);
    ByteQueue queue = new ByteQueue(1 << 20);
    queue.append(a.bytes(), a);
    queue.append(b.bytes(), b);
    a.release();
    b.release();
    ByteBuffer partOfB = ByteBuffer.wrap(new byte[10]);
    queue.append(partOfB);

    queue.discard();

    assertThat(a.refs()).isZero();
    assertThat(b.refs()).isZero();
    assertThat(queue.isEmpty()).isTrue();
    assertThat(queue.remaining()).isEqualTo(1 << 20);
  }

  @Test
  void sharedAppendBeyondTheRoomIsRefusedWithoutTakingAReference() {
    CountedBuffer pooled = new CountedBuffer(new byte[100], 100);
    ByteQueue queue = new ByteQueue(50);
    assertThatThrownBy(() -> queue.append(pooled.bytes(), pooled))
        .isInstanceOf(IllegalStateException.class);
    assertThat(pooled.refs()).isEqualTo(1);
    assertThat(pooled.bytes().remaining()).as("not consumed").isEqualTo(100);
    assertThat(queue.isEmpty()).isTrue();
  }

  private static byte[] prepend(byte first, byte[] rest) {
    byte[] out = new byte[rest.length + 1];
    out[0] = first;
    System.arraycopy(rest, 0, out, 1, rest.length);
    return out;
  }
}
