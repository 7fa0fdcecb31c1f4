package org.rtmpgw.it.soak;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import javax.net.ssl.SSLSocket;

/**
 * The soak's own small clients, one method per {@link ClientKind}. Each runs one connection or
 * RTMPT session to its end and returns an {@link Outcome}: what the gateway must have counted for
 * it (session id or client port, bytes each way) or why the client failed. Every read is bounded
 * by the socket timeout; nothing here retries.
 *
 * <p>Thread-safe: no shared mutable state; many run in parallel.
 */
public final class SoakClient {

  /** Bound on every connect and read. */
  static final int TIMEOUT_MILLIS = 10_000;

  /**
   * Idles allowed while waiting for S0S1S2 (each held at most idle-hold-ms = 100 ms by the
   * gateway, so ~6 s at worst; nginx answers within a few ms).
   */
  private static final int MAX_HANDSHAKE_POLLS = 60;

  /** Idles after the handshake: a client that polls while nothing comes. */
  private static final int EXTRA_IDLES = 2;

  /**
   * What one client did, as the gateway must account for it.
   *
   * @param sessionId the RTMPT session id (null for raw and refused connections)
   * @param clientPort local port of the connection that opened the session (raw sessions are
   *     identified by it in the close log)
   * @param bytesUp bytes the gateway must have forwarded upstream for this session
   * @param bytesDown bytes the gateway must have delivered (raw RST: at least this many)
   * @param failure null if the client saw what it expected, else what went wrong
   */
  public record Outcome(
      ClientKind kind,
      int variant,
      String sessionId,
      int clientPort,
      long bytesUp,
      long bytesDown,
      String failure) {}

  /** A malformed request and its documented answer (README, "RTMPT" → Lifecycle). */
  private record Malformed(String method, String path, boolean body, int status) {}

  private final int plainPort;
  private final int tlsPort;

  /** An id that was real once and is closed now (set by the test after a clean session). */
  private volatile String closedSessionId = "AAAAAAAAAAAAAAAAAAAAAA";

  public SoakClient(int plainPort, int tlsPort) {
    this.plainPort = plainPort;
    this.tlsPort = tlsPort;
  }

  /** Runs one client of {@code kind}; {@code variant} picks among its variants (e.g. malformed). */
  public Outcome run(ClientKind kind, int variant) {
    try {
      return switch (kind) {
        case RTMPT_CLEAN -> rtmpt(kind, variant, false);
        case RTMPTS_CLEAN, RTMPTS_VANISH_AFTER_C2 -> rtmpt(kind, variant, true);
        case RTMPT_VANISH_AFTER_OPEN,
            RTMPT_VANISH_BEFORE_C2,
            RTMPT_RESET_AFTER_C2,
            RTMPT_RESET_IDLE_IN_FLIGHT -> rtmpt(kind, variant, false);
        case RTMP_RAW_CLOSE, RTMP_RAW_RESET -> raw(kind, variant, false);
        case RTMPS_RAW_CLOSE, RTMPS_RAW_RESET -> raw(kind, variant, true);
        case MALFORMED_REQUEST -> malformed(variant);
        case GARBAGE_PLAIN, GARBAGE_TLS, PLAINTEXT_ON_TLS, TLS_ON_PLAIN -> refused(kind, variant);
      };
    } catch (IOException | RuntimeException e) {
      return new Outcome(kind, variant, null, -1, 0, 0, e.toString());
    }
  }

  /** How many variants {@link #run} knows for malformed requests. */
  public static int malformedVariants() {
    return MALFORMED.size();
  }

  // ---------------------------------------------------------------------------------- RTMPT

  private Outcome rtmpt(ClientKind kind, int variant, boolean tls) throws IOException {
    HttpConnection http = HttpConnection.open(tls ? tlsPort : plainPort, tls, TIMEOUT_MILLIS);
    Tunnel t = new Tunnel(http);
    try {
      return rtmpt(kind, variant, http, t);
    } catch (IOException | RuntimeException e) {
      // keep the id: the session exists in the gateway and must still be found in its log
      return fail(kind, variant, t.id, http, e.toString());
    }
  }

