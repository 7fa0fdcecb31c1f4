package org.rtmpgw.gateway.tls;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/** Reads a certificate chain file: one or more {@code BEGIN CERTIFICATE} blocks, leaf first. */
final class PemCertificates {
  private PemCertificates() {}

  static List<X509Certificate> readChain(Path file) throws TlsSetupException {
    byte[] bytes = CertificateFiles.read(file);
    Collection<? extends Certificate> parsed;
    try {
      parsed = CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(bytes));
    } catch (CertificateException e) {
      throw new TlsSetupException(file, whyNoCertificate(bytes, e), e);
    }
    if (parsed.isEmpty()) {
      throw new TlsSetupException(file, whyNoCertificate(bytes, null));
    }
    List<X509Certificate> chain = new ArrayList<>(parsed.size());
    for (Certificate certificate : parsed) {
      chain.add((X509Certificate) certificate);
    }
    return chain;
  }

  private static String whyNoCertificate(byte[] bytes, CertificateException failure) {
    String text = new String(bytes, StandardCharsets.ISO_8859_1);
    if (!text.contains("-----BEGIN CERTIFICATE-----")) {
      if (text.contains("PRIVATE KEY-----")) {
        return "contains a private key, not a certificate (are the certificate and key paths swapped?)";
      }
      return "no certificate found (expected a PEM '-----BEGIN CERTIFICATE-----' block)";
    }
    return "cannot parse certificate: " + Messages.rootCause(failure);
  }
}
