package org.rtmpgw.tunnel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.rtmpgw.tunnel.PropertyHarnessFuzzTest.forAll;
import static org.rtmpgw.tunnel.PropertyHarnessFuzzTest.shrinkBytes;
import static org.rtmpgw.tunnel.PropertyHarnessFuzzTest.weighted;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.rtmpgw.tunnel.FirstBytes.Kind;
import org.rtmpgw.tunnel.PropertyHarnessFuzzTest.Shrinker;

/**
 * Property-based fuzzing of {@link FirstBytes#classify}: any bytes, any length, any buffer
 * position never throw, never ask for more once {@link FirstBytes#MAX_BYTES_NEEDED} bytes are
 * there, never consume the buffer, agree with the protocol rules stated independently below, and
 * a verdict once reached never changes as more bytes arrive.
 */
class FirstBytesFuzzTest {

  private static final int TRIES = 2_000;

  private static final int[] INTERESTING = {
    0x03, 0x06, 0x08, 0x09, 0x0A, 0x15, 0x16, 0x00, 0x01, 0x02, 0x04, 0x05, 0x07, 0x0B, 0x14, 0x17,
    0x80, 0xFF, 'A', 'G', 'P', 'R', 'O', 'X', 'Y', 'Z', '@', '[', 'a', 'z', ' ', '\r', '\n', 0x0D,
    0x51, 0x55, 0x49, 0x54,
  };

  /** Bytes shaped like the start of a connection: a protocol's first bytes, or noise. */
  static byte[] firstBytes(SplittableRandom r) {
    int length =
        switch (weighted(r, 2, 6, 3, 1)) {
          case 0 -> 0;
          case 1 -> 1 + r.nextInt(4);
          case 2 -> r.nextInt(16);
          default -> r.nextInt(1_600); // up to a whole C0 + C1
        };
    byte[] bytes = new byte[length];
    for (int i = 0; i < length; i++) {
      bytes[i] =
          (byte)
              switch (weighted(r, 3, 3, 2)) {
                case 0 -> INTERESTING[r.nextInt(INTERESTING.length)];
                case 1 -> 'A' + r.nextInt(26);
                default -> r.nextInt(256);
              };
    }
    return bytes;
  }

  private static boolean upper(byte b) {
    return b >= 'A' && b <= 'Z';
  }

  /** The rules, stated one kind at a time (which must be mutually exclusive and complete). */
  static Kind reference(byte[] b, int n) {
    int b0 = n > 0 ? b[0] & 0xFF : -1;
    boolean tlsRecord = b0 == 0x16 || b0 == 0x15; // handshake, alert
    boolean rtmp = b0 == 0x03;
    boolean rtmpe = b0 == 0x06 || b0 == 0x08 || b0 == 0x09 || b0 == 0x0A;
    boolean tls = n >= 2 && tlsRecord && b[1] == 0x03;
    byte[] v1 = "PROXY ".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    byte[] v2 = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
    boolean v1Prefix = n > 0 && startsWith(b, n, v1);
    boolean v2Prefix = n > 0 && startsWith(b, n, v2);
    boolean proxy = (v1Prefix && n >= v1.length) || (v2Prefix && n >= v2.length);
    boolean proxyPartial = (v1Prefix && n < v1.length) || (v2Prefix && n < v2.length);
    boolean http = n >= 3 && upper(b[0]) && upper(b[1]) && upper(b[2]) && !v1Prefix;
    boolean allUpperSoFar = true;
    for (int i = 0; i < Math.min(n, 3); i++) {
      allUpperSoFar &= upper(b[i]);
    }
    boolean needMore =
        n == 0 || (n == 1 && tlsRecord) || (n < 3 && allUpperSoFar) || proxyPartial;
    boolean[] verdicts = {needMore, tls, rtmp, rtmpe, http, proxy};
    Kind[] kinds = {Kind.NEED_MORE, Kind.TLS, Kind.RTMP, Kind.RTMPE, Kind.HTTP, Kind.PROXY};
    Kind found = Kind.UNKNOWN;
    for (int i = 0; i < verdicts.length; i++) {
      if (verdicts[i]) {
        assertThat(found).as("rules overlap").isEqualTo(Kind.UNKNOWN);
        found = kinds[i];
      }
    }
    return found;
  }

  /** The first min(n, prefix length) bytes equal the prefix's. */
  private static boolean startsWith(byte[] b, int n, byte[] prefix) {
    for (int i = 0; i < Math.min(n, prefix.length); i++) {
      if (b[i] != prefix[i]) {
        return false;
      }
    }
    return true;
  }

