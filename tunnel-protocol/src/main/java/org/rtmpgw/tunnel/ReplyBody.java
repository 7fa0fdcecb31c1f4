package org.rtmpgw.tunnel;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * The body of one RTMPT reply as parts to be written in order, so that a large reply reuses the
 * downstream queue's buffers instead of being copied into one new array (a 1 MiB pull reply cost
 * a 1 MiB allocation, its zeroing and a copy, all while the client waited for its first byte).
 *
 * <p>Immutable by contract: nobody writes to the parts' bytes once a body is built, so the same
 * body may be written again (a replayed retry) and shared with the queue it came from.
 *
 * <p>Parts may point into {@link SharedBuffer}s. A body holds one reference to each part's buffer:
 * whoever is handed a body owns that reference and gives it back with {@link #release()}; whoever
 * passes the same body on to a second holder first calls {@link #retain()}. Bodies of plain arrays
 * ignore both.
 */
public final class ReplyBody {

  /** Bytes of a reply, in an array or in a shared buffer. */
  public static final class Part {
    private final ByteBuffer bytes;
    private final SharedBuffer owner;

    private Part(ByteBuffer bytes, SharedBuffer owner) {
      this.bytes = bytes;
      this.owner = owner;
    }

    /** {@code length} bytes of {@code array} from {@code offset}; the array is kept, not copied. */
    public static Part of(byte[] array, int offset, int length) {
      Objects.checkFromIndexSize(offset, length, array.length);
      return new Part(ByteBuffer.wrap(array, offset, length).slice(), null);
    }

    /** The remaining bytes of {@code bytes}, which lie in {@code owner}; not copied. */
    public static Part shared(ByteBuffer bytes, SharedBuffer owner) {
      return new Part(bytes.slice(), Objects.requireNonNull(owner, "owner"));
    }

    public int length() {
      return bytes.remaining();
    }

    /**
     * The bytes, as a new view each call, so a writer may consume it; backed by an accessible
     * array ({@link ByteBuffer#hasArray()}) unless the part is in a direct buffer.
     */
    public ByteBuffer bytes() {
      return bytes.duplicate();
    }

    SharedBuffer owner() {
      return owner;
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
    return new ReplyBody(List.of(Part.of(bytes, 0, bytes.length)), bytes.length);
  }

  /** A body of these parts in order; it takes over one reference to each shared part's buffer. */
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

  /** Takes one more reference for a second holder of this body. */
  public void retain() {
    for (Part part : parts) {
      if (part.owner != null) {
        part.owner.retain();
      }
    }
  }

  /** Gives back the holder's reference; its bytes must not be read after. */
  public void release() {
    for (Part part : parts) {
      if (part.owner != null) {
        part.owner.release();
      }
    }
  }

  /** All bytes in one new array. */
  public byte[] toArray() {
    byte[] all = new byte[length];
    int at = 0;
    for (Part part : parts) {
      int n = part.length();
      part.bytes().get(all, at, n);
      at += n;
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

  /** Collects parts; for the queue that hands out its buffers. */
  static final class Builder {
    private final List<Part> parts = new ArrayList<>();

    Builder add(byte[] array, int offset, int length) {
      if (length > 0) {
        parts.add(Part.of(array, offset, length));
      }
      return this;
    }

    /** Adds {@code bytes} as they are; a shared buffer's reference must already be taken. */
    Builder add(ByteBuffer bytes, SharedBuffer owner) {
      if (bytes.hasRemaining()) {
        parts.add(owner == null ? new Part(bytes.slice(), null) : Part.shared(bytes, owner));
      }
      return this;
    }

    ReplyBody build() {
      return of(parts);
    }
  }
}
