package org.rtmpgw.gateway.session;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.rtmpgw.gateway.upstream.UpstreamLink;
import org.rtmpgw.gateway.upstream.UpstreamListener;
import org.rtmpgw.tunnel.ByteQueue;
import org.rtmpgw.tunnel.FirstBytes;
import org.rtmpgw.tunnel.PollingDelay;
import org.rtmpgw.tunnel.RequestRateLimit;
import org.rtmpgw.tunnel.ReplyBody;
import org.rtmpgw.tunnel.RequestSequencer;
import org.rtmpgw.tunnel.RtmptCommand;
import org.rtmpgw.tunnel.RtmptReplies;
import org.rtmpgw.tunnel.SharedBuffer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One RTMPT session: the client's numbered requests on one side, one {@link UpstreamLink} on the
 * other.
 *
 * <p>Locking: every field below the constructor arguments is guarded by {@code this}. Work that
 * answers a client, writes upstream or closes the link is collected while holding the lock and run
 * after releasing it ({@code after} lists), so no I/O callback ever runs under the lock and the
 * lock is never held across a blocking call. Requests are processed strictly in seq order through
 * {@link RequestSequencer}: at most one request is in progress at a time, so at most one upstream
 * write is outstanding.
 */
public final class TunnelSession implements GatewaySession, UpstreamListener {
  private static final Logger LOG = LoggerFactory.getLogger(TunnelSession.class);

  private enum State {
    CONNECTING,
    OPEN,
    CLOSED
  }

  private final String id;
  private final Transport transport;
  private final String client;
  private final SessionSettings settings;
  private final ScheduledExecutorService timer;
  private final SessionEvents events;
  private final long openedNanos;

  private State state = State.CONNECTING;
  private UpstreamLink link;
  private String upstreamServer;
  private final RequestSequencer<PendingRequest> sequencer;
  private final PollingDelay pollingDelay;
  private final ByteQueue downstream;
  private final RequestRateLimit rate;
  private boolean bufferFullLogged;
  private PendingRequest heldIdle;
  private ScheduledFuture<?> holdTimer;
  private boolean upstreamEnded;
  private CloseReason upstreamFailure = CloseReason.UPSTREAM_EOF;
  private boolean upstreamPaused;
  private long lastRequestNanos;
  private long writeStartedNanos;
  private boolean writing;
  private boolean streaming;
  private long bytesUpstream;
  private long bytesDownstream;
  private long requests;
  private CloseReason closeReason;
  private long closedNanos;
  private int undeliveredAtClose;

  /** What the session reports to whoever owns it. */
  interface SessionEvents {
    void closed(TunnelSession session);

    void idleHeld();

    void limitHit(Limit limit);
  }

  TunnelSession(
      String id,
      Transport transport,
      String client,
      SessionSettings settings,
      ScheduledExecutorService timer,
      SessionEvents events) {
    this.id = id;
    this.transport = transport;
    this.client = client;
    this.settings = settings;
    this.timer = timer;
    this.events = events;
    this.openedNanos = System.nanoTime();
    this.lastRequestNanos = openedNanos;
    this.sequencer =
        new RequestSequencer<>(
            settings.reorderWindow(),
            settings.reorderTimeoutNanos(),
            settings.seqBaseGraceNanos());
    this.pollingDelay = new PollingDelay(settings.emptyRepliesBeforeBackoff());
    this.downstream = new ByteQueue(settings.downstreamBufferBytes());
    this.rate = new RequestRateLimit(settings.maxRequestsPerSecond());
  }

  @Override
  public String id() {
    return id;
  }

  @Override
  public Transport transport() {
    return transport;
  }

  public String client() {
    return client;
  }

  /** Called once the upstream connection is up; a session closed meanwhile closes the link. */
  void attach(UpstreamLink upstream, String server) {
    boolean closeNow;
    synchronized (this) {
      link = upstream;
      upstreamServer = server;
      closeNow = state == State.CLOSED;
      if (!closeNow) {
        state = State.OPEN;
      }
    }
    if (closeNow) {
      upstream.close();
    }
  }

