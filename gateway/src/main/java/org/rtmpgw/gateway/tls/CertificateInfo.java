package org.rtmpgw.gateway.tls;

import java.nio.file.Path;
import java.security.cert.CertificateParsingException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * One certificate being served, described for logs and metrics.
 *
 * @param alias the key store alias Jetty selects it by ({@code cert-0} is the default)
 * @param subject the subject distinguished name (RFC 2253)
 * @param hostNames the subject alternative names of type DNS and IP address
 * @param notAfter end of validity
 * @param sha256Fingerprint as printed by {@code openssl x509 -fingerprint -sha256}
 * @param source the PEM certificate file, PKCS#12 file or generated file it came from
 */
public record CertificateInfo(
    String alias,
    String subject,
    List<String> hostNames,
    Instant notAfter,
    String sha256Fingerprint,
    Path source) {

  private static final int SAN_DNS = 2;
  private static final int SAN_IP = 7;

  public CertificateInfo {
    hostNames = List.copyOf(hostNames);
  }

  static CertificateInfo of(String alias, X509Certificate leaf, Path source) {
    return new CertificateInfo(
        alias,
        leaf.getSubjectX500Principal().getName(),
        hostNames(leaf),
        leaf.getNotAfter().toInstant(),
        Fingerprints.sha256(leaf),
        source);
  }

  private static List<String> hostNames(X509Certificate leaf) {
    List<String> names = new ArrayList<>();
    try {
      Collection<List<?>> sans = leaf.getSubjectAlternativeNames();
      if (sans != null) {
        for (List<?> san : sans) {
          int type = (Integer) san.get(0);
          if (type == SAN_DNS || type == SAN_IP) {
            names.add(String.valueOf(san.get(1)));
          }
        }
      }
    } catch (CertificateParsingException e) {
      // a broken SAN extension only makes the description poorer; the TLS stack decides on use
    }
    return names;
  }

  /** One line for a log: fingerprint, subject, names, expiry and source. */
  public String describe() {
    return "SHA-256 "
        + sha256Fingerprint
        + " subject '"
        + subject
        + "' names "
        + hostNames
        + " valid until "
        + notAfter
        + " from "
        + source;
  }
}
