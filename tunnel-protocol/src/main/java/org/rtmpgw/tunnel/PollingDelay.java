package org.rtmpgw.tunnel;

/**
 * Chooses the polling-interval byte that starts every send/idle reply, following Red5's ladder.
 *
 * <p>Red5 sends delay + 1 where the delay stays 0 for the first replies without downstream data and
 * then doubles on each further empty reply up to 32, giving 01, 03, 05, 09, 11, 21 (hex), and drops
 * back to 01 as soon as data flows. Only Flash-Player-like clients (about 16 ms per unit) and
 * HaishinKit (100 ms per unit) honour the byte; FFmpeg and librtmp ignore it. The cap is {@link
 * #MAX}: nginx-rtmpt-proxy's 0x41 would make HaishinKit wait 6.5 s between polls.
 *
 * <p>Not thread-safe: one instance per session, used under the session's lock.
 */
public final class PollingDelay {

  /** Reply byte meaning "the session is closing": the close reply, or upstream gone (Red5). */
  public static final byte CLOSING = 0x00;

  /** Poll again at once: used while data flows and for the first empty replies. */
  public static final byte FAST = 0x01;

  /** Top of the ladder: ≈0.5 s for Flash-Player-like clients, 3.3 s for HaishinKit. */
  public static final byte MAX = 0x21;

  /**
   * Red5's back-off rungs, one per empty reply after the first {@code emptyRepliesBeforeBackoff}.
   */
  private static final byte[] LADDER = {0x03, 0x05, 0x09, 0x11, MAX};

  private final int emptyRepliesBeforeBackoff;
  private int consecutiveEmpty;

  /**
   * @param emptyRepliesBeforeBackoff how many consecutive empty replies still get {@link #FAST}
   *     (the gateway's default is 10, like Red5), ≥ 0
   */
  public PollingDelay(int emptyRepliesBeforeBackoff) {
    if (emptyRepliesBeforeBackoff < 0) {
      throw new IllegalArgumentException(
          "emptyRepliesBeforeBackoff must be >= 0: " + emptyRepliesBeforeBackoff);
    }
    this.emptyRepliesBeforeBackoff = emptyRepliesBeforeBackoff;
  }

  /**
   * Returns the byte for the next send/idle reply and advances the ladder.
   *
   * @param carriesData whether the reply carries downstream bytes; if so the ladder restarts
   */
  public byte next(boolean carriesData) {
    if (carriesData) {
      consecutiveEmpty = 0;
      return FAST;
    }
    if (consecutiveEmpty < Integer.MAX_VALUE) {
      consecutiveEmpty++;
    }
    int rung = consecutiveEmpty - emptyRepliesBeforeBackoff;
    if (rung <= 0) {
      return FAST;
    }
    return LADDER[Math.min(rung, LADDER.length) - 1];
  }

  /**
   * Empty replies since the last one that carried data (saturates at {@code Integer.MAX_VALUE}).
   */
  public int consecutiveEmpty() {
    return consecutiveEmpty;
  }
}
