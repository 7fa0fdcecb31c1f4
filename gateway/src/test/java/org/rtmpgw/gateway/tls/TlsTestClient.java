package org.rtmpgw.gateway.tls;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * A JDK TLS client connection that trusts anything and records the certificate chain the server
 * presented, so tests can see which certificate was selected.
 */
final class TlsTestClient implements AutoCloseable {
  private static final int TIMEOUT_MILLIS = 5_000;

  private final SSLSocket socket;
  private final RecordingTrustManager trust;

  private TlsTestClient(SSLSocket socket, RecordingTrustManager trust) {
    this.socket = socket;
    this.trust = trust;
  }

  /**
   * Connects to 127.0.0.1:{@code port} and completes the handshake.
   *
   * @param sniHost the server name to send, or null to send none (as librtmp does)
   */
  static TlsTestClient connect(int port, String sniHost)
      throws IOException, GeneralSecurityException {
    RecordingTrustManager trust = new RecordingTrustManager();
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, new TrustManager[] {trust}, new SecureRandom());
    Socket plain = new Socket();
    plain.connect(new InetSocketAddress("127.0.0.1", port), TIMEOUT_MILLIS);
    plain.setSoTimeout(TIMEOUT_MILLIS);
    SSLSocket socket =
        (SSLSocket) context.getSocketFactory().createSocket(plain, "127.0.0.1", port, true);
    SSLParameters parameters = socket.getSSLParameters();
    List<SNIServerName> names = sniHost == null ? List.of() : List.of(new SNIHostName(sniHost));
    parameters.setServerNames(names);
    socket.setSSLParameters(parameters);
    try {
      socket.startHandshake();
    } catch (IOException e) {
      socket.close();
      throw e;
    }
    return new TlsTestClient(socket, trust);
  }

  /** The leaf certificate the server presented. */
  X509Certificate served() {
    return trust.chain.get(0);
  }

  List<X509Certificate> servedChain() {
    return trust.chain;
  }

  String servedSubject() {
    return served().getSubjectX500Principal().getName();
  }

  String protocol() {
    return socket.getSession().getProtocol();
  }

  /** Sends a GET on this connection and returns the response's status line and body. */
  String get() throws IOException {
    OutputStream out = socket.getOutputStream();
    out.write("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    out.flush();
    InputStream in = socket.getInputStream();
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("connection closed after " + head);
      }
      head.write(b);
    }
    String headers = head.toString(StandardCharsets.US_ASCII);
    int length = 0;
    for (String line : headers.split("\r\n")) {
      if (line.toLowerCase().startsWith("content-length:")) {
        length = Integer.parseInt(line.substring(line.indexOf(':') + 1).trim());
      }
    }
    byte[] body = in.readNBytes(length);
    return headers.substring(0, headers.indexOf("\r\n"))
        + " "
        + new String(body, StandardCharsets.US_ASCII);
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }

  /** Accepts every server; keeps the chain it was shown. */
  private static final class RecordingTrustManager extends X509ExtendedTrustManager {
    private volatile List<X509Certificate> chain = List.of();

    @Override
    public void checkServerTrusted(X509Certificate[] presented, String authType, Socket socket) {
      chain = List.of(presented);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] presented, String authType, SSLEngine engine) {
      chain = List.of(presented);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] presented, String authType) {
      chain = List.of(presented);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] presented, String authType, Socket socket) {
      throw new UnsupportedOperationException("client side only");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] presented, String authType, SSLEngine engine) {
      throw new UnsupportedOperationException("client side only");
    }

    @Override
    public void checkClientTrusted(X509Certificate[] presented, String authType) {
      throw new UnsupportedOperationException("client side only");
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }
}
