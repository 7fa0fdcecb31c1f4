package org.rtmpgw.tunnel;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * The body of one RTMPT reply as parts to be written in order, so that a large reply reuses the
 * downstream queue's arrays instead of being copied into one new array (a 1 MiB pull reply cost
 * a 1 MiB allocation, its zeroing and a copy, all while the client waited for its first byte).
 *
 * <p>Immutable by contract: nobody writes to the parts' arrays once a body is built, so the same
 * body may be written again (a replayed retry) and shared with the queue it came from.
 */
public final class ReplyBody {

  /** {@code length} bytes of {@code array} from {@code offset}. */
  public record Part(byte[] array, int offset, int length) {
    public Part {
      Objects.checkFromIndexSize(offset, length, array.length);
    }
  }

  private final List<Part> parts;
  private final int length;

  private ReplyBody(List<Part> parts, int length) {
    this.parts = parts;
    this.length = length;
  }

  /** A body of exactly these bytes, in one part; the array is kept, not copied. */
  public static ReplyBody of(byte[] bytes) {
    return new ReplyBody(List.of(new Part(bytes, 0, bytes.length)), bytes.length);
  }

  /** A body of these parts in order. */
  public static ReplyBody of(List<Part> parts) {
    long length = 0;
    for (Part part : parts) {
      length += part.length();
    }
    if (length > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("reply of " + length + " bytes");
    }
    return new ReplyBody(List.copyOf(parts), (int) length);
  }

  /** Total bytes. */
  public int length() {
    return length;
  }

  /** The parts, in order; never empty for a non-empty body. */
  public List<Part> parts() {
    return parts;
  }

  /** All bytes in one new array. */
  public byte[] toArray() {
    byte[] all = new byte[length];
    int at = 0;
    for (Part part : parts) {
      System.arraycopy(part.array(), part.offset(), all, at, part.length());
      at += part.length();
    }
    return all;
  }

  /** Bodies are equal when their bytes are, however they are split into parts. */
  @Override
  public boolean equals(Object o) {
    return o instanceof ReplyBody other
        && other.length == length
        && Arrays.equals(other.toArray(), toArray());
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(toArray());
  }

  @Override
  public String toString() {
    return "ReplyBody{" + length + " bytes in " + parts.size() + " parts}";
  }

  /** Collects parts; for the queue that hands out its arrays. */
  static final class Builder {
    private final List<Part> parts = new ArrayList<>();

    Builder add(byte[] array, int offset, int length) {
      if (length > 0) {
        parts.add(new Part(array, offset, length));
      }
      return this;
    }

    ReplyBody build() {
      return of(parts);
    }
  }
}
