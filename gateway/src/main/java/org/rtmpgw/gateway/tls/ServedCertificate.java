package org.rtmpgw.gateway.tls;

import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.List;

/**
 * A private key with its certificate chain (leaf first), ready to go into the key store.
 *
 * @param source the file the certificate came from, for messages and {@link CertificateInfo}
 */
record ServedCertificate(PrivateKey key, List<X509Certificate> chain, Path source) {

  ServedCertificate {
    chain = List.copyOf(chain);
  }

  X509Certificate leaf() {
    return chain.get(0);
  }
}
