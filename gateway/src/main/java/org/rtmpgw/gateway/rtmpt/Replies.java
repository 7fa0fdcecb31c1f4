package org.rtmpgw.gateway.rtmpt;

import jakarta.servlet.http.HttpServletResponse;
import org.rtmpgw.tunnel.ReplyBody;

/** Response headers every RTMPT answer carries. */
final class Replies {
  private Replies() {}

  /**
   * Status, exact content type (no charset: HaishinKit compares the string), explicit length,
   * {@code Cache-Control: no-cache} as every RTMPT server sends it, and a response buffer of
   * {@code bufferBytes} (see {@link #bufferFor}).
   */
  static void setHeaders(
      HttpServletResponse response, int status, String type, int length, int bufferBytes) {
    response.setStatus(status);
    response.setContentType(type);
    response.setContentLength(length);
    response.setHeader("Cache-Control", "no-cache");
    if (response.getBufferSize() < bufferBytes) {
      response.setBufferSize(bufferBytes);
    }
    // No Connection header: HTTP/1.1 is persistent by default and Jetty drops "Keep-Alive" on
    // 1.1 responses anyway; a "Connection: close" set by the caller must survive.
  }

  /**
   * The response buffer a body needs. Jetty writes a write larger than the buffer in
   * buffer-sized pieces, one system call and one completion each (measured: 33 writev calls per
   * 1 MiB reply, and pulls ~7 % slower), so the buffer is as large as the largest part: a body
   * of one part leaves in one write together with the headers.
   */
  static int bufferFor(ReplyBody body) {
    int largest = 0;
    for (ReplyBody.Part part : body.parts()) {
      largest = Math.max(largest, part.length());
    }
    return largest;
  }
}
