package org.rtmpgw.gateway.rtmpt;

import jakarta.servlet.http.HttpServletResponse;

/** Response headers every RTMPT answer carries. */
final class Replies {
  private Replies() {}

  /**
   * Status, exact content type (no charset: HaishinKit compares the string), explicit length,
   * {@code Cache-Control: no-cache} as every RTMPT server sends it, and a response buffer as large
   * as the body, so the container sends headers and body in one write.
   */
  static void setHeaders(HttpServletResponse response, int status, String type, int length) {
    response.setStatus(status);
    response.setContentType(type);
    response.setContentLength(length);
    response.setHeader("Cache-Control", "no-cache");
    // Without a buffer as large as the body, Jetty writes a large reply in 32 KB pieces, one
    // write and one completion each (measured: 33 writev calls per 1 MiB reply, and pulls ~7 %
    // slower); with it, headers and body leave in one write.
    if (response.getBufferSize() < length) {
      response.setBufferSize(length);
    }
    // No Connection header: HTTP/1.1 is persistent by default and Jetty drops "Keep-Alive" on
    // 1.1 responses anyway; a "Connection: close" set by the caller must survive.
  }
}