  private Outcome rtmpt(ClientKind kind, int variant, HttpConnection http, Tunnel t)
      throws IOException {
    HttpConnection.Response open = http.post("/open/1", new byte[] {0});
    String body = new String(open.body(), StandardCharsets.US_ASCII);
    if (open.status() != 200 || !body.endsWith("\n") || body.strip().isEmpty()) {
      return fail(kind, variant, null, http, "/open/1 -> " + open.status() + " " + body.strip());
    }
    t.id = body.strip();
    if (kind == ClientKind.RTMPT_VANISH_AFTER_OPEN) {
      http.drop();
      return new Outcome(kind, variant, t.id, http.localPort(), 0, 0, null);
    }
    byte[] c0c1 = Handshake.c0c1();
    t.send(c0c1);
    for (int i = 0; i < MAX_HANDSHAKE_POLLS && t.received.size() < Handshake.S0S1S2_BYTES; i++) {
      t.idle();
    }
    byte[] s0s1s2 = t.received.toByteArray();
    String wrong = Handshake.check(c0c1, s0s1s2);
    if (wrong != null) {
      return fail(kind, variant, t.id, http, wrong + " after " + t.requests + " requests");
    }
    if (kind == ClientKind.RTMPT_VANISH_BEFORE_C2) {
      http.drop();
      return new Outcome(kind, variant, t.id, http.localPort(), t.up, t.down, null);
    }
    t.send(Handshake.c2(s0s1s2));
    for (int i = 0; i < EXTRA_IDLES; i++) {
      t.idle();
    }
    switch (kind) {
      case RTMPT_RESET_AFTER_C2 -> {
        http.reset();
        return new Outcome(kind, variant, t.id, http.localPort(), t.up, t.down, null);
      }
      case RTMPT_RESET_IDLE_IN_FLIGHT -> {
        http.send("POST", "/idle/" + t.id + "/" + t.seq++, new byte[] {0});
        http.reset();
        return new Outcome(kind, variant, t.id, http.localPort(), t.up, t.down, null);
      }
      case RTMPTS_VANISH_AFTER_C2 -> {
        http.drop();
        return new Outcome(kind, variant, t.id, http.localPort(), t.up, t.down, null);
      }
      default -> {
        // clean: /close answers a single 0x00
      }
    }
    HttpConnection.Response close = http.post("/close/" + t.id + "/" + t.seq++, new byte[] {0});
    if (close.status() != 200 || close.body().length != 1 || close.body()[0] != 0) {
      return fail(
          kind,
          variant,
          t.id,
          http,
          "/close -> " + close.status() + " " + close.body().length + " bytes");
    }
    if (t.received.size() != Handshake.S0S1S2_BYTES) {
      return fail(
          kind,
          variant,
          t.id,
          http,
          "received " + t.received.size() + " bytes in all, expected " + Handshake.S0S1S2_BYTES);
    }
    http.close();
    closedSessionId = t.id;
    return new Outcome(kind, variant, t.id, http.localPort(), t.up, t.down, null);
  }

  private Outcome fail(ClientKind kind, int variant, String id, HttpConnection http, String why) {
    http.close();
    return new Outcome(kind, variant, id, http.localPort(), 0, 0, why);
  }

  /** One RTMPT session's client state: numbered requests, bytes each way. */
  private static final class Tunnel {
    private final HttpConnection http;
    private final ByteArrayOutputStream received = new ByteArrayOutputStream(4096);
    private String id;
    private long seq;
    private long up;
    private long down;
    private int requests;

    Tunnel(HttpConnection http) {
      this.http = http;
    }

    void send(byte[] body) throws IOException {
      reply(http.post("/send/" + id + "/" + seq++, body), "send");
      up += body.length;
    }

    void idle() throws IOException {
      reply(http.post("/idle/" + id + "/" + seq++, new byte[] {0}), "idle");
    }

    private void reply(HttpConnection.Response response, String what) throws IOException {
      requests++;
      byte[] body = response.body();
      if (response.status() != 200 || body.length == 0) {
        throw new IOException(
            what + " seq " + (seq - 1) + " of " + id + " -> " + response.status() + ", " + body.length + " bytes");
      }
      if (body[0] == 0) {
        throw new IOException(what + " seq " + (seq - 1) + " of " + id + ": polling byte 0 (session closed)");
      }
      received.write(body, 1, body.length - 1);
      down += body.length - 1;
    }
  }

  // ------------------------------------------------------------------------------ raw RTMP(S)

  private Outcome raw(ClientKind kind, int variant, boolean tls) throws IOException {
    int port = tls ? tlsPort : plainPort;
    Socket plain = Tls.connect(port, TIMEOUT_MILLIS);
    int clientPort = plain.getLocalPort();
    boolean reset = kind == ClientKind.RTMP_RAW_RESET || kind == ClientKind.RTMPS_RAW_RESET;
    try {
      Socket socket = tls ? Tls.handshake(plain, port) : plain;
      OutputStream out = socket.getOutputStream();
      InputStream in = socket.getInputStream();
      byte[] c0c1 = Handshake.c0c1();
      out.write(c0c1);
      out.flush();
      if (reset) {
        byte[] s0s1 = in.readNBytes(Handshake.C0C1_BYTES);
        Tls.reset(plain);
        if (s0s1.length != Handshake.C0C1_BYTES || s0s1[0] != 3) {
          return new Outcome(kind, variant, null, clientPort, 0, 0, "S0S1: " + s0s1.length + " bytes");
        }
        return new Outcome(kind, variant, null, clientPort, c0c1.length, s0s1.length, null);
      }
      byte[] s0s1s2 = in.readNBytes(Handshake.S0S1S2_BYTES);
      String wrong = Handshake.check(c0c1, s0s1s2);
      if (wrong != null) {
        Tls.closeQuietly(socket);
        return new Outcome(kind, variant, null, clientPort, 0, 0, wrong);
      }
      byte[] c2 = Handshake.c2(s0s1s2);
      out.write(c2);
      out.flush();
      socket.close(); // TLS: close_notify, then FIN
      return new Outcome(
          kind, variant, null, clientPort, c0c1.length + c2.length, s0s1s2.length, null);
    } catch (IOException | RuntimeException e) {
      return new Outcome(kind, variant, null, clientPort, 0, 0, e.toString());
    } finally {
      Tls.closeQuietly(plain);
    }
  }

