package org.rtmpgw.gateway.tls;

import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.PrivateKey;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.cert.X509CertificateHolder;
import org.bouncycastle.openssl.PEMEncryptedKeyPair;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;
import org.bouncycastle.pkcs.PKCS8EncryptedPrivateKeyInfo;

/**
 * Reads an unencrypted private key in PKCS#8 ({@code BEGIN PRIVATE KEY}), PKCS#1 ({@code BEGIN RSA
 * PRIVATE KEY}) or SEC1 ({@code BEGIN EC PRIVATE KEY}) form.
 *
 * <p>BouncyCastle only parses the PEM structures; the key objects come from the JDK's own providers
 * ({@link JcaPEMKeyConverter} without a provider). BouncyCastle is never registered as a JCE
 * provider: in the shaded jar its signature is stripped, and JDKs refuse unsigned providers.
 */
final class PemPrivateKeys {
  private static final String ENCRYPTED =
      "encrypted private keys are not supported; decrypt with openssl pkey -in KEY -out PLAIN-KEY"
          + " and keep the result readable only by the gateway's user";

  private PemPrivateKeys() {}

  static PrivateKey read(Path file) throws TlsSetupException {
    String text = new String(CertificateFiles.read(file), StandardCharsets.US_ASCII);
    JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
    PrivateKey key = null;
    boolean sawCertificate = false;
    try (PEMParser parser = new PEMParser(new StringReader(text))) {
      Object item;
      while ((item = parser.readObject()) != null) {
        PrivateKey found = null;
        if (item instanceof PEMKeyPair pair) {
          // the private part only: a SEC1 key may omit its public key, and getKeyPair then fails
          found = converter.getPrivateKey(pair.getPrivateKeyInfo());
        } else if (item instanceof PrivateKeyInfo info) {
          found = converter.getPrivateKey(info);
        } else if (item instanceof PEMEncryptedKeyPair
            || item instanceof PKCS8EncryptedPrivateKeyInfo) {
          throw new TlsSetupException(file, ENCRYPTED);
        } else if (item instanceof X509CertificateHolder) {
          sawCertificate = true;
        } else if (!(item instanceof ASN1ObjectIdentifier || item instanceof X9ECParameters)) {
          // EC PARAMETERS blocks (a curve name or explicit curve) precede SEC1 keys and are
          // repeated inside the key itself; anything else is not what this file should hold
          throw new TlsSetupException(
              file,
              "unexpected PEM content "
                  + item.getClass().getSimpleName()
                  + ", expected a private key");
        }
        if (found != null) {
          if (key != null) {
            throw new TlsSetupException(file, "contains more than one private key");
          }
          key = found;
        }
      }
    } catch (IOException | RuntimeException e) {
      throw new TlsSetupException(file, "cannot parse private key: " + Messages.rootCause(e), e);
    }
    if (key == null) {
      throw new TlsSetupException(
          file,
          sawCertificate
              ? "contains a certificate but no private key (are the certificate and key paths"
                  + " swapped?)"
              : "no private key found (expected PEM 'BEGIN PRIVATE KEY', 'BEGIN RSA PRIVATE KEY' or"
                  + " 'BEGIN EC PRIVATE KEY')");
    }
    if (!"RSA".equals(key.getAlgorithm()) && !"EC".equals(key.getAlgorithm())) {
      throw new TlsSetupException(
          file, "unsupported key algorithm " + key.getAlgorithm() + "; use an RSA or EC key");
    }
    return key;
  }
}
