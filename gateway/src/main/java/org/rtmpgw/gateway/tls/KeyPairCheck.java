package org.rtmpgw.gateway.tls;

import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.X509Certificate;

/**
 * Checks that a private key belongs to a certificate by signing with the key and verifying with the
 * certificate's public key; this works alike for RSA and EC without extracting key numbers.
 */
final class KeyPairCheck {
  private static final SecureRandom RANDOM = new SecureRandom();

  private KeyPairCheck() {}

  /**
   * @param keyFile named in the message when the check fails
   * @param certificateFile named in the message when the check fails
   */
  static void requireMatch(PrivateKey key, X509Certificate leaf, Path keyFile, Path certificateFile)
      throws TlsSetupException {
    if (!"RSA".equals(key.getAlgorithm()) && !"EC".equals(key.getAlgorithm())) {
      throw new TlsSetupException(
          keyFile, "unsupported key algorithm " + key.getAlgorithm() + "; use an RSA or EC key");
    }
    PublicKey publicKey = leaf.getPublicKey();
    if (!key.getAlgorithm().equals(publicKey.getAlgorithm())) {
      throw mismatch(
          keyFile,
          certificateFile,
          "the key is "
              + key.getAlgorithm()
              + " but the certificate's key is "
              + publicKey.getAlgorithm());
    }
    String algorithm = "EC".equals(key.getAlgorithm()) ? "SHA256withECDSA" : "SHA256withRSA";
    byte[] challenge = new byte[32];
    RANDOM.nextBytes(challenge);
    boolean matches;
    try {
      Signature signer = Signature.getInstance(algorithm);
      signer.initSign(key);
      signer.update(challenge);
      byte[] signature = signer.sign();
      Signature verifier = Signature.getInstance(algorithm);
      verifier.initVerify(publicKey);
      verifier.update(challenge);
      matches = verifier.verify(signature);
    } catch (GeneralSecurityException e) {
      // e.g. an EC key on a different curve than the certificate's key
      matches = false;
    }
    if (!matches) {
      throw mismatch(keyFile, certificateFile, "they are not a key pair");
    }
  }

  private static TlsSetupException mismatch(Path keyFile, Path certificateFile, String detail) {
    return new TlsSetupException(
        keyFile,
        "private key does not match the first (leaf) certificate in "
            + certificateFile
            + ": "
            + detail
            + " (the leaf certificate must come first in the chain file)");
  }
}
