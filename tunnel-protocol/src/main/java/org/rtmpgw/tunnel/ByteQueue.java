package org.rtmpgw.tunnel;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.Objects;

/**
 * A bounded FIFO of bytes waiting to go downstream (upstream → client).
 *
 * <p>Bytes are stored as chunks, each read from its position on, so no large contiguous buffer is
 * ever allocated and an idle session's empty queue holds almost no memory. A chunk is either a
 * copy or, when a {@link SharedBuffer} is offered and mostly full, that buffer itself: the bytes
 * then reach the client without a copy. The bound is the back-pressure mechanism: the producer
 * reads from upstream at most {@link #remaining()} bytes and stops reading while the queue is
 * full; bytes are never dropped. Shared buffers are only kept when at least half full, so the
 * memory the queue pins stays within twice its capacity.
 *
 * <p>Not thread-safe: the caller holds the session's lock.
 */
public final class ByteQueue {

  /** Bytes of a reply copied together with its polling byte; the rest is shared, not copied. */
  public static final int REPLY_HEAD_BYTES = 16 * 1024;

  /** Queued bytes from {@code bytes}' position on; {@code owner} is null for a copy. */
  private record Chunk(ByteBuffer bytes, SharedBuffer owner) {}

  private final int capacity;
  private final ArrayDeque<Chunk> chunks = new ArrayDeque<>();

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
    append(ByteBuffer.wrap(src, off, len));
  }

  /**
   * Appends and consumes all of {@code src}'s remaining bytes, copied.
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
    chunks.addLast(new Chunk(ByteBuffer.wrap(chunk), null));
    size += len;
  }

  /**
   * Appends and consumes all of {@code src}'s remaining bytes, which lie in {@code owner}: kept in
   * place, with a reference of the queue's own, when they fill at least half of it; copied
   * otherwise, or when {@code owner} is null. The caller keeps its own reference either way.
   *
   * @throws IllegalStateException if {@code src.remaining() > remaining()}; nothing is consumed
   */
  public void append(ByteBuffer src, SharedBuffer owner) {
    int len = src.remaining();
    if (owner == null || (long) len * 2 < owner.capacity()) {
      append(src);
      return;
    }
    checkRoom(len);
    owner.retain();
    chunks.addLast(new Chunk(src.slice(), owner));
    src.position(src.limit());
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
      ByteBuffer head = chunks.peekFirst().bytes();
      int n = Math.min(max - copied, head.remaining());
      head.get(dst, off + copied, n);
      copied += n;
      size -= n;
      dropHeadIfEmpty();
    }
    return copied;
  }

  /**
   * Builds a send/idle reply: {@code delay}, then up to {@code cap} queued bytes, which leave the
   * queue. The cap keeps each reply inside what clients buffer comfortably.
   *
   * <p>The delay and the first {@link #REPLY_HEAD_BYTES} bytes are copied into one new array, so
   * a small reply is one part and a large one starts with a part the container can send together
   * with the headers; the rest of a large reply is handed out as the queue's own chunks, each
   * shared buffer with a reference that the returned body holds.
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
      Chunk chunk = chunks.peekFirst();
      ByteBuffer bytes = chunk.bytes();
      int take = Math.min(left, bytes.remaining());
      if (chunk.owner() != null) {
        chunk.owner().retain(); // the body's reference
      }
      // queued bytes are never written after they are appended: safe to share
      body.add(bytes.slice(bytes.position(), take), chunk.owner());
      bytes.position(bytes.position() + take);
      left -= take;
      size -= take;
      dropHeadIfEmpty();
    }
    return body.build();
  }

  /** Empties the queue, giving back every shared buffer; for a session that ends. */
  public void discard() {
    for (Chunk chunk : chunks) {
      if (chunk.owner() != null) {
        chunk.owner().release();
      }
    }
    chunks.clear();
    size = 0;
  }

  private void dropHeadIfEmpty() {
    Chunk head = chunks.peekFirst();
    if (!head.bytes().hasRemaining()) {
      chunks.removeFirst();
      if (head.owner() != null) {
        head.owner().release();
      }
    }
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
