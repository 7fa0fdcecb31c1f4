package org.rtmpgw.it.harness;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/**
 * Free TCP ports on the loopback interface.
 *
 * <p>The port is free when this method returns; another process may take it before the caller binds
 * it, so servers started on such a port should retry with a new one on "address in use" ({@link
 * NginxRtmp#start()} does).
 */
public final class FreePorts {

  private FreePorts() {}

  /** Binds 127.0.0.1 port 0, closes the socket and returns the port the kernel chose. */
  public static int loopback() {
    try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return socket.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("no free loopback port", e);
    }
  }
}
