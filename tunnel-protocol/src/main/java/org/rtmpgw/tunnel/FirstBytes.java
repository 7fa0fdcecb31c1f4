package org.rtmpgw.tunnel;

import java.nio.ByteBuffer;

/**
 * Tells from the first bytes a client sends which protocol it speaks, so that one listener can
 * serve raw RTMP, RTMPE, RTMPT (HTTP) and TLS. Every protocol here is client-speaks-first.
 *
 * <p>Looks only at bytes already received and never at more than {@link #MAX_BYTES_NEEDED}: a
 * whole RTMP C1 is never required, and a verdict is reached as soon as the bytes allow it.
 */
public final class FirstBytes {
  /** The most bytes {@link #classify} ever needs before it answers something other than MORE. */
  public static final int MAX_BYTES_NEEDED = 12;

  /** Upper-case letters that make a request line: every HTTP method has at least three. */
  private static final int HTTP_METHOD_LETTERS = 3;

  private static final byte[] PROXY_V1 = {'P', 'R', 'O', 'X', 'Y', ' '};
  private static final byte[] PROXY_V2 = {
    0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A
  };

  private static final int TLS_HANDSHAKE = 0x16;
  private static final int TLS_ALERT = 0x15;
  private static final int TLS_MAJOR_VERSION = 0x03;
  private static final int RTMP_PLAIN = 0x03;

  /** What the first bytes of a connection say. */
  public enum Kind {
    /** Not enough bytes yet to decide. */
    NEED_MORE,
    /** A TLS record (handshake or alert): terminate TLS, then classify the decrypted bytes. */
    TLS,
    /** Plain RTMP: C0 is 0x03. */
    RTMP,
    /** Encrypted RTMP: C0 is 0x06 (DH + RC4), 0x08 (XTEA), 0x09 (Blowfish) or 0x0A (Red5). */
    RTMPE,
    /** An HTTP request line: an upper-case token, then a space (RTMPT, or ordinary web traffic). */
    HTTP,
    /**
     * A PROXY protocol header (v1 text or v2 binary). Only a trusted load balancer's is read (before
     * any sniffing); seen here, it came from someone else, or a balancer missing from the trust list.
     */
    PROXY,
    /** Anything else: the connection is closed. */
    UNKNOWN;

    /** True for the kinds that are forwarded to the upstream as raw bytes. */
    public boolean isRawRtmp() {
      return this == RTMP || this == RTMPE;
    }
  }

  private FirstBytes() {}

  /** Classifies the bytes between {@code buffer}'s position and limit without consuming them. */
  public static Kind classify(ByteBuffer buffer) {
    int start = buffer.position();
    int available = buffer.remaining();
    if (available == 0) {
      return Kind.NEED_MORE;
    }
    int first = buffer.get(start) & 0xFF;
    switch (first) {
      case RTMP_PLAIN:
        return Kind.RTMP;
      case 0x06:
      case 0x08:
      case 0x09:
      case 0x0A:
        return Kind.RTMPE;
      case 0x0D:
        return classifyPrefix(buffer, start, available, PROXY_V2, Kind.UNKNOWN);
      case 'P': {
        Kind proxy = classifyPrefix(buffer, start, available, PROXY_V1, null);
        return proxy != null ? proxy : classifyHttp(buffer, start, available);
      }
      case TLS_HANDSHAKE:
      case TLS_ALERT:
        if (available < 2) {
          return Kind.NEED_MORE;
        }
        return (buffer.get(start + 1) & 0xFF) == TLS_MAJOR_VERSION ? Kind.TLS : Kind.UNKNOWN;
      default:
        return classifyHttp(buffer, start, available);
    }
  }

  /** Classifies the first {@code length} bytes of {@code bytes}. */
  public static Kind classify(byte[] bytes, int length) {
    return classify(ByteBuffer.wrap(bytes, 0, length));
  }

  /**
   * PROXY when the bytes begin with {@code prefix}, NEED_MORE while what arrived is a proper
   * prefix of it, else {@code otherwise}.
   */
  private static Kind classifyPrefix(
      ByteBuffer buffer, int start, int available, byte[] prefix, Kind otherwise) {
    int n = Math.min(available, prefix.length);
    for (int i = 0; i < n; i++) {
      if (buffer.get(start + i) != prefix[i]) {
        return otherwise;
      }
    }
    return n == prefix.length ? Kind.PROXY : Kind.NEED_MORE;
  }

  /**
   * HTTP methods are upper-case tokens of at least three letters ("GET", "PUT", "POST",
   * "OPTIONS", "CONNECT"…), so three upper-case ASCII letters are enough to tell a request line
   * from binary bytes.
   */
  private static Kind classifyHttp(ByteBuffer buffer, int start, int available) {
    int needed = HTTP_METHOD_LETTERS;
    for (int i = 0; i < needed; i++) {
      if (i >= available) {
        return Kind.NEED_MORE;
      }
      int b = buffer.get(start + i) & 0xFF;
      if (b < 'A' || b > 'Z') {
        return Kind.UNKNOWN;
      }
    }
    return Kind.HTTP;
  }
}
