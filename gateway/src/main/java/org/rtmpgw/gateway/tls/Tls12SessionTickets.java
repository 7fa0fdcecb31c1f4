package org.rtmpgw.gateway.tls;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns off the JDK server's TLS 1.2 stateless session tickets (RFC 5077), which the long session
 * timeout used to suppress TLS 1.3 tickets would otherwise break.
 *
 * <p>With a session timeout above the 7-day ticket lifetime, a JDK 17 (and 25) server still
 * acknowledges a TLS 1.2 client's session_ticket extension in its ServerHello, which promises a
 * NewSessionTicket message, but then does not send one; OpenSSL clients (which offer the extension
 * by default) abort with "unexpected message". Without stateless tickets the server does not
 * acknowledge the extension, and resumption falls back to the session-id cache.
 *
 * <p>The only switch is the system property {@value #PROPERTY}. The JDK reads it each time an
 * {@code SSLContext} is created (Jetty creates one on start and on every reload), so setting it
 * before the factory starts is enough; it affects every TLS server context created afterwards in
 * this JVM, which only loses an optimisation.
 */
final class Tls12SessionTickets {
  static final String PROPERTY = "jdk.tls.server.enableSessionTicketExtension";

  private static final Logger LOG = LoggerFactory.getLogger(Tls12SessionTickets.class);

  private Tls12SessionTickets() {}

  static synchronized void disableStatelessTickets() {
    String configured = System.getProperty(PROPERTY);
    if (configured == null) {
      System.setProperty(PROPERTY, "false");
      LOG.debug("Set {}=false: TLS 1.2 resumes by session id, TLS 1.3 sends no tickets", PROPERTY);
    } else if (!"false".equalsIgnoreCase(configured)) {
      LOG.warn(
          "{}={} is set on the command line while TLS 1.3 session tickets are off: TLS 1.2 clients"
              + " that offer session tickets (OpenSSL-based ones) will fail the handshake; remove"
              + " the property",
          PROPERTY,
          configured);
    }
  }
}
