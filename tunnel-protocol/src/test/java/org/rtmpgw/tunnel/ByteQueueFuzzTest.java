package org.rtmpgw.tunnel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.rtmpgw.tunnel.PropertyHarnessFuzzTest.forAll;
import static org.rtmpgw.tunnel.PropertyHarnessFuzzTest.shrinkList;
import static org.rtmpgw.tunnel.PropertyHarnessFuzzTest.weighted;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.rtmpgw.tunnel.PropertyHarnessFuzzTest.Shrinker;

/**
 * Property-based fuzzing of {@link ByteQueue} against a trivially correct FIFO (a {@link
 * ByteArrayOutputStream} and a read offset): arbitrary sequences of appends (arrays and heap,
 * direct, read-only and sliced buffers, over-long ones included), drains and replies give the same
 * bytes in the same order, the size never exceeds the capacity, a refused append changes nothing,
 * and every reply is the delay byte followed by at most {@code cap} queued bytes.
 */
class ByteQueueFuzzTest {

  private static final int TRIES = 1_000;

  enum Kind {
    APPEND_ARRAY,
    APPEND_BUFFER,
    DRAIN,
    APPEND_SHARED,
    TAKE_REPLY
  }

  /**
   * One step. For appends {@code a} is the length (possibly beyond the room), {@code b} the offset
   * in the source (possibly out of range), {@code c} the buffer variant; for a drain {@code a} is
   * the max and {@code b} the destination offset; for a reply {@code a} is the cap (possibly
   * negative) and {@code b} the delay byte.
   */
  record Op(Kind kind, int a, int b, int c, long seed) {
    @Override
    public String toString() {
      return switch (kind) {
        case APPEND_ARRAY -> "append(len " + a + ", off " + b + ")";
        case APPEND_BUFFER -> "appendBuffer(len " + a + ", variant " + c + ")";
        case DRAIN -> "drainTo(max " + a + ", off " + b + ")";
        case APPEND_SHARED -> "appendShared(len " + a + ", capacity +" + c * c * 1000 + ")";
        case TAKE_REPLY -> "takeReply(delay " + b + ", cap " + a + ")";
      };
    }
  }

  record Scenario(int capacity, List<Op> ops) {
    @Override
    public String toString() {
      return "capacity=" + capacity + " ops=" + ops;
    }
  }

