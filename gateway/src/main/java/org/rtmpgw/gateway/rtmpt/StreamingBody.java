package org.rtmpgw.gateway.rtmpt;

import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
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
  /** Matches the HTTP input buffer: one container read fills one slice. */
  private static final int SLICE_BYTES = 64 * 1024;

  private final ServletInputStream in;
  private final TunnelSession.StreamedSend send;
  private final long limit;
  private final byte[] slice;
  private long total;
  private boolean finished;

  StreamingBody(ServletInputStream in, TunnelSession.StreamedSend send, long contentLength, long limit) {
    this.in = in;
    this.send = send;
    this.limit = limit;
    this.slice = new byte[(int) Math.max(1, Math.min(SLICE_BYTES, contentLength < 0 ? SLICE_BYTES : contentLength))];
  }

  @Override
  public void onDataAvailable() {
    pump();
  }

  /** Reads what is ready; stops after handing one slice upstream, and resumes when it is written. */
  private void pump() {
    try {
      while (!finished && in.isReady()) {
        int n = in.read(slice);
        if (n < 0) {
          return; // end of body: the container calls onAllDataRead
        }
        if (n == 0) {
          continue;
        }
        total += n;
        if (total > limit) {
          LOG.info("streamed send body exceeds {} bytes; ending its session", limit);
          fail(CloseReason.BODY_TOO_LARGE, 413, "request body larger than " + limit + " bytes");
          return;
        }
        send.write(ByteBuffer.wrap(slice, 0, n), this::pump);
        return;
      }
    } catch (IOException | RuntimeException e) {
      LOG.debug("reading a streamed send body failed", e);
      fail(CloseReason.BODY_READ_FAILED, 400, "request body could not be read");
    }
  }

  @Override
  public void onAllDataRead() {
    if (!finished) {
      finished = true;
      send.end();
    }
  }

  @Override
  public void onError(Throwable t) {
    LOG.debug("streamed send body failed", t);
    fail(CloseReason.BODY_READ_FAILED, 400, "request body could not be read");
  }

  private void fail(CloseReason reason, int status, String why) {
    if (!finished) {
      finished = true;
      send.fail(reason, status, why);
    }
  }
}