  /** Entry point for a send, idle or close of this session, with its body fully read. */
  public void handle(PendingRequest request) {
    List<Runnable> after = new ArrayList<>();
    synchronized (this) {
      long now = System.nanoTime();
      lastRequestNanos = now;
      requests++;
      if (state == State.CLOSED) {
        answerClosed(request, after);
      } else if (!rate.tryAcquire(now)) {
        overRate(request.responder(), after);
      } else if (request.command() == RtmptCommand.CLOSE && request.seq() < 0) {
        after.add(() -> request.responder().reply(RtmptReplies.close()));
        closeLocked(CloseReason.CLIENT_CLOSE, after);
      } else {
        RequestSequencer.Admission admission = sequencer.admit(request.seq(), request, now);
        switch (admission) {
          case START -> after.add(() -> run(request));
          case PARKED -> {
            releaseHeldIdle(after); // a newer request releases a held idle at once
            if (!sequencer.isStarted() && sequencer.parkedCount() == 1) {
              timer.schedule(
                  this::baseGraceOver, settings.seqBaseGraceNanos(), TimeUnit.NANOSECONDS);
            }
          }
          case REPLAY -> {
            LOG.debug("{} replaying reply of seq {}", this, request.seq());
            answer(request, sequencer.lastReply(), after);
          }
          case JOINED_IN_PROGRESS -> LOG.debug("{} seq {} repeated while in progress", this, request.seq());
          case STALE, TOO_FAR, DUPLICATE_PARKED -> {
            if (request.command() == RtmptCommand.CLOSE) {
              // a close is honoured whatever its number: the client is leaving either way
              after.add(() -> request.responder().reply(RtmptReplies.close()));
              closeLocked(CloseReason.CLIENT_CLOSE, after);
              break;
            }
            if (admission == RequestSequencer.Admission.TOO_FAR) {
              after.add(() -> events.limitHit(Limit.REORDER_WINDOW));
            }
            LOG.info(
                "{} rejected seq {} ({}); expected around {}",
                this,
                request.seq(),
                admission,
                sequencer.lastCompletedSeq() + 1);
            after.add(
                () ->
                    request
                        .responder()
                        .error(400, "seq " + request.seq() + " rejected: " + admission));
          }
        }
      }
    }
    runAll(after);
  }

  /**
   * Starts a send whose body has not been read yet, if its turn has come: its body is then
   * forwarded slice by slice as it arrives instead of being collected first, so reading from the
   * client and writing upstream overlap (ffmpeg posts ~10 frames per send and waits for the
   * reply). Returns null when the send must wait its turn (or is a repeat, or the session is
   * closed): the caller then reads the whole body and calls {@link #handle}.
   */
  public StreamedSend tryStartStreamedSend(long seq, Responder responder) {
    List<Runnable> after = new ArrayList<>();
    StreamedSend send = null;
    synchronized (this) {
      if (state != State.OPEN || upstreamEnded || !sequencer.wouldStart(seq)) {
        return null;
      }
      long now = System.nanoTime();
      lastRequestNanos = now;
      requests++;
      if (!rate.tryAcquire(now)) {
        overRate(responder, after); // the caller then reads the body and finds the session closed
      } else {
        PendingRequest request =
            new PendingRequest(RtmptCommand.SEND, seq, new byte[0], responder);
        RequestSequencer.Admission admission = sequencer.admit(seq, request, now);
        if (admission != RequestSequencer.Admission.START) {
          throw new IllegalStateException("wouldStart and admit disagree: " + admission);
        }
        streaming = true;
        send = new StreamedSend(request);
      }
    }
    runAll(after);
    return send;
  }

  /**
   * The body of a send in progress, written upstream as it arrives. One slice is written at a
   * time: the reader asks for the next slice only after the previous one was written, which
   * back-pressures the client through TCP. The send is answered after the last slice was written
   * and the body ended, whichever comes last.
   */
  public final class StreamedSend {
    private final PendingRequest request;
    private boolean ended;

    private StreamedSend(PendingRequest request) {
      this.request = request;
    }

