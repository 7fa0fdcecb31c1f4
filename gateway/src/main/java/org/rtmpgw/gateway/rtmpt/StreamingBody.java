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
 */
final class StreamingBody implements ReadListener {
  private static final Logger LOG = LoggerFactory.getLogger(StreamingBody.class);
  /** Bytes per upstream write. */
  private static final int SLICE_BYTES = 64 * 1024;

  private final ServletInputStream in;
  private final TunnelSession.StreamedSend send;
  private final byte[] slice;
  /** Declared bytes not read yet. */
  private long remaining;
  /** Set once, by whichever ends the body first: its end, a read error, or the container timeout. */
  private final AtomicBoolean finished = new AtomicBoolean();

  /**
   * @param contentLength the declared body length, already checked against the body limit; the
   *     container ends the body there, so no byte past the limit can arrive
   */
  StreamingBody(ServletInputStream in, TunnelSession.StreamedSend send, long contentLength) {
    this.in = in;
    this.send = send;
    this.slice = new byte[(int) Math.max(1, Math.min(SLICE_BYTES, contentLength))];
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
  private void pump() {
    try {
      while (!finished.get() && in.isReady()) {
        int n = fillSlice();
        if (n < 0) {
          return; // end of body: the container calls onAllDataRead
        }
        if (n > 0) {
          send.write(ByteBuffer.wrap(slice, 0, n), this::pump);
          return;
        }
      }
    } catch (IOException | RuntimeException e) {
      LOG.debug("reading a streamed send body failed", e);
      fail();
    }
  }

  /**
   * Reads while bytes are ready, until the slice is full or the declared body is complete (so the
   * end of the body is only ever read with no slice in flight); -1 at the end of the body.
   */
  private int fillSlice() throws IOException {
    int n = 0;
    do {
      int wanted = (int) Math.min(slice.length - n, remaining);
      if (wanted == 0) {
        break;
      }
      int read = in.read(slice, n, wanted);
      if (read < 0) {
        return n == 0 ? -1 : n;
      }
      n += read;
      remaining -= read;
    } while (n < slice.length && in.isReady());
    if (n == 0 && remaining == 0) {
      return in.read() < 0 ? -1 : 0; // the container still has to report the end
    }
    return n;
  }

  @Override
  public void onAllDataRead() {
    if (finished.compareAndSet(false, true)) {
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
    send.fail(CloseReason.BODY_READ_FAILED, status, why);
  }
}
