package org.rtmpgw.gateway.upstream;

import java.nio.ByteBuffer;

/** Receives what an {@link UpstreamLink} reads from the RTMP server. */
public interface UpstreamListener {

  /**
   * Takes as many of {@code data}'s bytes as there is room for. Bytes left in {@code data} pause
   * reading until {@link UpstreamLink#resumeReading()} is called.
   */
  void onUpstreamBytes(ByteBuffer data);

  /** The connection ended: {@code cause} is null for an orderly end of stream from the server. */
  void onUpstreamClosed(Throwable cause);
}
