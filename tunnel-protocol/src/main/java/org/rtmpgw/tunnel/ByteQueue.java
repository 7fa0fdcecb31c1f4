package org.rtmpgw.tunnel;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Objects;

/**
 * A bounded FIFO of bytes waiting to go downstream (upstream → client).
 *
 * <p>Bytes are stored as copied chunks plus a read offset into the head chunk, so no large
 * contiguous buffer is ever allocated and an idle session's empty queue holds almost no memory. The
 * bound is the back-pressure mechanism: the producer reads from upstream at most {@link
 * #remaining()} bytes and stops reading while the queue is full; bytes are never dropped.
 *
 * <p>Not thread-safe: the caller holds the session's lock.
 */
public final class ByteQueue {

  /** Bytes of a reply copied together with its polling byte; the rest is shared, not copied. */
  public static final int REPLY_HEAD_BYTES = 16 * 1024;

  private final int capacity;
  private final ArrayDeque<byte[]> chunks = new ArrayDeque<>();

  /** Bytes of the head chunk already taken. */
  private int headOffset;

  private int size;

  /**
   * @param capacity most bytes held at once, ≥ 1
   */
  public ByteQueue(int capacity) {
    if (capacity < 1) {
      throw new IllegalArgumentException("capacity must be >= 1: " + capacity);
    }
    this.capacity = capacity;
  }

  public int size() {
    return size;
  }

  public int capacity() {
    return capacity;
  }

  /** Room left: {@code capacity() - size()}, never negative. */
  public int remaining() {
    return capacity - size;
  }

  public boolean isEmpty() {
    return size == 0;
  }

  /**
   * Appends a copy of {@code src[off, off + len)}.
   *
   * @throws IllegalStateException if {@code len > remaining()}; nothing is appended then
   */
  public void append(byte[] src, int off, int len) {
    Objects.checkFromIndexSize(off, len, src.length);
    checkRoom(len);
    if (len == 0) {
      return;
    }
    byte[] chunk = new byte[len];
    System.arraycopy(src, off, chunk, 0, len);
    chunks.addLast(chunk);
    size += len;
  }

  /**
   * Appends and consumes all of {@code src}'s remaining bytes.
   *
   * @throws IllegalStateException if {@code src.remaining() > remaining()}; nothing is consumed
   */
  public void append(ByteBuffer src) {
    int len = src.remaining();
    checkRoom(len);
    if (len == 0) {
      return;
    }
    byte[] chunk = new byte[len];
    src.get(chunk);
    chunks.addLast(chunk);
    size += len;
  }

  /**
   * Moves up to {@code max} bytes, oldest first, into {@code dst[off, ...)}.
   *
   * @return the number of bytes copied: {@code min(max, size())}
   */
  public int drainTo(byte[] dst, int off, int max) {
    Objects.checkFromIndexSize(off, max, dst.length);
    int copied = 0;
    while (copied < max && size > 0) {
      byte[] head = chunks.peekFirst();
      int n = Math.min(max - copied, head.length - headOffset);
      System.arraycopy(head, headOffset, dst, off + copied, n);
      copied += n;
      size -= n;
      headOffset += n;
      if (headOffset == head.length) {
        chunks.removeFirst();
        headOffset = 0;
      }
    }
    return copied;
  }

  /**
   * Builds a send/idle reply: {@code delay}, then up to {@code cap} queued bytes, which leave the
   * queue. The cap keeps each reply inside what clients buffer comfortably.
   *
   * <p>The delay and the first {@link #REPLY_HEAD_BYTES} bytes are copied into one new array, so
   * a small reply is one part and a large one starts with a part the container can send together
   * with the headers; the rest of a large reply is handed out as the queue's own arrays.
   *
   * @param cap most payload bytes, ≥ 0
   */
  public ReplyBody takeReply(byte delay, int cap) {
    if (cap < 0) {
      throw new IllegalArgumentException("cap must be >= 0: " + cap);
    }
    int n = Math.min(cap, size);
    int copied = Math.min(n, REPLY_HEAD_BYTES);
    byte[] head = new byte[copied + 1];
    head[0] = delay;
    drainTo(head, 1, copied);
    if (copied == n) {
      return ReplyBody.of(head);
    }
    ReplyBody.Builder body = new ReplyBody.Builder().add(head, 0, head.length);
    int left = n - copied;
    while (left > 0) {
      byte[] chunk = chunks.peekFirst();
      int take = Math.min(left, chunk.length - headOffset);
      body.add(chunk, headOffset, take); // chunks are never written after append: safe to share
      left -= take;
      size -= take;
      headOffset += take;
      if (headOffset == chunk.length) {
        chunks.removeFirst();
        headOffset = 0;
      }
    }
    return body.build();
  }

  private void checkRoom(int len) {
    if (len > remaining()) {
      throw new IllegalStateException(
          "append of " + len + " bytes exceeds remaining " + remaining() + " of " + capacity);
    }
  }

  @Override
  public String toString() {
    return "ByteQueue{" + size + "/" + capacity + " chunks=" + chunks.size() + '}';
  }
}
