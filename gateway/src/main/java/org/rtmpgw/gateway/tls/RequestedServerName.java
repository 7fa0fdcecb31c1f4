package org.rtmpgw.gateway.tls;

import java.lang.reflect.Method;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SNIMatcher;
import javax.net.ssl.SNIServerName;
import javax.net.ssl.SSLEngine;

/**
 * The host name a TLS client asked for (SNI), for routing RTMPS sessions to an upstream group.
 *
 * <p>Jetty installs an SNI matcher that records the name and answers "no match" so that the JDK
 * never aborts a handshake over an unknown name; the JDK then leaves the session's requested
 * server names empty. So the name is read from the session when the JDK kept it, else from
 * Jetty's matcher (its {@code getHost()}, through reflection: the class is package-private).
 */
public final class RequestedServerName {
  private RequestedServerName() {}

  /** The SNI host name of a completed handshake, or null when the client sent none. */
  public static String of(SSLEngine engine) {
    if (engine.getSession() instanceof ExtendedSSLSession session) {
      for (SNIServerName name : session.getRequestedServerNames()) {
        if (name instanceof SNIHostName host) {
          return host.getAsciiName();
        }
      }
    }
    for (SNIMatcher matcher : engine.getSSLParameters().getSNIMatchers()) {
      try {
        Method getHost = matcher.getClass().getMethod("getHost");
        getHost.setAccessible(true);
        Object host = getHost.invoke(matcher);
        if (host instanceof String s && !s.isEmpty()) {
          return s;
        }
      } catch (ReflectiveOperationException | RuntimeException e) {
        // not Jetty's matcher, or a Jetty without it: no name
      }
    }
    return null;
  }
}
