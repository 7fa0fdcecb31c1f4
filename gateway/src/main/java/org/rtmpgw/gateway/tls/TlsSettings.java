package org.rtmpgw.gateway.tls;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * Where the gateway's TLS certificates come from and how they are served.
 *
 * @param pemPairs PEM certificate chains with their keys; the first one is the default certificate,
 *     served when a client sends no SNI or an SNI that matches no certificate
 * @param pkcs12File a PKCS#12 keystore, or null; its key entries are served after the PEM pairs
 * @param pkcs12Password the keystore password, null or empty for none
 * @param generatedCertificateDir where a self-signed pair is kept when neither PEM nor PKCS#12 is
 *     configured
 * @param reloadCheckInterval how often the certificate files are checked for changes; {@link
 *     Duration#ZERO} never checks
 * @param tls13SessionTickets false: never send a TLS 1.3 NewSessionTicket, which librtmp cannot
 *     handle
 */
public record TlsSettings(
    List<PemPair> pemPairs,
    Path pkcs12File,
    String pkcs12Password,
    Path generatedCertificateDir,
    Duration reloadCheckInterval,
    boolean tls13SessionTickets) {

  public TlsSettings {
    pemPairs = pemPairs == null ? List.of() : List.copyOf(pemPairs);
    Objects.requireNonNull(reloadCheckInterval, "reloadCheckInterval");
    if (reloadCheckInterval.isNegative()) {
      throw new IllegalArgumentException("reloadCheckInterval is negative: " + reloadCheckInterval);
    }
  }

  /** True when the operator configured certificates; false means a self-signed one is used. */
  public boolean hasConfiguredCertificates() {
    return !pemPairs.isEmpty() || pkcs12File != null;
  }
}
