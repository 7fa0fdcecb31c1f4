package org.rtmpgw.tunnel;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * A {@link SharedBuffer} for tests: counts references, fails on a retain or release after the
 * last release, and overwrites its bytes when freed, so a reader that kept reading after giving
 * its reference back sees garbage instead of the right bytes.
 */
final class CountedBuffer implements SharedBuffer {
  static final byte POISON = 0x5A;

  private final byte[] array;
  private final ByteBuffer bytes;
  private int refs = 1;

  /** {@code payload} at the start of a buffer of {@code capacity} bytes; the caller holds one reference. */
  CountedBuffer(byte[] payload, int capacity) {
    array = Arrays.copyOf(payload, capacity);
    bytes = ByteBuffer.wrap(array, 0, payload.length);
  }

  /** The filled bytes, as the upstream link offers them. */
  ByteBuffer bytes() {
    return bytes;
  }

  int refs() {
    return refs;
  }

  @Override
  public int capacity() {
    return array.length;
  }

  @Override
  public void retain() {
    if (refs <= 0) {
      throw new AssertionError("retain after free");
    }
    refs++;
  }

  @Override
  public void release() {
    if (refs <= 0) {
      throw new AssertionError("release after free");
    }
    if (--refs == 0) {
      Arrays.fill(array, POISON);
    }
  }
}
