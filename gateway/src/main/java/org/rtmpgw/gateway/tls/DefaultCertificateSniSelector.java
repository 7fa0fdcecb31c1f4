package org.rtmpgw.gateway.tls;

import java.security.Principal;
import java.util.Collection;
import java.util.Comparator;
import java.util.Locale;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLSession;
import org.eclipse.jetty.util.ssl.SniX509ExtendedKeyManager.SniSelector;
import org.eclipse.jetty.util.ssl.SslContextFactory;
import org.eclipse.jetty.util.ssl.X509;

/**
 * Jetty's SNI host matching, with one change: a handshake whose SNI selects no certificate (none
 * sent, as by librtmp, or an unknown name) gets the default certificate, {@code cert-0}.
 *
 * <p>Jetty 12.1.14 itself answers such handshakes with {@link SniSelector#DELEGATE}, which hands
 * the choice to the JDK key manager; that picks the first alias of the requested key type in its
 * HashMap's order, not the first configured one (with 20 aliases it picks {@code cert-9}). Jetty
 * only consults this selector when it has several host names to choose from; otherwise {@code
 * setCertAlias(cert-0)} on the factory makes the same choice.
 *
 * <p>The JDK asks once per key type, in the client's order of preference (TLS 1.3 signature
 * schemes) or the server's cipher suite order (TLS 1.2). When it asks for a key type the default
 * does not have (an EC certificate while the default is RSA), answering nothing makes it ask for
 * the next key type, which reaches the default. Only a client that cannot verify the default's key
 * type at all gets the first certificate it can use instead of a failed handshake.
 */
final class DefaultCertificateSniSelector implements SniSelector {
  private final SslContextFactory.Server factory;

  /** {@code factory} does the host matching and knows the default certificate's key type. */
  DefaultCertificateSniSelector(SslContextFactory.Server factory) {
    this.factory = factory;
  }

  @Override
  public String sniSelect(
      String keyType,
      Principal[] issuers,
      SSLSession session,
      String sniHost,
      Collection<X509> certificates)
      throws SSLHandshakeException {
    String matched = factory.sniSelect(keyType, issuers, session, sniHost, certificates);
    if (!DELEGATE.equals(matched)) {
      // an alias for the SNI host, or null: that host's certificate has another key type
      return matched;
    }
    String defaultAlias = CertificateSet.DEFAULT_ALIAS;
    if (certificates.stream().anyMatch(c -> defaultAlias.equals(c.getAlias()))) {
      return defaultAlias;
    }
    X509 defaultCertificate = factory.getX509(defaultAlias);
    if (defaultCertificate == null) {
      // Jetty leaves certificates with the keyCertSign usage out of SNI matching; the factory's
      // cert alias (cert-0) still serves it when the key type fits
      return DELEGATE;
    }
    if (clientAccepts(session, defaultCertificate.getCertificate().getPublicKey().getAlgorithm())) {
      return null; // the JDK will ask for the default's key type later
    }
    return certificates.stream()
        .map(X509::getAlias)
        .min(Comparator.comparingInt(DefaultCertificateSniSelector::aliasIndex))
        .orElse(null);
  }

  /** Whether the client's signature algorithms allow a certificate with this key algorithm. */
  private static boolean clientAccepts(SSLSession session, String keyAlgorithm) {
    if (!(session instanceof ExtendedSSLSession extended)) {
      return true;
    }
    String[] algorithms = extended.getPeerSupportedSignatureAlgorithms();
    if (algorithms == null || algorithms.length == 0) {
      return true; // not told: assume the default works, as TLS 1.2 without the extension implies
    }
    // JDK names: SHA256withECDSA, RSASSA-PSS, SHA256withRSA, Ed25519, ...
    String marker = "EC".equals(keyAlgorithm) ? "ECDSA" : keyAlgorithm.toUpperCase(Locale.ROOT);
    for (String algorithm : algorithms) {
      if (algorithm.toUpperCase(Locale.ROOT).contains(marker)) {
        return true;
      }
    }
    return false;
  }

  private static int aliasIndex(String alias) {
    try {
      return Integer.parseInt(alias.substring(alias.lastIndexOf('-') + 1));
    } catch (RuntimeException e) {
      return Integer.MAX_VALUE; // not one of ours; last
    }
  }
}