  // ------------------------------------------------------------------------ malformed requests

  private static final List<Malformed> MALFORMED =
      List.of(
          new Malformed("GET", "/open/1", false, 405),
          new Malformed("POST", "/nonsense", true, 404),
          new Malformed("POST", "/open/2", true, 400),
          new Malformed("POST", "/send/abc", true, 400),
          new Malformed("POST", "/idle/abc/x1", true, 400),
          new Malformed("POST", "/send/a$b/1", true, 400),
          new Malformed("POST", "/idle/AAAAAAAAAAAAAAAAAAAAAA/0", true, 404),
          new Malformed("POST", "/send/BBBBBBBBBBBBBBBBBBBBBB/3", true, 404),
          new Malformed("POST", "/close/CCCCCCCCCCCCCCCCCCCCCC/1", true, 200),
          new Malformed("POST", "closed-session", true, 404));

  private Outcome malformed(int variant) throws IOException {
    Malformed m = MALFORMED.get(Math.floorMod(variant, MALFORMED.size()));
    String path = m.path().equals("closed-session") ? "/idle/" + closedSessionId + "/7" : m.path();
    try (HttpConnection http = HttpConnection.open(plainPort, false, TIMEOUT_MILLIS)) {
      byte[] body = m.body() ? new byte[] {0} : new byte[0];
      http.send(m.method(), path, body);
      HttpConnection.Response response = http.read();
      String failure =
          response.status() == m.status()
              ? null
              : m.method() + " " + path + " -> " + response.status() + ", expected " + m.status();
      return new Outcome(
          ClientKind.MALFORMED_REQUEST, variant, null, http.localPort(), 0, 0, failure);
    }
  }

  // -------------------------------------------------------------------- refused connections

  private Outcome refused(ClientKind kind, int variant) throws IOException {
    boolean toTls = kind == ClientKind.GARBAGE_TLS || kind == ClientKind.PLAINTEXT_ON_TLS;
    Socket plain = Tls.connect(toTls ? tlsPort : plainPort, TIMEOUT_MILLIS);
    int clientPort = plain.getLocalPort();
    try {
      if (kind == ClientKind.TLS_ON_PLAIN) {
        try {
          SSLSocket tls = Tls.handshake(plain, plainPort);
          Tls.closeQuietly(tls);
          return new Outcome(kind, variant, null, clientPort, 0, 0, "TLS handshake succeeded on the plain listener");
        } catch (IOException expected) {
          return new Outcome(kind, variant, null, clientPort, 0, 0, null);
        }
      }
      byte[] bytes =
          switch (kind) {
            case PLAINTEXT_ON_TLS ->
                variant % 2 == 0
                    ? Handshake.c0c1()
                    : "POST /open/1 HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\n\0"
                        .getBytes(StandardCharsets.US_ASCII);
            default -> "\0\u0001soak garbage \u00ff\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1);
          };
      OutputStream out = plain.getOutputStream();
      out.write(bytes);
      out.flush();
      String failure = awaitClosedByGateway(plain);
      return new Outcome(kind, variant, null, clientPort, 0, 0, failure);
    } finally {
      Tls.closeQuietly(plain);
    }
  }

  /** Reads until the gateway ends the connection; null if it did, else what it did instead. */
  private static String awaitClosedByGateway(Socket socket) {
    try {
      InputStream in = socket.getInputStream();
      byte[] buffer = new byte[512];
      long total = 0;
      while (true) {
        int n = in.read(buffer);
        if (n < 0) {
          return total == 0 ? null : "gateway answered " + total + " bytes before closing";
        }
        total += n;
      }
    } catch (SocketTimeoutException e) {
      return "gateway kept a refused connection open for " + TIMEOUT_MILLIS + " ms";
    } catch (IOException e) {
      return null; // reset by the gateway: closed as well
    }
  }
}
