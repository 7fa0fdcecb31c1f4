package org.rtmpgw.it.soak;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;

/**
 * Client sockets for the soak clients: plain, or TLS that trusts any certificate (the gateway
 * under test serves its generated self-signed one, as ffmpeg and rtmpdump accept by default).
 *
 * <p>A TLS socket is layered over a plain one that the caller keeps, so that a client can vanish
 * without a {@code close_notify}: {@link #reset(Socket)} on the plain socket sends a TCP RST.
 */
final class Tls {

  private static final SSLSocketFactory TRUST_ALL = trustAll();

  private Tls() {}

  /** Connects a plain TCP socket to 127.0.0.1:port with a connect and read timeout. */
  static Socket connect(int port, int timeoutMillis) throws IOException {
    Socket socket = new Socket();
    try {
      socket.setTcpNoDelay(true);
      socket.setSoTimeout(timeoutMillis);
      socket.connect(new InetSocketAddress("127.0.0.1", port), timeoutMillis);
      return socket;
    } catch (IOException | RuntimeException e) {
      socket.close();
      throw e;
    }
  }

  /** Starts TLS over {@code plain} and completes the handshake (no SNI: connecting by IP). */
  static SSLSocket handshake(Socket plain, int port) throws IOException {
    SSLSocket tls = (SSLSocket) TRUST_ALL.createSocket(plain, "127.0.0.1", port, true);
    tls.setUseClientMode(true);
    tls.startHandshake();
    return tls;
  }

  /** Closes with a TCP RST (SO_LINGER 0): the peer sees "connection reset", not an orderly end. */
  static void reset(Socket plain) {
    try {
      plain.setSoLinger(true, 0);
    } catch (IOException e) {
      // already closed
    }
    closeQuietly(plain);
  }

  static void closeQuietly(Socket socket) {
    if (socket == null) {
      return;
    }
    try {
      socket.close();
    } catch (IOException e) {
      // nothing to do: the socket is gone either way
    }
  }

  private static SSLSocketFactory trustAll() {
    TrustManager[] trustAll = {
      new X509TrustManager() {
        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) {}

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) {}

        @Override
        public X509Certificate[] getAcceptedIssuers() {
          return new X509Certificate[0];
        }
      }
    };
    try {
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, trustAll, new SecureRandom());
      return context.getSocketFactory();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("no TLS client context", e);
    }
  }
}