    /**
     * Writes one slice upstream; {@code next} runs once it was written (or dropped), after which
     * the slice is the caller's again.
     */
    public void write(ByteBuffer slice, Runnable next) {
      UpstreamLink upstream;
      List<Runnable> after = new ArrayList<>();
      synchronized (TunnelSession.this) {
        if (state == State.OPEN && bytesUpstream == 0 && refusesRtmpe(slice)) {
          LOG.warn(
              "{} refused: the client speaks RTMPTE (C0 0x{}) but the upstream is declared"
                  + " plain-only (upstream-accepts-rtmpe=false)",
              TunnelSession.this,
              Integer.toHexString(slice.get(slice.position()) & 0xFF));
          closeLocked(CloseReason.RTMPE_REFUSED, after);
        }
        if (state != State.OPEN || upstreamEnded) {
          upstream = null; // nowhere to go; the reply will still carry what the client is owed
        } else {
          upstream = link;
          writing = true; // only the send in progress writes, so this is its write
          writeStartedNanos = System.nanoTime();
          lastRequestNanos = writeStartedNanos; // the body is making progress
          bytesUpstream += slice.remaining();
        }
      }
      runAll(after);
      if (upstream == null) {
        next.run();
        return;
      }
      upstream.write(
          slice,
          new UpstreamLink.WriteCallback() {
            @Override
            public void written() {
              boolean ended = sliceDone();
              next.run(); // always: the reader gives its slice back from here
              if (ended) {
                finishStreamed(request);
              }
            }

            @Override
            public void failed(Throwable cause) {
              // the rest of the body has nowhere to go; what the client is owed is still
              // delivered, then 0x00
              LOG.info("{} upstream write failed: {}", TunnelSession.this, String.valueOf(cause));
              synchronized (TunnelSession.this) {
                upstreamEnded = true;
                upstreamFailure = CloseReason.UPSTREAM_WRITE_FAILED;
              }
              written();
            }
          });
    }

    /** True when the body had already ended, so the send is complete. */
    private boolean sliceDone() {
      synchronized (TunnelSession.this) {
        writing = false;
        return ended;
      }
    }

    /** The body ended; the reply goes out once the last slice has been written. */
    public void end() {
      synchronized (TunnelSession.this) {
        ended = true;
        if (writing) {
          return;
        }
      }
      finishStreamed(request);
    }

    /**
     * The body could not be read to its end: bytes of the stream are missing, so the session
     * ends, and the request is answered with {@code status} if its client is still there.
     */
    public void fail(CloseReason reason, int status, String why) {
      close(reason);
      request.responder().error(status, why);
    }
  }

  private void finishStreamed(PendingRequest request) {
    synchronized (this) {
      streaming = false;
    }
    finish(request);
  }

  /** No lower first seq came in time: the lowest one that did becomes the base and runs. */
  private void baseGraceOver() {
    PendingRequest first;
    synchronized (this) {
      first = state == State.OPEN ? sequencer.startAfterBaseGrace(System.nanoTime()) : null;
    }
    if (first != null) {
      run(first);
    }
  }

  private void answerClosed(PendingRequest request, List<Runnable> after) {
    if (request.command() == RtmptCommand.CLOSE) {
      after.add(() -> request.responder().reply(RtmptReplies.close()));
    } else {
      after.add(() -> request.responder().error(404, ""));
    }
  }

  /** Starts a request whose turn has come. Runs without the lock. */
  private void run(PendingRequest request) {
    switch (request.command()) {
      case SEND -> startSend(request);
      case IDLE -> startIdle(request);
      case CLOSE -> {
        finish(request);
        close(CloseReason.CLIENT_CLOSE);
      }
      default -> throw new IllegalStateException("not a session command: " + request.command());
    }
  }

  /** A send whose whole body is in memory: one slice, then the end. */
  private void startSend(PendingRequest request) {
    StreamedSend send = new StreamedSend(request);
    if (request.body().length > 0) {
      send.write(ByteBuffer.wrap(request.body()), () -> {});
    }
    send.end();
  }

  private void startIdle(PendingRequest request) {
    boolean held = false;
    synchronized (this) {
      if (state == State.OPEN
          && downstream.isEmpty()
          && !upstreamEnded
          && !sequencer.hasParked() // a newer request already waits: answer at once
          && settings.idleHoldNanos() > 0) {
        heldIdle = request;
        holdTimer =
            timer.schedule(
                () -> releaseHeldIdle(request), settings.idleHoldNanos(), TimeUnit.NANOSECONDS);
        held = true;
      }
    }
    if (held) {
      events.idleHeld();
      return;
    }
    finish(request);
  }

