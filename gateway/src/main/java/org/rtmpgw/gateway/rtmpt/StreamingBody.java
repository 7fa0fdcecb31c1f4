package org.rtmpgw.gateway.rtmpt;

import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicBoolean;
import org.rtmpgw.gateway.session.CloseReason;
import org.rtmpgw.gateway.session.TunnelSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Feeds a send's body to the upstream slice by slice as it arrives. Reading pauses while a slice
 * is being written (one slice buffer per request, reused), and resumes from the write's
 * completion; the container calls {@link #onDataAvailable} again only after {@code isReady()}
 * said no, so the read loop never runs twice at once.
 *
 * <p>The slice may be a pooled buffer: it is taken at the first read and given back once the body
 * is finished and no write holds it. The read loop and that check hold this object's lock, so a
 * timeout failing the body from another thread cannot free the slice under a running read.
 */
final class StreamingBody implements ReadListener {
  private static final Logger LOG = LoggerFactory.getLogger(StreamingBody.class);
  /** Bytes per upstream write. */
  private static final int SLICE_BYTES = 64 * 1024;

  private final ServletInputStream in;
  private final ServletIo io;
  private final TunnelSession.StreamedSend send;
  private final int sliceBytes;
  /** Declared bytes not read yet. */
  private long remaining;
  /** Set once, by whichever ends the body first: its end, a read error, or the container timeout. */
  private final AtomicBoolean finished = new AtomicBoolean();

  private ServletIo.Slice slice; // guarded by this
  private boolean writing; // guarded by this
  private boolean sliceReleased; // guarded by this

  /**
   * @param contentLength the declared body length, already checked against the body limit; the
   *     container ends the body there, so no byte past the limit can arrive
   */
  StreamingBody(
      ServletInputStream in, ServletIo io, TunnelSession.StreamedSend send, long contentLength) {
    this.in = in;
    this.io = io;
    this.send = send;
    this.sliceBytes = (int) Math.max(1, Math.min(SLICE_BYTES, contentLength));
    this.remaining = contentLength;
  }

  @Override
  public void onDataAvailable() {
    pump();
  }

  /**
   * Reads what is ready, up to a full slice, and hands it upstream; resumes when it is written.
   * One write per slice rather than per container read: each upstream write wakes the upstream
   * server, and the container reads at most its input buffer (8 KiB) at a time.
   */
  private synchronized void pump() {
    try {
      while (!finished.get() && in.isReady()) {
        ByteBuffer buffer = buffer();
        int n = fillSlice(buffer);
        if (n < 0) {
          return; // end of body: the container calls onAllDataRead
        }
        if (n > 0) {
          buffer.flip();
          writing = true;
          send.write(buffer, this::written);
          return;
        }
      }
    } catch (IOException | RuntimeException e) {
      LOG.debug("reading a streamed send body failed", e);
      fail();
    } finally {
      releaseIfDone();
    }
  }

  private ByteBuffer buffer() {
    if (slice == null) {
      slice = io.slice(sliceBytes);
    }
    ByteBuffer buffer = slice.buffer();
    buffer.clear().limit(sliceBytes);
    return buffer;
  }

  /** The slice went upstream (or nowhere): read on, or give the slice back if the body is over. */
  private synchronized void written() {
    writing = false;
    pump();
  }

  /**
   * Reads while bytes are ready, until the slice is full or the declared body is complete (so the
   * end of the body is only ever read with no slice in flight); -1 at the end of the body.
   */
  private int fillSlice(ByteBuffer buffer) throws IOException {
    int n = 0;
    do {
      int wanted = (int) Math.min(buffer.remaining(), remaining);
      if (wanted == 0) {
        break;
      }
      int limit = buffer.limit();
      buffer.limit(buffer.position() + wanted);
      int read = io.read(in, buffer);
      buffer.limit(limit);
      if (read < 0) {
        return n == 0 ? -1 : n;
      }
      n += read;
      remaining -= read;
    } while (buffer.hasRemaining() && in.isReady());
    if (n == 0 && remaining == 0) {
      return in.read() < 0 ? -1 : 0; // the container still has to report the end
    }
    return n;
  }

  @Override
  public void onAllDataRead() {
    if (finished.compareAndSet(false, true)) {
      releaseIfDone();
      send.end();
    }
  }

  @Override
  public void onError(Throwable t) {
    LOG.debug("streamed send body failed", t);
    fail();
  }

  private void fail() {
    fail(400, "request body could not be read");
  }

  /**
   * The body will never end (the container timed the request out, or the client went away): the
   * session cannot go on without the missing bytes, so it ends, freeing its upstream and slot.
   */
  void fail(int status, String why) {
    if (!finished.compareAndSet(false, true)) {
      return;
    }
    releaseIfDone();
    send.fail(CloseReason.BODY_READ_FAILED, status, why);
  }

  /** Gives the slice back once the body is over and no write holds it; at most once. */
  private synchronized void releaseIfDone() {
    if (finished.get() && !writing && slice != null && !sliceReleased) {
      sliceReleased = true;
      slice.release();
    }
  }
}
