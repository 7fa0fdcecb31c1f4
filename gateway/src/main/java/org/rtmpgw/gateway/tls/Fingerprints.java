package org.rtmpgw.gateway.tls;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;

/** Certificate fingerprints written the way {@code openssl x509 -fingerprint -sha256} does. */
public final class Fingerprints {
  private static final char[] HEX = "0123456789ABCDEF".toCharArray();

  private Fingerprints() {}

  /** SHA-256 of the DER encoding as colon-separated upper-case hex, e.g. {@code 3A:0F:...}. */
  public static String sha256(X509Certificate certificate) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(certificate.getEncoded());
      StringBuilder text = new StringBuilder(digest.length * 3);
      for (byte b : digest) {
        if (text.length() > 0) {
          text.append(':');
        }
        text.append(HEX[(b >> 4) & 0xF]).append(HEX[b & 0xF]);
      }
      return text.toString();
    } catch (NoSuchAlgorithmException | CertificateEncodingException e) {
      // every JDK has SHA-256, and a certificate we parsed can be encoded again
      throw new IllegalStateException(e);
    }
  }
}