  /** The hold time of {@code request} ran out: answer it with whatever is there (usually none). */
  private void releaseHeldIdle(PendingRequest request) {
    boolean mine;
    synchronized (this) {
      mine = heldIdle == request;
      if (mine) {
        heldIdle = null;
        holdTimer = null;
      }
    }
    if (mine) {
      finish(request);
    }
  }

  private void releaseHeldIdle(List<Runnable> after) {
    if (heldIdle != null) {
      PendingRequest held = heldIdle;
      heldIdle = null;
      if (holdTimer != null) {
        holdTimer.cancel(false);
        holdTimer = null;
      }
      after.add(() -> finish(held));
    }
  }

  /**
   * Completes the in-progress request with a reply built now, answers any retries of it, and
   * starts the next parked request if its turn has come.
   */
  private void finish(PendingRequest request) {
    List<Runnable> after = new ArrayList<>();
    PendingRequest next = null;
    synchronized (this) {
      if (state == State.CLOSED) {
        after.add(() -> request.responder().reply(RtmptReplies.close()));
      } else {
        ReplyBody reply =
            request.command() == RtmptCommand.CLOSE
                ? ReplyBody.of(RtmptReplies.close())
                : buildReply(after);
        ReplyBody replaced = sequencer.lastReply();
        RequestSequencer.Completion<PendingRequest> done =
            sequencer.complete(request.seq(), reply, System.nanoTime()); // keeps our reference
        if (replaced != null) {
          replaced.release();
        }
        answer(request, reply, after);
        for (PendingRequest retry : done.replayWaiters()) {
          answer(retry, reply, after);
        }
        next = done.next();
      }
    }
    runAll(after);
    if (next != null) {
      run(next); // recursion depth is bounded by the reorder window
    }
  }

  /**
   * Answers with a reply that may share pooled buffers: the reference is taken under the lock, so
   * the buffers cannot be freed by a later reply replacing this one before the write is done.
   */
  private static void answer(PendingRequest request, ReplyBody reply, List<Runnable> after) {
    reply.retain(); // the responder's, given back once written
    after.add(() -> request.responder().reply(reply));
  }

  /** The polling byte and up to one reply's worth of downstream bytes. Caller holds the lock. */
  private ReplyBody buildReply(List<Runnable> after) {
    if (!downstream.isEmpty()) {
      ReplyBody reply = downstream.takeReply(pollingDelay.next(true), settings.replyMaxBytes());
      bytesDownstream += reply.length() - 1;
      if (upstreamPaused && downstream.remaining() > 0) {
        upstreamPaused = false;
        UpstreamLink upstream = link;
        after.add(upstream::resumeReading);
      }
      return reply;
    }
    if (upstreamEnded) {
      // every buffered byte has been delivered: tell the client, then end the session
      CloseReason reason = upstreamFailure;
      after.add(() -> close(reason));
      return ReplyBody.of(RtmptReplies.close());
    }
    return ReplyBody.of(new byte[] {pollingDelay.next(false)});
  }

  @Override
  public void onUpstreamBytes(ByteBuffer data, SharedBuffer owner) {
    List<Runnable> after = new ArrayList<>();
    synchronized (this) {
      if (state == State.CLOSED) {
        data.position(data.limit());
        return;
      }
      int room = downstream.remaining();
      if (room >= data.remaining()) {
        downstream.append(data, owner);
      } else {
        if (room > 0) {
          ByteBuffer part = data.slice();
          part.limit(room);
          downstream.append(part, owner);
          data.position(data.position() + room);
        }
        upstreamPaused = true; // the link keeps the rest and stops reading: TCP back-pressure
        after.add(() -> events.limitHit(Limit.DOWNSTREAM_BUFFER));
        if (!bufferFullLogged) {
          bufferFullLogged = true; // once per session: a slow player pauses the upstream often
          LOG.info(
              "{} downstream buffer full ({} bytes): upstream reading paused until the client"
                  + " polls",
              this,
              downstream.size());
        }
      }
      if (!downstream.isEmpty()) {
        releaseHeldIdle(after);
      }
    }
    runAll(after);
  }

