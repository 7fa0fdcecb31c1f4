package org.rtmpgw.gateway.server;

import jakarta.servlet.ServletOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import org.eclipse.jetty.ee10.servlet.HttpOutput;
import org.rtmpgw.gateway.rtmpt.ReplyPartWriter;

/**
 * The embedded server's writer: Jetty's stream takes a direct buffer without copying it into its
 * response buffer and writes it whole. Array parts keep the servlet path, which sends a small
 * reply together with its headers. Only the standalone jar uses this: a webapp cannot see Jetty's
 * own classes.
 */
final class JettyReplyPartWriter implements ReplyPartWriter {

  @Override
  public void write(ServletOutputStream out, ByteBuffer part) throws IOException {
    if (part.isDirect() && out instanceof HttpOutput jetty) {
      jetty.write(part);
    } else {
      PORTABLE.write(out, part);
    }
  }
}
