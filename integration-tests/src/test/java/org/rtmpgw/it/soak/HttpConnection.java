package org.rtmpgw.it.soak;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * One HTTP/1.1 keep-alive connection to a gateway listener, plain or TLS, written by hand so that a
 * soak client controls exactly when and how its TCP connection ends (orderly, reset, or abandoned
 * with a request in flight) — which {@code java.net.http.HttpClient} hides behind its pool.
 *
 * <p>Requests carry {@code Content-Length} (never chunked), as RTMPT clients send them. Responses
 * are read by {@code Content-Length}; every read is bounded by the socket timeout.
 *
 * <p>Not thread-safe: one soak client owns it.
 */
final class HttpConnection implements AutoCloseable {

  /** Largest response header block accepted (the gateway's are a few hundred bytes). */
  private static final int MAX_HEADER_BYTES = 16 * 1024;

  /** Largest response body accepted (replies carry at most reply-max-bytes = 2 MiB, + 1). */
  private static final int MAX_BODY_BYTES = 4 * 1024 * 1024;

  /** An answer: status and body. */
  record Response(int status, byte[] body, boolean serverCloses) {}

  private final Socket plain;
  private final Socket socket;
  private final int port;
  private final InputStream in;
  private final OutputStream out;

  private HttpConnection(Socket plain, Socket socket, int port) throws IOException {
    this.plain = plain;
    this.socket = socket;
    this.port = port;
    this.in = new BufferedInputStream(socket.getInputStream(), 16 * 1024);
    this.out = socket.getOutputStream();
  }

  /** Opens a connection to 127.0.0.1:port, with TLS if {@code tls}. */
  static HttpConnection open(int port, boolean tls, int timeoutMillis) throws IOException {
    Socket plain = Tls.connect(port, timeoutMillis);
    try {
      Socket socket = tls ? Tls.handshake(plain, port) : plain;
      return new HttpConnection(plain, socket, port);
    } catch (IOException | RuntimeException e) {
      Tls.closeQuietly(plain);
      throw e;
    }
  }

  /** The client port of this connection: the gateway logs sessions by it. */
  int localPort() {
    return plain.getLocalPort();
  }

  /** POSTs {@code body} to {@code path} and reads the answer. */
  Response post(String path, byte[] body) throws IOException {
    send("POST", path, body);
    return read();
  }

  /** Writes a request without reading its answer (for a client that vanishes mid-request). */
  void send(String method, String path, byte[] body) throws IOException {
    String head =
        method
            + " "
            + path
            + " HTTP/1.1\r\n"
            + "Host: 127.0.0.1:"
            + port
            + "\r\n"
            + "Content-Type: application/x-fcs\r\n"
            + "Content-Length: "
            + body.length
            + "\r\n"
            + "Connection: Keep-Alive\r\n"
            + "Cache-Control: no-cache\r\n"
            + "\r\n";
    byte[] headBytes = head.getBytes(StandardCharsets.US_ASCII);
    byte[] request = new byte[headBytes.length + body.length];
    System.arraycopy(headBytes, 0, request, 0, headBytes.length);
    System.arraycopy(body, 0, request, headBytes.length, body.length);
    out.write(request); // one write: head and body in one segment, as a well-behaved client
    out.flush();
  }

  /** Reads one response (status line, headers, {@code Content-Length} body). */
  Response read() throws IOException {
    String statusLine = line();
    String[] parts = statusLine.split(" ", 3);
    if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
      throw new IOException("not an HTTP status line: " + statusLine);
    }
    int status = Integer.parseInt(parts[1]);
    long length = -1;
    boolean closes = false;
    int headerBytes = statusLine.length();
    while (true) {
      String header = line();
      headerBytes += header.length() + 2;
      if (headerBytes > MAX_HEADER_BYTES) {
        throw new IOException("response header block larger than " + MAX_HEADER_BYTES);
      }
      if (header.isEmpty()) {
        break;
      }
      int colon = header.indexOf(':');
      if (colon < 0) {
        continue;
      }
      String name = header.substring(0, colon).trim().toLowerCase(Locale.ROOT);
      String value = header.substring(colon + 1).trim();
      if (name.equals("content-length")) {
        length = Long.parseLong(value);
      } else if (name.equals("transfer-encoding")) {
        throw new IOException("unexpected Transfer-Encoding: " + value);
      } else if (name.equals("connection") && value.equalsIgnoreCase("close")) {
        closes = true;
      }
    }
    if (length < 0 || length > MAX_BODY_BYTES) {
      throw new IOException("response without a usable Content-Length (" + length + ")");
    }
    byte[] body = in.readNBytes((int) length);
    if (body.length != length) {
      throw new EOFException("response body ended after " + body.length + " of " + length);
    }
    return new Response(status, body, closes);
  }

  private String line() throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream(64);
    while (true) {
      int b = in.read();
      if (b < 0) {
        throw new EOFException("connection closed by the gateway");
      }
      if (b == '\n') {
        break;
      }
      if (b != '\r') {
        line.write(b);
      }
      if (line.size() > MAX_HEADER_BYTES) {
        throw new IOException("response line too long");
      }
    }
    return line.toString(StandardCharsets.ISO_8859_1);
  }

  /** Orderly close (TLS close_notify, then FIN). */
  @Override
  public void close() {
    Tls.closeQuietly(socket);
    Tls.closeQuietly(plain);
  }

  /** Vanishes: FIN without close_notify (TLS) or a plain FIN; no RTMPT /close was sent. */
  void drop() {
    Tls.closeQuietly(plain);
  }

  /** Vanishes with a TCP RST. */
  void reset() {
    Tls.reset(plain);
  }
}
