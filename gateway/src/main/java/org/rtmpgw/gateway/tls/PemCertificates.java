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
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads a certificate chain file: one or more {@code BEGIN CERTIFICATE} blocks, leaf first. Other
 * PEM blocks are skipped, so a combined file (chain plus key, as haproxy uses) can serve as both
 * the chain and the key file. A file without PEM blocks is tried as DER.
 */
final class PemCertificates {
  private static final Pattern CERTIFICATE_BLOCK =
      Pattern.compile("-----BEGIN CERTIFICATE-----.*?-----END CERTIFICATE-----", Pattern.DOTALL);

  private PemCertificates() {}

  static List<X509Certificate> readChain(Path file) throws TlsSetupException {
    byte[] bytes = CertificateFiles.read(file);
    Collection<? extends Certificate> parsed;
    try {
      parsed =
          CertificateFactory.getInstance("X.509")
              .generateCertificates(new ByteArrayInputStream(certificateBlocks(bytes)));
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

  /**
   * Only the certificate blocks, since the JDK's parser stops at the first block of another type.
   */
  private static byte[] certificateBlocks(byte[] bytes) {
    Matcher blocks = CERTIFICATE_BLOCK.matcher(new String(bytes, StandardCharsets.ISO_8859_1));
    StringBuilder certificates = new StringBuilder();
    while (blocks.find()) {
      certificates.append(blocks.group()).append('\n');
    }
    return certificates.length() == 0
        ? bytes
        : certificates.toString().getBytes(StandardCharsets.ISO_8859_1);
  }

  private static String whyNoCertificate(byte[] bytes, CertificateException failure) {
    String text = new String(bytes, StandardCharsets.ISO_8859_1);
    if (!text.contains("-----BEGIN CERTIFICATE-----")) {
      if (text.contains("PRIVATE KEY-----")) {
        return "contains a private key, not a certificate (are the certificate and key paths"
            + " swapped?)";
      }
      return "no certificate found (expected a PEM '-----BEGIN CERTIFICATE-----' block)";
    }
    return "cannot parse certificate: " + Messages.rootCause(failure);
  }
}