  private static String show(byte[] bytes) {
    return HexFormat.of().formatHex(bytes, 0, Math.min(bytes.length, 32))
        + (bytes.length > 32 ? "... (" + bytes.length + " bytes)" : "");
  }

  @Test
  void everyPrefixOfAnyBytesIsClassifiedByTheRules() {
    forAll(
        "classify(bytes, n) never throws, agrees with the rules, and never needs more than MAX_BYTES_NEEDED",
        TRIES,
        FirstBytesFuzzTest::firstBytes,
        PropertyHarnessFuzzTest::shrinkBytes,
        FirstBytesFuzzTest::show,
        bytes -> {
          Kind full = FirstBytes.classify(bytes, bytes.length);
          for (int n = 0; n <= Math.min(bytes.length, 14); n++) {
            byte[] before = bytes.clone();
            Kind kind = FirstBytes.classify(bytes, n);
            assertThat(bytes).as("input left alone").isEqualTo(before);
            assertThat(kind).as("classify of the first %d bytes", n).isEqualTo(reference(bytes, n));
            if (n >= FirstBytes.MAX_BYTES_NEEDED) {
              assertThat(kind).isNotEqualTo(Kind.NEED_MORE);
            }
            // a verdict, once reached, is final: more bytes never change it
            if (kind != Kind.NEED_MORE) {
              assertThat(full).as("verdict with all %d bytes", bytes.length).isEqualTo(kind);
            }
          }
          assertThat(full).isEqualTo(reference(bytes, bytes.length));
          assertThat(full.isRawRtmp()).isEqualTo(full == Kind.RTMP || full == Kind.RTMPE);
        });
  }

  @Test
  void anyBufferWindowIsClassifiedWithoutBeingConsumed() {
    forAll(
        "classify(buffer) looks only between position and limit and consumes nothing",
        TRIES,
        r -> {
          byte[] bytes = firstBytes(r);
          byte[] junk = new byte[r.nextInt(6)];
          r.nextBytes(junk);
          // junk before the position and after the limit, which must not be looked at
          byte[] backing = new byte[junk.length + bytes.length + junk.length];
          System.arraycopy(junk, 0, backing, 0, junk.length);
          System.arraycopy(bytes, 0, backing, junk.length, bytes.length);
          System.arraycopy(junk, 0, backing, junk.length + bytes.length, junk.length);
          return new Object[] {backing, junk.length, bytes.length, r.nextInt(4)};
        },
        Shrinker.none(),
        v -> show((byte[]) v[0]) + " position " + v[1] + " length " + v[2] + " variant " + v[3],
        v -> {
          byte[] backing = (byte[]) v[0];
          int position = (int) v[1];
          int length = (int) v[2];
          ByteBuffer buffer =
              switch ((int) v[3]) {
                case 0 -> ByteBuffer.wrap(backing, position, length);
                case 1 -> ByteBuffer.wrap(backing, position, length).slice(); // arrayOffset
                case 2 -> ByteBuffer.wrap(backing, position, length).asReadOnlyBuffer();
                default -> {
                  ByteBuffer direct = ByteBuffer.allocateDirect(backing.length);
                  direct.put(backing).position(position).limit(position + length);
                  yield direct;
                }
              };
          int pos = buffer.position();
          int lim = buffer.limit();
          Kind kind = FirstBytes.classify(buffer);
          assertThat(buffer.position()).isEqualTo(pos);
          assertThat(buffer.limit()).isEqualTo(lim);
          byte[] window = Arrays.copyOfRange(backing, position, position + length);
          assertThat(kind).isEqualTo(reference(window, window.length));
        });
  }

  @Test
  void lengthsOutsideTheArrayAreRejectedAsIndexErrors() {
    // The only inputs that throw: a length the array does not have (a caller bug, not data).
    forAll(
        "classify(bytes, n) with n outside [0, bytes.length] throws IndexOutOfBoundsException",
        200,
        r -> new int[] {r.nextInt(8), r.nextBoolean() ? -1 - r.nextInt(5) : 9 + r.nextInt(5)},
        Shrinker.none(),
        Arrays::toString,
        v ->
            assertThatThrownBy(() -> FirstBytes.classify(new byte[v[0]], v[1]))
                .isInstanceOf(IndexOutOfBoundsException.class));
  }
}
