package org.rtmpgw.it.harness;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;

/**
 * One keep-alive HTTP/1.1 connection that speaks like librtmp: POSTs with Content-Length, and
 * responses framed by Content-Length only (a chunked response is an error, as it is for librtmp).
 * Every read is bounded by the socket timeout.
 */
public final class WarRawHttp implements AutoCloseable {

  /** Status and body of one response. */
  public record Response(int status, byte[] body) {
    public String text() {
      return new String(body, StandardCharsets.ISO_8859_1);
    }

    @Override
    public String toString() {
      return "HTTP " + status + " (" + body.length + " bytes)";
    }
  }

  private final Socket socket;
  private final InputStream in;
  private final OutputStream out;
  private final int port;

  public WarRawHttp(int port, Duration timeout) throws IOException {
    this.port = port;
    socket = new Socket();
    socket.setTcpNoDelay(true);
    socket.connect(new InetSocketAddress("127.0.0.1", port), (int) timeout.toMillis());
    socket.setSoTimeout((int) timeout.toMillis());
    in = new BufferedInputStream(socket.getInputStream());
    out = socket.getOutputStream();
  }

  public Response post(String path, byte[] body) throws IOException {
    send(path, body);
    return read();
  }

  /** Writes a POST without waiting for its response. */
  public void send(String path, byte[] body) throws IOException {
    String head =
        "POST "
            + path
            + " HTTP/1.1\r\nHost: 127.0.0.1:"
            + port
            + "\r\nUser-Agent: Shockwave Flash\r\nConnection: Keep-Alive\r\nCache-Control: no-cache"
            + "\r\nContent-Type: application/x-fcs\r\nContent-Length: "
            + body.length
            + "\r\n\r\n";
    ByteArrayOutputStream request = new ByteArrayOutputStream();
    request.writeBytes(head.getBytes(StandardCharsets.ISO_8859_1));
    request.writeBytes(body);
    out.write(request.toByteArray());
    out.flush();
  }

  /** Reads the next response. */
  public Response read() throws IOException {
    String statusLine = line();
    String[] parts = statusLine.split(" ", 3);
    if (parts.length < 2 || !parts[0].startsWith("HTTP/1.")) {
      throw new IOException("not an HTTP response: " + statusLine);
    }
    int status = Integer.parseInt(parts[1]);
    long length = -1;
    for (String header = line(); !header.isEmpty(); header = line()) {
      String lower = header.toLowerCase(Locale.ROOT);
      if (lower.startsWith("content-length:")) {
        length = Long.parseLong(header.substring(15).trim());
      } else if (lower.startsWith("transfer-encoding:")) {
        throw new IOException("chunked response (librtmp cannot read it): " + header);
      }
    }
    if (length < 0) {
      throw new IOException("response " + status + " without Content-Length");
    }
    return new Response(status, in.readNBytes((int) length));
  }

  private String line() throws IOException {
    ByteArrayOutputStream line = new ByteArrayOutputStream();
    int b;
    while ((b = in.read()) != '\n') {
      if (b < 0) {
        throw new IOException("connection closed mid-response");
      }
      if (b != '\r') {
        line.write(b);
      }
    }
    return line.toString(StandardCharsets.ISO_8859_1);
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
