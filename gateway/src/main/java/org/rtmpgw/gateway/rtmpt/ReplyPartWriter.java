package org.rtmpgw.gateway.rtmpt;

import jakarta.servlet.ServletOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * Puts one reply part on a servlet output stream in one non-blocking write. The servlet API only
 * writes arrays; the embedded server supplies a writer that hands pooled direct buffers to Jetty
 * as they are, which saves copying every pulled byte twice.
 */
@FunctionalInterface
public interface ReplyPartWriter {

  /** Writes all of {@code part}, a view the writer may consume. */
  void write(ServletOutputStream out, ByteBuffer part) throws IOException;

  /** For any container: an array part as it is, a direct one copied into a new array. */
  ReplyPartWriter PORTABLE =
      (out, part) -> {
        if (part.hasArray()) {
          out.write(part.array(), part.arrayOffset() + part.position(), part.remaining());
        } else {
          byte[] copy = new byte[part.remaining()];
          part.get(copy);
          out.write(copy);
        }
      };
}
