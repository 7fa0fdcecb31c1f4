package org.rtmpgw.tunnel;

import java.util.Objects;

/**
 * A well-formed RTMPT request path.
 *
 * <p>{@code sessionId} is {@code null} exactly for {@link RtmptCommand#IDENT} and {@link
 * RtmptCommand#OPEN}. {@code seq} is {@link #NO_SEQ} when the path carries none: always for IDENT
 * and OPEN ({@code /open/1} is not part of the count), and for a {@code /close/<id>} without seq.
 * SEND and IDLE always carry one.
 *
 * @param command the command, never {@code null}
 * @param sessionId the session id as sent (echoed verbatim, never decoded), or {@code null}
 * @param seq the sequence number, or {@link #NO_SEQ}
 */
public record RtmptRequest(RtmptCommand command, String sessionId, long seq) implements RtmptPath {

  /** The {@code seq} of a request whose path carries no sequence number. */
  public static final long NO_SEQ = -1L;

  /**
   * @throws NullPointerException if {@code command} is null
   * @throws IllegalArgumentException if {@code seq < -1}, or if the presence of {@code sessionId}
   *     or {@code seq} contradicts the command (see the class description)
   */
  public RtmptRequest {
    Objects.requireNonNull(command, "command");
    if (seq < NO_SEQ) {
      throw new IllegalArgumentException("seq must be >= -1: " + seq);
    }
    boolean sessionless = command == RtmptCommand.IDENT || command == RtmptCommand.OPEN;
    if (sessionless && (sessionId != null || seq != NO_SEQ)) {
      throw new IllegalArgumentException(command + " takes neither session id nor seq");
    }
    if (!sessionless && sessionId == null) {
      throw new IllegalArgumentException(command + " needs a session id");
    }
    if ((command == RtmptCommand.SEND || command == RtmptCommand.IDLE) && seq == NO_SEQ) {
      throw new IllegalArgumentException(command + " needs a seq");
    }
  }

  /** Returns whether the path carried a sequence number. */
  public boolean hasSeq() {
    return seq != NO_SEQ;
  }
}
