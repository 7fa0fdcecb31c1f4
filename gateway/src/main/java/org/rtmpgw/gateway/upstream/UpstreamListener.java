package org.rtmpgw.gateway.upstream;

import java.nio.ByteBuffer;
import org.rtmpgw.tunnel.SharedBuffer;

/** Receives what an {@link UpstreamLink} reads from the RTMP server. */
public interface UpstreamListener {

  /**
   * Takes as many of {@code data}'s bytes as there is room for. Bytes left in {@code data} pause
   * reading until {@link UpstreamLink#resumeReading()} is called.
   *
   * @param owner the pooled buffer {@code data} lies in, which a listener may keep a reference to
   *     instead of copying the bytes (the link never writes to it again); null when it may not
   */
  void onUpstreamBytes(ByteBuffer data, SharedBuffer owner);

  /** The connection ended: {@code cause} is null for an orderly end of stream from the server. */
  void onUpstreamClosed(Throwable cause);
}
