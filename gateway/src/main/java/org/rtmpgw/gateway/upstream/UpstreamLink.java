package org.rtmpgw.gateway.upstream;

import java.nio.ByteBuffer;

/**
 * One non-blocking TCP connection to the RTMP server, as the session layer sees it.
 *
 * <p>Writes are serialised by the caller: at most one {@link #write} may be outstanding. Reads are
 * pushed to the {@link UpstreamListener}; when the listener leaves bytes unconsumed the link stops
 * reading (TCP back-pressure reaches the RTMP server) until {@link #resumeReading()}.
 */
public interface UpstreamLink {

  /** Writes all of {@code bytes} upstream; the callback runs once, possibly on this thread. */
  void write(ByteBuffer bytes, WriteCallback callback);

  /** Offers the bytes held back by back-pressure again and reads on; a no-op when not paused. */
  void resumeReading();

  /** Closes the connection; the listener then sees {@code onUpstreamClosed}. Idempotent. */
  void close();

  /** Completion of one upstream write. */
  interface WriteCallback {
    void written();

    void failed(Throwable cause);
  }
}
