package org.rtmpgw.gateway.rtmpt;

import jakarta.servlet.http.HttpServletResponse;

/** Response headers every RTMPT answer carries. */
final class Replies {
  private Replies() {}

  /**
   * Status, exact content type (no charset: HaishinKit compares the string), explicit length,
   * {@code Cache-Control: no-cache} as every RTMPT server sends it. The body is
   * then written in one call that reaches the declared length, so the container sends it as the
   * last content together with the headers.
   */
  static void setHeaders(HttpServletResponse response, int status, String type, int length) {
    response.setStatus(status);
    response.setContentType(type);
    response.setContentLength(length);
    response.setHeader("Cache-Control", "no-cache");
    // No Connection header: HTTP/1.1 is persistent by default and Jetty drops "Keep-Alive" on
    // 1.1 responses anyway; a "Connection: close" set by the caller must survive.
  }
}
