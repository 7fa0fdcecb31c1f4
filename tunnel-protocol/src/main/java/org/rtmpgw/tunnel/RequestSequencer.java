package org.rtmpgw.tunnel;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Releases one RTMPT session's requests strictly in seq order, one at a time.
 *
 * <p>Why: Flash Player may send a session's requests in parallel over several connections, so they
 * can arrive out of order, and HaishinKit retries a failed request with the same path and body, so
 * a seq can arrive twice. A send's body must reach the upstream exactly once and in order, or the
 * RTMP stream is corrupt. So a request whose turn has not come is parked (within a bounded window),
 * a retry of the request in progress waits for its reply, a repeat of the last completed seq is
 * answered from the stored {@link #lastReply()}, and a missing seq that does not arrive within
 * {@code maxGapNanos} is reported by {@link #gapExpired(long)} so that the caller can end the
 * session rather than skip bytes.
 *
 * <p>The first seq ever admitted is the base: clients start at 0 (FFmpeg, librtmp, HaishinKit, …)
 * or 1 (Red5 client). Requests without a seq ({@code /close/<id>}) bypass the sequencer.
 *
 * <p>Not thread-safe: every method must be called with the owning session's lock held. No clock is
 * read; time is passed in as {@code nowNanos} (a {@link System#nanoTime()}-style value, compared
 * only by difference so wrap-around is harmless).
 *
 * @param <T> the caller's request handle (e.g. an async servlet context)
 */
public final class RequestSequencer<T> {

  /** Outcome of {@link #admit(long, Object, long)}. */
  public enum Admission {
    /** The seq's turn: it is now in progress; process it, then call {@code complete}. */
    START,
    /** Ahead of its turn, within the window; kept and later returned by {@code complete}. */
    PARKED,
    /** Repeat of the last completed seq: answer with {@code lastReply()}, do not forward. */
    REPLAY,
    /** Retry of the seq in progress: kept and returned as a replay waiter by {@code complete}. */
    JOINED_IN_PROGRESS,
    /** Older than the last completed seq (or than the base): not kept; reject. */
    STALE,
    /** Beyond the reorder window: not kept; reject. */
    TOO_FAR,
    /** This seq is already parked: the new request is not kept; reject it. */
    DUPLICATE_PARKED
  }

  /**
   * Result of {@link #complete(long, ReplyBody, long)}.
   *
   * @param replayWaiters requests that joined the completed seq; answer each with the same reply
   * @param next the request for seq + 1, now in progress, or {@code null} if it is not parked yet
   */
  public record Completion<T>(List<T> replayWaiters, T next) {
    public Completion {
      replayWaiters = List.copyOf(replayWaiters);
    }
  }

  private static final long NONE = -1L;

  private final int window;
  private final long maxGapNanos;

  /**
   * Parked requests by seq, never more than {@code window}. Keys parked once the base is fixed are
   * in (anchor, anchor + window]; keys parked while it was undecided may lie further ahead.
   */
  private final TreeMap<Long, T> parked = new TreeMap<>();

  /** Retries of {@link #inProgress}; emptied by {@code complete}. */
  private final List<T> replayWaiters = new ArrayList<>();

  private final long baseGraceNanos;
  private boolean started;
  /** When the first request arrived, while the base is still undecided. */
  private long firstArrivalNanos;
  private long inProgress = NONE;
  private long lastCompleted = NONE;
  private ReplyBody lastReply;

  /** Whether requests are parked while nothing is in progress, i.e. a seq is missing. */
  private boolean waiting;

  private long waitingSince;

  /**
   * @param window how many seqs from the next expected one on may be held (≥ 1); the next expected
   *     seq itself counts, so {@code window == 1} parks only the successor of the request in
   *     progress
   * @param maxGapNanos how long a missing seq may be waited for before {@link #gapExpired(long)}
   *     reports it (≥ 0)
   */
  public RequestSequencer(int window, long maxGapNanos) {
    this(window, maxGapNanos, 0);
  }

  /**
   * @param baseGraceNanos how long a first request numbered above 0 waits for lower numbers before
   *     it becomes the base (≥ 0; 0 = at once). Flash Player sends its first idle (0) and send (1)
   *     on parallel connections, so 1 can arrive first; the Red5 client really starts at 1 and
   *     then waits this long once. Lower numbers that arrive in time go first.
   */
  public RequestSequencer(int window, long maxGapNanos, long baseGraceNanos) {
    if (baseGraceNanos < 0) {
      throw new IllegalArgumentException("baseGraceNanos must be >= 0: " + baseGraceNanos);
    }
    this.baseGraceNanos = baseGraceNanos;
    if (window < 1) {
      throw new IllegalArgumentException("window must be >= 1: " + window);
    }
    if (maxGapNanos < 0) {
      throw new IllegalArgumentException("maxGapNanos must be >= 0: " + maxGapNanos);
    }
    this.window = window;
    this.maxGapNanos = maxGapNanos;
  }

  /**
   * Classifies a request by its seq and keeps it when its admission says so (PARKED,
   * JOINED_IN_PROGRESS); for START the caller owns the request and processes it now.
   *
   * <p>"Next expected" is the seq after the one in progress or, if none, after the last completed
   * one. A seq equal to the next expected one is parked while its predecessor is in progress.
   *
   * @param seq the request's seq, ≥ 0
   * @param request the caller's handle, never {@code null}
   * @param nowNanos current time, used to start the gap timer
   */
  /**
   * Whether {@link #admit} would answer {@link Admission#START} for {@code seq} now, without
   * changing anything: the first seq ever, or the next one while nothing is in progress. Lets the
   * caller decide to stream a send's body before it has been read.
   */
  public boolean wouldStart(long seq) {
    if (seq < 0) {
      return false;
    }
    if (!started) {
      return seq == 0 || baseGraceNanos == 0;
    }
    return inProgress == NONE && lastCompleted != NONE && seq - lastCompleted == 1;
  }

  public Admission admit(long seq, T request, long nowNanos) {
    if (seq < 0) {
      throw new IllegalArgumentException("seq must be >= 0: " + seq);
    }
    Objects.requireNonNull(request, "request");
    if (!started) {
      if (seq == 0 || baseGraceNanos == 0) {
        started = true; // requests parked meanwhile follow in order
        return start(seq);
      }
      if (parked.containsKey(seq)) {
        return Admission.DUPLICATE_PARKED;
      }
      if (parked.size() >= window) {
        return Admission.TOO_FAR;
      }
      if (parked.isEmpty()) {
        firstArrivalNanos = nowNanos;
      }
      parked.put(seq, request);
      return Admission.PARKED;
    }
    if (seq == inProgress) {
      replayWaiters.add(request);
      return Admission.JOINED_IN_PROGRESS;
    }
    if (seq == lastCompleted) {
      return Admission.REPLAY;
    }
    // The anchor is next expected - 1; both operands are >= 0, so the difference cannot overflow.
    long anchor = inProgress != NONE ? inProgress : lastCompleted;
    long ahead = seq - anchor;
    if (ahead <= 0) {
      return Admission.STALE;
    }
    if (ahead == 1 && inProgress == NONE) {
      return start(seq);
    }
    if (ahead > window) {
      return Admission.TOO_FAR;
    }
    if (parked.containsKey(seq)) {
      return Admission.DUPLICATE_PARKED;
    }
    if (parked.size() >= window) {
      // only possible while seqs parked before the base was fixed lie beyond the window
      return Admission.TOO_FAR;
    }
    parked.put(seq, request);
    if (inProgress == NONE && !waiting) {
      waiting = true;
      waitingSince = nowNanos;
    }
    return Admission.PARKED;
  }

  private Admission start(long seq) {
    inProgress = seq;
    waiting = false;
    return Admission.START;
  }

  /**
   * Marks the seq in progress completed and hands over what may proceed next.
   *
   * <p>The caller should loop over {@link Completion#next()} (process it, complete it, repeat)
   * rather than recurse.
   *
   * @param seq the seq in progress
   * @param reply the reply sent for it, kept for {@link Admission#REPLAY}; only the latest reply is
   *     kept, to bound memory. Not copied: the caller must not modify it afterwards
   * @param nowNanos current time, used to start the gap timer if seq + 1 is missing
   * @throws IllegalStateException if {@code seq} is not in progress
   */
  public Completion<T> complete(long seq, ReplyBody reply, long nowNanos) {
    Objects.requireNonNull(reply, "reply");
    if (inProgress == NONE || seq != inProgress) {
      throw new IllegalStateException("seq " + seq + " is not in progress (" + inProgress + ")");
    }
    lastCompleted = seq;
    lastReply = reply;
    inProgress = NONE;
    List<T> waiters = List.copyOf(replayWaiters);
    replayWaiters.clear();

    T next = seq == Long.MAX_VALUE ? null : parked.remove(seq + 1);
    if (next != null) {
      inProgress = seq + 1;
    } else if (!parked.isEmpty() && !waiting) {
      waiting = true;
      waitingSince = nowNanos;
    }
    return new Completion<>(waiters, next);
  }

  /**
   * Returns whether requests have been parked, with nothing in progress, for more than {@code
   * maxGapNanos}: the missing seq did not arrive, and the caller should end the session.
   */
  /** Whether the base is still undecided (no request started yet). */
  public boolean isStarted() {
    return started;
  }

  /**
   * Ends the wait for a lower first seq once the grace has passed: the lowest parked seq becomes
   * the base and is returned, now in progress. Null while the grace lasts, or when there is nothing
   * to start.
   */
  public T startAfterBaseGrace(long nowNanos) {
    if (started || parked.isEmpty() || nowNanos - firstArrivalNanos < baseGraceNanos) {
      return null;
    }
    started = true;
    Map.Entry<Long, T> first = parked.pollFirstEntry();
    start(first.getKey());
    return first.getValue();
  }

  public boolean gapExpired(long nowNanos) {
    return waiting
        && inProgress == NONE
        && !parked.isEmpty()
        && nowNanos - waitingSince > maxGapNanos;
  }

  /**
   * Removes and returns every waiting request, replay waiters first, then parked ones in seq order,
   * so that each can be answered when the session ends. The seq in progress and the last completed
   * seq are left as they are; the caller is not expected to admit anything afterwards.
   */
  public List<T> drainAll() {
    List<T> all = new ArrayList<>(replayWaiters.size() + parked.size());
    all.addAll(replayWaiters);
    all.addAll(parked.values());
    replayWaiters.clear();
    parked.clear();
    waiting = false;
    return all;
  }

  /** The reply stored by the latest {@code complete}, or {@code null}; shared, do not modify. */
  public ReplyBody lastReply() {
    return lastReply;
  }

  /** The last completed seq, or -1 if none. */
  public long lastCompletedSeq() {
    return lastCompleted;
  }

  /** The seq in progress, or -1 if none. */
  public long inProgressSeq() {
    return inProgress;
  }

  public boolean hasParked() {
    return !parked.isEmpty();
  }

  public int parkedCount() {
    return parked.size();
  }

  @Override
  public String toString() {
    Map.Entry<Long, T> first = parked.firstEntry();
    return "RequestSequencer{inProgress="
        + inProgress
        + " lastCompleted="
        + lastCompleted
        + " parked="
        + parked.size()
        + (first == null ? "" : " firstParked=" + first.getKey())
        + " waiters="
        + replayWaiters.size()
        + '}';
  }
}