  static Scenario scenario(SplittableRandom r) {
    int capacity =
        switch (weighted(r, 4, 8, 6, 1)) {
          case 0 -> 1;
          case 1 -> 1 + r.nextInt(16);
          case 2 -> 1 + r.nextInt(512);
          default -> 1 + r.nextInt(20_000);
        };
    int n = r.nextInt(120);
    List<Op> ops = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      Kind kind = Kind.values()[weighted(r, 4, 3, 2, 3, 3)];
      int a =
          switch (weighted(r, 3, 3, 1, 1, 1)) {
            case 0 -> r.nextInt(8);
            case 1 -> r.nextInt(capacity + 1);
            case 2 -> capacity;
            case 3 -> capacity + 1 + r.nextInt(10);
            default -> kind == Kind.APPEND_BUFFER || kind == Kind.APPEND_SHARED ? r.nextInt(2 * capacity + 2) : -1 - r.nextInt(3);
          };
      int b = r.nextInt(10) == 0 ? -1 - r.nextInt(3) : r.nextInt(8);
      ops.add(new Op(kind, a, kind == Kind.TAKE_REPLY ? r.nextInt(256) - 128 : b, r.nextInt(5),
          r.nextLong()));
    }
    return new Scenario(capacity, ops);
  }

  /** The reference: the bytes appended and not yet taken, oldest first. */
  static final class Fifo {
    final ByteArrayOutputStream appended = new ByteArrayOutputStream();

    int size() {
      return appended.size();
    }

    byte[] take(int n) {
      byte[] all = appended.toByteArray();
      appended.reset();
      appended.write(all, n, all.length - n);
      return Arrays.copyOf(all, n);
    }

    byte[] peekAll() {
      return appended.toByteArray();
    }
  }

  private static byte[] bytes(long seed, int n) {
    byte[] b = new byte[n];
    new SplittableRandom(seed).nextBytes(b);
    return b;
  }

  /**
   * The pooled buffers offered so far, and the latest reply, held the way the session keeps one
   * for replays: its bytes must stay right until it is released when the next reply comes.
   */
  static final class Holders {
    final List<CountedBuffer> buffers = new ArrayList<>();
    ReplyBody kept;
    byte[] keptBytes;

    void keep(ReplyBody reply, byte[] bytes) {
      releaseKept();
      kept = reply;
      keptBytes = bytes;
    }

    void releaseKept() {
      if (kept != null) {
        assertThat(kept.toArray()).as("a kept reply's bytes outlive later queue work").isEqualTo(keptBytes);
        kept.release();
        kept = null;
      }
    }
  }

  static void run(Scenario scenario) {
    int capacity = scenario.capacity();
    ByteQueue queue = new ByteQueue(capacity);
    Fifo fifo = new Fifo();
    Holders holders = new Holders();
    for (Op op : scenario.ops()) {
      step(queue, fifo, capacity, op, holders);
      int size = queue.size();
      if (size != fifo.size()
          || size < 0
          || size > capacity
          || queue.capacity() != capacity
          || queue.remaining() != capacity - size
          || queue.isEmpty() != (size == 0)) {
        throw new AssertionError(
            "after " + op + ": " + queue + " remaining " + queue.remaining() + ", fifo holds "
                + fifo.size());
      }
    }
    // whatever is left comes out in order too
    byte[] rest = new byte[queue.size()];
    assertThat(queue.drainTo(rest, 0, rest.length)).isEqualTo(rest.length);
    assertThat(rest).isEqualTo(fifo.peekAll());
    assertThat(queue.isEmpty()).isTrue();
    holders.releaseKept();
    queue.discard();
    for (CountedBuffer buffer : holders.buffers) {
      assertThat(buffer.refs()).as("every reference given back").isZero();
    }
  }

  private static void step(ByteQueue queue, Fifo fifo, int capacity, Op op, Holders holders) {
    int sizeBefore = queue.size();
    switch (op.kind()) {
      case APPEND_SHARED -> {
        int len = Math.max(0, op.a());
        byte[] payload = bytes(op.seed(), len);
        CountedBuffer pooled = new CountedBuffer(payload, len + op.c() * op.c() * 1000);
        holders.buffers.add(pooled);
        if (len > queue.remaining()) {
          assertThatThrownBy(() -> queue.append(pooled.bytes(), pooled))
              .isInstanceOf(IllegalStateException.class);
          assertThat(pooled.bytes().position()).as("a refused buffer is not consumed").isZero();
        } else {
          queue.append(pooled.bytes(), pooled);
          fifo.appended.writeBytes(payload);
          assertThat(pooled.bytes().hasRemaining()).as("consumed").isFalse();
        }
        pooled.release(); // the link's own reference: from here only the queue may hold it
      }
      case APPEND_ARRAY -> {
        int len = op.a();
        int off = op.b();
        byte[] src = bytes(op.seed(), Math.max(0, off) + Math.max(0, len) + op.c());
        byte[] copy = src.clone();
        if (off < 0 || len < 0 || off + len > src.length) {
          assertThatThrownBy(() -> queue.append(src, off, len))
              .isInstanceOf(IndexOutOfBoundsException.class);
          assertThat(queue.size()).as("a refused append changes nothing").isEqualTo(sizeBefore);
        } else if (len > queue.remaining()) {
          assertThatThrownBy(() -> queue.append(src, off, len))
              .isInstanceOf(IllegalStateException.class);
          assertThat(queue.size()).as("a refused append changes nothing").isEqualTo(sizeBefore);
        } else {
          queue.append(src, off, len);
          fifo.appended.write(copy, off, len);
          Arrays.fill(src, (byte) 0x5A); // the queue must have copied the slice
        }
      }
      case APPEND_BUFFER -> {
        int len = Math.max(0, op.a());
        byte[] payload = bytes(op.seed(), len);
        ByteBuffer src = buffer(payload, op.c());
        int position = src.position();
        int limit = src.limit();
        if (len > queue.remaining()) {
          assertThatThrownBy(() -> queue.append(src)).isInstanceOf(IllegalStateException.class);
          assertThat(src.position()).as("a refused buffer is not consumed").isEqualTo(position);
          assertThat(queue.size()).as("a refused append changes nothing").isEqualTo(sizeBefore);
        } else {
          queue.append(src);
          fifo.appended.writeBytes(payload);
          assertThat(src.position()).as("consumed").isEqualTo(limit);
          if (!src.isReadOnly() && src.hasArray()) {
            Arrays.fill(src.array(), (byte) 0x5A); // the queue must have copied the bytes
          }
        }
        assertThat(src.limit()).isEqualTo(limit);
      }
      case DRAIN -> {
        int max = op.a();
        int off = op.b();
        int dstLength = Math.max(0, off) + Math.max(0, max) + op.c();
        byte[] dst = new byte[dstLength];
        Arrays.fill(dst, (byte) 0x77);
        if (off < 0 || max < 0 || off + max > dstLength) {
          assertThatThrownBy(() -> queue.drainTo(dst, off, max))
              .isInstanceOf(IndexOutOfBoundsException.class);
          assertThat(queue.size()).isEqualTo(sizeBefore);
          return;
        }
        int n = queue.drainTo(dst, off, max);
        assertThat(n).as("drained").isEqualTo(Math.min(max, sizeBefore));
        assertThat(Arrays.copyOfRange(dst, off, off + n)).isEqualTo(fifo.take(n));
        for (int i = 0; i < dst.length; i++) {
          if ((i < off || i >= off + n) && dst[i] != 0x77) {
            throw new AssertionError("drainTo wrote byte " + i + " outside [off, off + n)");
          }
        }
      }
      case TAKE_REPLY -> {
        int cap = op.a();
        byte delay = (byte) op.b();
        if (cap < 0) {
          assertThatThrownBy(() -> queue.takeReply(delay, cap))
              .isInstanceOf(IllegalArgumentException.class);
          assertThat(queue.size()).isEqualTo(sizeBefore);
          return;
        }
        ReplyBody body = queue.takeReply(delay, cap);
        byte[] reply = body.toArray();
        holders.keep(body, reply);
        int n = Math.min(cap, sizeBefore);
        assertThat(reply.length).as("reply length").isEqualTo(n + 1).isLessThanOrEqualTo(cap + 1);
        assertThat(reply[0]).as("delay byte").isEqualTo(delay);
        assertThat(Arrays.copyOfRange(reply, 1, reply.length)).isEqualTo(fifo.take(n));
      }
    }
  }

  /** The payload in a heap, direct, read-only, offset-slice or mid-array buffer. */
  private static ByteBuffer buffer(byte[] payload, int variant) {
    switch (variant) {
      case 0:
        return ByteBuffer.wrap(payload);
      case 1:
        {
          ByteBuffer direct = ByteBuffer.allocateDirect(payload.length);
          direct.put(payload).flip();
          return direct;
        }
      case 2:
        return ByteBuffer.wrap(payload).asReadOnlyBuffer();
      case 3:
        {
          byte[] padded = new byte[payload.length + 7];
          System.arraycopy(payload, 0, padded, 3, payload.length);
          return ByteBuffer.wrap(padded, 3, payload.length).slice(); // arrayOffset 3
        }
      default:
        {
          byte[] padded = new byte[payload.length + 7];
          System.arraycopy(payload, 0, padded, 5, payload.length);
          return ByteBuffer.wrap(padded, 5, payload.length); // position 5, limit 5 + len
        }
    }
  }

  static Stream<Scenario> shrink(Scenario s) {
    return shrinkList(s.ops(), Shrinker.none()).map(ops -> new Scenario(s.capacity(), ops));
  }

  @Test
  void arbitraryAppendsDrainsAndRepliesMatchAFifo() {
    forAll(
        "ByteQueue behaves as a bounded FIFO",
        TRIES,
        ByteQueueFuzzTest::scenario,
        ByteQueueFuzzTest::shrink,
        Scenario::toString,
        ByteQueueFuzzTest::run);
  }

  @Test
  void producerRespectingRemainingNeverFailsAndNeverOverfills() {
    // The gateway's producer side: append at most remaining(), consumer takes capped replies.
    forAll(
        "a producer bounded by remaining() and a capped consumer move every byte once, in order",
        TRIES,
        r ->
            new long[] {
              1 + r.nextInt(2_000), 1 + r.nextInt(700), r.nextLong(), 1 + r.nextInt(200)
            },
        Shrinker.none(),
        Arrays::toString,
        v -> {
          int capacity = (int) v[0];
          int replyCap = (int) v[1];
          SplittableRandom r = new SplittableRandom(v[2]);
          int rounds = (int) v[3];
          ByteQueue queue = new ByteQueue(capacity);
          ByteArrayOutputStream produced = new ByteArrayOutputStream();
          ByteArrayOutputStream delivered = new ByteArrayOutputStream();
          for (int i = 0; i < rounds; i++) {
            if (r.nextBoolean()) {
              byte[] chunk = bytes(r.nextLong(), r.nextInt(1_500));
              int n = Math.min(chunk.length, queue.remaining());
              ByteBuffer data = ByteBuffer.wrap(chunk);
              data.limit(n);
              queue.append(data);
              produced.write(chunk, 0, n);
            } else {
              byte[] reply = queue.takeReply(PollingDelay.FAST, replyCap).toArray();
              assertThat(reply.length).isBetween(1, replyCap + 1);
              delivered.write(reply, 1, reply.length - 1);
            }
            assertThat(queue.size()).isBetween(0, capacity);
          }
          while (!queue.isEmpty()) {
            int before = queue.size();
            byte[] reply = queue.takeReply(PollingDelay.FAST, replyCap).toArray();
            delivered.write(reply, 1, reply.length - 1);
            assertThat(reply.length - 1)
                .as("a reply takes min(cap, size) bytes")
                .isEqualTo(Math.min(replyCap, before));
          }
          assertThat(delivered.toByteArray()).isEqualTo(produced.toByteArray());
        });
  }
}
