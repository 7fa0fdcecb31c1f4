package org.rtmpgw.tunnel;

import java.security.SecureRandom;
import java.util.Objects;

/**
 * Creates RTMPT session ids: an optional node prefix and {@code '-'}, then {@value #RANDOM_CHARS}
 * characters from {@code [A-Za-z0-9]}.
 *
 * <p>The id is the only credential of a session (whoever knows it can inject into the RTMP stream),
 * so the random part carries 22 × log2(62) ≈ 131 bits from a {@link SecureRandom}. The whole id
 * stays within {@value #MAX_ID_LENGTH} characters, node-rtsp-rtmp-server's stated limit and well
 * under FFmpeg's 64-byte open-reply buffer; it is URL-safe, so it is echoed verbatim in paths. The
 * node prefix lets a load balancer route a session's requests to the node that owns it.
 *
 * <p>Thread-safe: the only mutable state is the {@link SecureRandom}, which is itself thread-safe.
 */
public final class SessionIdGenerator {

  /** Characters of randomness per id; 22 symbols of a 62-symbol alphabet give ≥ 128 bits. */
  public static final int RANDOM_CHARS = 22;

  /** Longest node prefix, so that prefix + '-' + random part fits {@link #MAX_ID_LENGTH}. */
  public static final int MAX_PREFIX_LENGTH = 8;

  /** Longest id produced; node-rtsp-rtmp-server rejects ids over 31 characters. */
  public static final int MAX_ID_LENGTH = MAX_PREFIX_LENGTH + 1 + RANDOM_CHARS;

  private static final String ALPHABET =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

  private static final char SEPARATOR = '-';

  private final SecureRandom random;
  private final String idStart;

  /**
   * @param random source of the random part, never {@code null}
   * @param nodePrefix {@code null} or {@code ""} for no prefix, else 1 to {@value
   *     #MAX_PREFIX_LENGTH} characters of {@code [A-Za-z0-9]}
   * @throws IllegalArgumentException if {@code nodePrefix} is not acceptable
   */
  public SessionIdGenerator(SecureRandom random, String nodePrefix) {
    this.random = Objects.requireNonNull(random, "random");
    if (nodePrefix == null || nodePrefix.isEmpty()) {
      this.idStart = "";
    } else if (nodePrefix.length() <= MAX_PREFIX_LENGTH
        && isAlnum(nodePrefix, 0, nodePrefix.length())) {
      this.idStart = nodePrefix + SEPARATOR;
    } else {
      throw new IllegalArgumentException(
          "node prefix must be 1-" + MAX_PREFIX_LENGTH + " characters of [A-Za-z0-9]");
    }
  }

  /** Returns a fresh id; each random character is drawn with {@code random.nextInt(62)}. */
  public String next() {
    StringBuilder id = new StringBuilder(idStart.length() + RANDOM_CHARS).append(idStart);
    for (int i = 0; i < RANDOM_CHARS; i++) {
      id.append(ALPHABET.charAt(random.nextInt(ALPHABET.length())));
    }
    return id.toString();
  }

  /**
   * Returns whether {@code id} has the shape {@link #next()} produces for some prefix: optional
   * {@code [A-Za-z0-9]{1,8}-}, then exactly {@value #RANDOM_CHARS} characters of {@code
   * [A-Za-z0-9]}. A path id that fails this cannot belong to any node (e.g. Shumway's {@code 2}).
   */
  public static boolean isWellFormed(String id) {
    if (id == null) {
      return false;
    }
    int len = id.length();
    if (len == RANDOM_CHARS) {
      return isAlnum(id, 0, len);
    }
    int prefixLength = len - RANDOM_CHARS - 1;
    return prefixLength >= 1
        && prefixLength <= MAX_PREFIX_LENGTH
        && id.charAt(prefixLength) == SEPARATOR
        && isAlnum(id, 0, prefixLength)
        && isAlnum(id, prefixLength + 1, len);
  }

  /**
   * Returns the node prefix of {@code id}, or {@code ""} if it has none or is not {@linkplain
   * #isWellFormed well-formed} (so a foreign or forged id never names a node).
   */
  public static String nodePrefixOf(String id) {
    if (!isWellFormed(id) || id.length() == RANDOM_CHARS) {
      return "";
    }
    return id.substring(0, id.length() - RANDOM_CHARS - 1);
  }

  private static boolean isAlnum(String s, int start, int end) {
    for (int i = start; i < end; i++) {
      char c = s.charAt(i);
      if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) {
        return false;
      }
    }
    return true;
  }
}
