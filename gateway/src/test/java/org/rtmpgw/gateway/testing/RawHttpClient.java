package org.rtmpgw.gateway.testing;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A deliberately dumb HTTP/1.1 client on ONE keep-alive socket, so tests see responses byte for
 * byte, can pipeline, and can send malformed input.
 *
 * <p>Responses are framed strictly the way librtmp frames them: by Content-Length only. A chunked
 * response, a missing or repeated Content-Length, or a 1xx interim response fails the test (throws
 * {@link AssertionError}). Every read is bounded by the socket timeout (5 s by default).
 */
public final class RawHttpClient implements AutoCloseable {
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);
  private static final int MAX_HEADER_BYTES = 64 * 1024;

  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;
  private final String hostHeader;

  public RawHttpClient(int port) throws IOException {
    this("127.0.0.1", port);
  }

  public RawHttpClient(String host, int port) throws IOException {
    socket = new Socket();
    socket.setTcpNoDelay(true);
    socket.connect(new InetSocketAddress(host, port), (int) DEFAULT_TIMEOUT.toMillis());
    socket.setSoTimeout((int) DEFAULT_TIMEOUT.toMillis());
    in = new BufferedInputStream(socket.getInputStream(), 64 * 1024);
    out = socket.getOutputStream();
    hostHeader = host + ":" + port;
  }

  /** Bounds every following read. */
  public RawHttpClient timeout(Duration timeout) throws IOException {
    socket.setSoTimeout((int) timeout.toMillis());
    return this;
  }

  /** A librtmp-like POST with an explicit Content-Length; waits for and parses its response. */
  public RawResponse post(String path, byte[] body) throws IOException {
    sendRaw(postBytes(path, body));
    return readResponse();
  }

  public RawResponse get(String path) throws IOException {
    sendRaw(requestBytes("GET", path, List.of(), null));
    return readResponse();
  }

  /** The bytes of a librtmp-like POST (Content-Length framing), for pipelining. */
  public byte[] postBytes(String path, byte[] body) {
    return requestBytes(
        "POST",
        path,
        List.of(
            "Accept: */*",
            "User-Agent: Shockwave Flash",
            "Connection: Keep-Alive",
            "Cache-Control: no-cache",
            "Content-Type: application/x-fcs",
            "Content-Length: " + body.length),
        body);
  }

  /** The bytes of a POST whose body is sent with chunked transfer coding, in the given chunks. */
  public byte[] chunkedPostBytes(String path, List<byte[]> chunks) {
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    for (byte[] c : chunks) {
      body.writeBytes((Integer.toHexString(c.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
      body.writeBytes(c);
      body.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
    }
    body.writeBytes("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    return requestBytes(
        "POST",
        path,
        List.of("Content-Type: application/x-fcs", "Transfer-Encoding: chunked"),
        body.toByteArray());
  }

  /** A request with a Host header, the given header lines, then {@code body} verbatim. */
  public byte[] requestBytes(String method, String path, List<String> headers, byte[] body) {
    StringBuilder head = new StringBuilder();
    head.append(method).append(' ').append(path).append(" HTTP/1.1\r\n");
    head.append("Host: ").append(hostHeader).append("\r\n");
    for (String h : headers) {
      head.append(h).append("\r\n");
    }
    head.append("\r\n");
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    all.writeBytes(head.toString().getBytes(StandardCharsets.ISO_8859_1));
    if (body != null) {
      all.writeBytes(body);
    }
    return all.toByteArray();
  }

  /** Writes bytes as they are, in one write. */
  public void sendRaw(byte[] bytes) throws IOException {
    out.write(bytes);
    out.flush();
  }

  /** Reads and strictly parses the next response on this connection. */
  public RawResponse readResponse() throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0; // progress through \r\n\r\n
    while (matched < 4) {
      int b;
      try {
        b = in.read();
      } catch (SocketTimeoutException e) {
        throw new AssertionError(
            "no complete response header within the socket timeout; got "
                + head.size()
                + " bytes: "
                + printable(head.toByteArray()),
            e);
      }
      if (b < 0) {
        throw new EOFException(
            "server closed the connection"
                + (head.size() == 0 ? " before any response byte" : " inside the header: ")
                + printable(head.toByteArray()));
      }
      head.write(b);
      if (head.size() > MAX_HEADER_BYTES) {
        throw new AssertionError("response header block larger than " + MAX_HEADER_BYTES);
      }
      matched = (b == "\r\n\r\n".charAt(matched)) ? matched + 1 : (b == '\r' ? 1 : 0);
    }
    byte[] raw = head.toByteArray();
    String text = new String(raw, 0, raw.length - 4, StandardCharsets.ISO_8859_1);
    String[] lines = text.split("\r\n", -1);
    String status = lines[0];
    if (!status.matches("HTTP/1\\.[01] [0-9]{3}( .*)?")) {
      throw new AssertionError("malformed status line: " + printable(status.getBytes()));
    }
    List<String> headerLines = new ArrayList<>();
    long contentLength = -1;
    int lengths = 0;
    for (int i = 1; i < lines.length; i++) {
      String line = lines[i];
      if (line.isEmpty() || line.indexOf(':') <= 0 || line.startsWith(" ")) {
        throw new AssertionError("malformed header line '" + line + "' in " + printable(raw));
      }
      headerLines.add(line);
      String name = line.substring(0, line.indexOf(':')).trim().toLowerCase(Locale.ROOT);
      String value = line.substring(line.indexOf(':') + 1).trim();
      if (name.equals("transfer-encoding")) {
        throw new AssertionError("chunked/transfer-coded response (librtmp cannot read it): " + line);
      }
      if (name.equals("content-length")) {
        lengths++;
        if (!value.matches("[0-9]{1,10}")) {
          throw new AssertionError("bad Content-Length: " + line);
        }
        contentLength = Long.parseLong(value);
      }
    }
    int code = Integer.parseInt(status.substring(9, 12));
    if (code >= 100 && code < 200) {
      throw new AssertionError("interim response (fatal for librtmp): " + status);
    }
    if (lengths != 1) {
      throw new AssertionError(
          "expected exactly one Content-Length header, found " + lengths + " in " + headerLines);
    }
    byte[] body = in.readNBytes((int) contentLength);
    if (body.length != contentLength) {
      throw new EOFException(
          "connection ended after " + body.length + " of " + contentLength + " body bytes");
    }
    return new RawResponse(status, headerLines, body, raw);
  }

  /**
   * Whether the server has closed this connection: waits up to {@code wait} for end of stream.
   * Unexpected bytes fail the test.
   */
  public boolean isClosedByServer(Duration wait) throws IOException {
    int old = socket.getSoTimeout();
    socket.setSoTimeout((int) Math.max(1, wait.toMillis()));
    try {
      int b = in.read();
      if (b >= 0) {
        throw new AssertionError("unexpected byte from server: " + b);
      }
      return true;
    } catch (SocketTimeoutException e) {
      return false;
    } catch (IOException e) {
      return true; // reset
    } finally {
      if (!socket.isClosed()) {
        socket.setSoTimeout(old);
      }
    }
  }

  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException ignored) {
      // teardown
    }
  }

  static String printable(byte[] bytes) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < Math.min(bytes.length, 2048); i++) {
      int b = bytes[i] & 0xff;
      if (b == '\r') {
        sb.append("\\r");
      } else if (b == '\n') {
        sb.append("\\n");
      } else if (b >= 0x20 && b < 0x7f) {
        sb.append((char) b);
      } else {
        sb.append(String.format("\\x%02x", b));
      }
    }
    return sb.toString();
  }
}
