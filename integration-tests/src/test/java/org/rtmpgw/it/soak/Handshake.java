package org.rtmpgw.it.soak;

import java.util.Arrays;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The RTMP handshake as a client sends it, in the simple ("old") form nginx-rtmp accepts: C0 is
 * 0x03, C1 is time 0, four zero bytes (no version, so no digest) and 1528 random bytes. nginx-rtmp
 * answers S0 S1 S2 at once (3073 bytes) with S2 an echo of C1, then waits for C2, an echo of S1.
 */
final class Handshake {

  static final int C1_BYTES = 1536;

  /** C0 + C1. */
  static final int C0C1_BYTES = 1 + C1_BYTES;

  /** S0 + S1 + S2. */
  static final int S0S1S2_BYTES = 1 + 2 * C1_BYTES;

  private Handshake() {}

  /** A fresh C0 + C1 (random part from a fast non-secure generator: it is a test). */
  static byte[] c0c1() {
    byte[] bytes = new byte[C0C1_BYTES];
    ThreadLocalRandom.current().nextBytes(bytes);
    bytes[0] = 0x03;
    Arrays.fill(bytes, 1, 9, (byte) 0); // time 0, zero version: the simple handshake
    return bytes;
  }

  /**
   * Checks S0 S1 S2 against the C0 C1 sent; returns null if fine, else what is wrong. S2 must echo
   * C1 byte for byte: a tunnel that lost, reordered or duplicated a byte either way fails here.
   */
  static String check(byte[] c0c1, byte[] s0s1s2) {
    if (s0s1s2.length != S0S1S2_BYTES) {
      return "S0S1S2 has " + s0s1s2.length + " bytes, expected " + S0S1S2_BYTES;
    }
    if (s0s1s2[0] != 0x03) {
      return "S0 is " + (s0s1s2[0] & 0xFF) + ", expected 3";
    }
    if (!Arrays.equals(s0s1s2, 1 + C1_BYTES, S0S1S2_BYTES, c0c1, 1, C0C1_BYTES)) {
      return "S2 does not echo C1";
    }
    return null;
  }

  /** C2: the echo of S1. */
  static byte[] c2(byte[] s0s1s2) {
    return Arrays.copyOfRange(s0s1s2, 1, 1 + C1_BYTES);
  }
}