  @Override
  public void onUpstreamClosed(Throwable cause) {
    List<Runnable> after = new ArrayList<>();
    synchronized (this) {
      if (state == State.CLOSED) {
        return;
      }
      // What was read before the end is still the client's: it drains on the next polls, then
      // the client gets 0x00 and the session ends with this reason.
      if (!upstreamEnded) {
        upstreamEnded = true;
        if (cause != null) {
          upstreamFailure = CloseReason.UPSTREAM_ERROR;
          LOG.info("{} upstream connection failed: {}", this, String.valueOf(cause));
        }
      }
      LOG.debug("{} upstream closed; {} bytes left to deliver", this, downstream.size());
      releaseHeldIdle(after);
    }
    runAll(after);
  }

  /** Called periodically by the registry: inactivity, sequence gaps and stalled writes. */
  @Override
  public void checkTimers(long now) {
    CloseReason reason = null;
    synchronized (this) {
      if (state != State.OPEN) {
        return;
      }
      // a streamed send counts as activity only while its body makes progress (lastRequestNanos
      // moves with each slice): a client that stalls mid-body ends like any silent client
      if (now - lastRequestNanos > settings.inactivityNanos() && heldIdle == null && !writing) {
        reason = CloseReason.IDLE_TIMEOUT;
      } else if (sequencer.gapExpired(now)) {
        reason = CloseReason.SEQ_GAP;
      } else if (writing && now - writeStartedNanos > settings.upstreamWriteTimeoutNanos()) {
        reason = CloseReason.UPSTREAM_WRITE_STALL;
      }
    }
    if (reason != null) {
      close(reason);
    }
  }

  /** A request over the per-second limit: the session ends (its stream could not go on intact). */
  private void overRate(Responder responder, List<Runnable> after) {
    LOG.warn(
        "{} exceeded {} requests/s (max-requests-per-second); closing it",
        this,
        rate.limit());
    after.add(() -> events.limitHit(Limit.REQUEST_RATE));
    after.add(() -> responder.error(429, "more than " + rate.limit() + " requests per second"));
    closeLocked(CloseReason.REQUEST_RATE, after);
  }

  private boolean refusesRtmpe(ByteBuffer firstSlice) {
    return !settings.upstreamAcceptsRtmpe()
        && FirstBytes.classify(firstSlice) == FirstBytes.Kind.RTMPE;
  }

  /** Ends the session once: answers every waiting request, closes the upstream, reports. */
  @Override
  public void close(CloseReason reason) {
    List<Runnable> after = new ArrayList<>();
    synchronized (this) {
      closeLocked(reason, after);
    }
    runAll(after);
  }

  private void closeLocked(CloseReason reason, List<Runnable> after) {
    if (state == State.CLOSED) {
      return;
    }
    state = State.CLOSED;
    closeReason = reason;
    closedNanos = System.nanoTime();
    undeliveredAtClose = downstream.size();
    downstream.discard(); // gives pooled buffers back
    ReplyBody kept = sequencer.lastReply();
    if (kept != null) {
      kept.release(); // nothing is replayed once closed
    }
    if (holdTimer != null) {
      holdTimer.cancel(false);
      holdTimer = null;
    }
    List<PendingRequest> waiting = new ArrayList<>(sequencer.drainAll());
    if (heldIdle != null) {
      waiting.add(heldIdle);
      heldIdle = null;
    }
    for (PendingRequest r : waiting) {
      after.add(() -> r.responder().reply(RtmptReplies.close()));
    }
    UpstreamLink upstream = link;
    if (upstream != null) {
      after.add(upstream::close);
    }
    after.add(() -> events.closed(this));
  }

  private static void runAll(List<Runnable> actions) {
    for (Runnable action : actions) {
      try {
        action.run();
      } catch (RuntimeException e) {
        LOG.warn("session action failed", e);
      }
    }
  }

  @Override
  public synchronized SessionStats stats() {
    long end = state == State.CLOSED ? closedNanos : System.nanoTime();
    return new SessionStats(
        id,
        transport,
        client,
        upstreamServer,
        (end - openedNanos) / 1_000_000,
        bytesUpstream,
        bytesDownstream,
        requests,
        state == State.CLOSED ? undeliveredAtClose : downstream.size(),
        closeReason);
  }

  public synchronized boolean isClosed() {
    return state == State.CLOSED;
  }

  @Override
  public String toString() {
    return transport + " session " + id + " (" + client + ")";
  }
}
