package org.rtmpgw.tunnel;

/**
 * A buffer that several holders read at once and that goes back to its owner when the last one
 * lets go: a pooled network buffer that the downstream queue, a reply being written and the
 * reply kept for replays all point into, so upstream bytes reach the client without being copied.
 *
 * <p>Every holder took one reference ({@link #retain()}, or the one it was handed) and gives it
 * back with one {@link #release()}. Nobody writes to the bytes while the buffer is shared.
 */
public interface SharedBuffer {

  /** Bytes the buffer pins while held, however few of them carry data. */
  int capacity();

  /** Takes one more reference. */
  void retain();

  /** Gives one reference back; the last one frees the buffer. */
  void release();
}
