package org.rtmpgw.gateway.hardening;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * One raw TCP connection for hostile input: writes bytes as given, and reads whatever comes back
 * until the server closes or a quiet period passes, without parsing. Complements {@code
 * RawHttpClient}, which (rightly) fails on anything but a well-framed RTMPT response.
 */
final class Wire implements AutoCloseable {
  private final Socket socket;
  private final InputStream in;

  Wire(int port) throws IOException {
    socket = new Socket();
    socket.setTcpNoDelay(true);
    socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
    in = socket.getInputStream();
  }

  static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }

  Socket socket() {
    return socket;
  }

  Wire write(byte[] bytes) throws IOException {
    socket.getOutputStream().write(bytes);
    socket.getOutputStream().flush();
    return this;
  }

  Wire write(String s) throws IOException {
    return write(ascii(s));
  }

  /** What the server sent, and whether it then closed the connection. */
  record Answer(byte[] bytes, boolean closed, long millis) {
    String text() {
      return new String(bytes, StandardCharsets.ISO_8859_1);
    }

    /** The status code of the first response, or -1 if none arrived. */
    int status() {
      String t = text();
      if (!t.startsWith("HTTP/1.")) {
        return -1;
      }
      return Integer.parseInt(t.substring(9, 12));
    }

    /** How many responses (status lines) arrived. */
    int responses() {
      String t = text();
      int n = 0;
      for (int i = t.indexOf("HTTP/1.1 "); i >= 0; i = t.indexOf("HTTP/1.1 ", i + 1)) {
        n++;
      }
      return n;
    }

    @Override
    public String toString() {
      return (closed ? "[closed after " + millis + " ms] " : "[open] ")
          + text().replace("\r", "\\r").replace("\n", "\\n");
    }
  }

  /**
   * Reads until the server closes, or until nothing has arrived for {@code quiet}, or until
   * {@code max} has passed in all.
   */
  Answer read(Duration quiet, Duration max) throws IOException {
    ByteArrayOutputStream got = new ByteArrayOutputStream();
    long start = System.nanoTime();
    long end = start + max.toNanos();
    byte[] buf = new byte[8192];
    boolean closed = false;
    while (true) {
      long left = end - System.nanoTime();
      if (left <= 0) {
        break;
      }
      socket.setSoTimeout((int) Math.max(1, Math.min(quiet.toMillis(), left / 1_000_000)));
      int n;
      try {
        n = in.read(buf);
      } catch (SocketTimeoutException e) {
        break;
      } catch (IOException e) {
        closed = true; // reset
        break;
      }
      if (n < 0) {
        closed = true;
        break;
      }
      got.write(buf, 0, n);
    }
    return new Answer(got.toByteArray(), closed, (System.nanoTime() - start) / 1_000_000);
  }

  /** Waits up to {@code max} for the server to close, collecting what it sends meanwhile. */
  Answer readUntilClosed(Duration max) throws IOException {
    return read(max, max);
  }

  @Override
  public void close() {
    try {
      socket.close();
    } catch (IOException ignored) {
      // teardown
    }
  }
}
