package org.rtmpgw.gateway.testing;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * One HTTP response exactly as it came off the wire.
 *
 * @param statusLine e.g. {@code HTTP/1.1 200 OK}, without CRLF
 * @param headerLines every header line in the order and spelling sent, without CRLF
 * @param body exactly Content-Length bytes
 * @param rawHeaderBytes status line + headers + the blank line, as received
 */
public record RawResponse(
    String statusLine, List<String> headerLines, byte[] body, byte[] rawHeaderBytes) {

  public RawResponse {
    headerLines = List.copyOf(headerLines);
  }

  /** The numeric status code. */
  public int status() {
    String[] parts = statusLine.split(" ", 3);
    return Integer.parseInt(parts[1]);
  }

  /** Values of every header with this name (case-insensitive), trimmed, in order. */
  public List<String> headers(String name) {
    String prefix = name.toLowerCase(Locale.ROOT) + ":";
    return headerLines.stream()
        .filter(l -> l.toLowerCase(Locale.ROOT).startsWith(prefix))
        .map(l -> l.substring(prefix.length()).trim())
        .toList();
  }

  /** The first value of this header (case-insensitive name). */
  public Optional<String> header(String name) {
    return headers(name).stream().findFirst();
  }

  public String bodyText() {
    return new String(body, StandardCharsets.UTF_8);
  }

  /** Whether the server announced it will close the connection after this response. */
  public boolean announcesClose() {
    return headers("Connection").stream().anyMatch(v -> v.equalsIgnoreCase("close"));
  }

  @Override
  public String toString() {
    return statusLine + " " + headerLines + " body=" + body.length + " bytes";
  }
}
