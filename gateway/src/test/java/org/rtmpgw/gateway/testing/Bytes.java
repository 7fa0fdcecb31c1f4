package org.rtmpgw.gateway.testing;

import java.util.Random;

/** Deterministic test payloads and readable byte-array comparison. */
public final class Bytes {
  private Bytes() {}

  /** {@code n} pseudo-random bytes from {@code seed}: no short period, so a lost or repeated
   * block shows up as a mismatch. */
  public static byte[] pattern(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  /** RTMP C0 (version 3) + C1 (1536 bytes: time, zero, random), as a real client starts. */
  public static byte[] c0c1() {
    byte[] b = pattern(1537, 0xC0C1);
    b[0] = 3;
    for (int i = 1; i < 9; i++) {
      b[i] = 0;
    }
    return b;
  }

  /** Index of the first differing byte, or -1 if equal (length difference counts). */
  public static int firstMismatch(byte[] a, byte[] b) {
    return java.util.Arrays.mismatch(a, b);
  }
}
