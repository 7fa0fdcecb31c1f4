package org.rtmpgw.gateway.tls;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.UnrecoverableKeyException;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** Reads every private key entry of a PKCS#12 file, in the order the file lists them. */
final class Pkcs12Certificates {
  private Pkcs12Certificates() {}

  static List<ServedCertificate> read(Path file, String password) throws TlsSetupException {
    byte[] bytes = CertificateFiles.read(file);
    char[] secret = password == null ? new char[0] : password.toCharArray();
    KeyStore store;
    try {
      store = KeyStore.getInstance("PKCS12");
      store.load(new ByteArrayInputStream(bytes), secret);
    } catch (IOException e) {
      if (e.getCause() instanceof UnrecoverableKeyException) {
        throw new TlsSetupException(file, "wrong PKCS#12 password (or the file is damaged)", e);
      }
      throw new TlsSetupException(file, "not a readable PKCS#12 file: " + Messages.rootCause(e), e);
    } catch (GeneralSecurityException e) {
      throw new TlsSetupException(file, "not a readable PKCS#12 file: " + Messages.rootCause(e), e);
    }
    List<ServedCertificate> served = new ArrayList<>();
    try {
      for (String alias : Collections.list(store.aliases())) {
        if (!store.isKeyEntry(alias)) {
          continue;
        }
        Key key = store.getKey(alias, secret);
        Certificate[] chain = store.getCertificateChain(alias);
        if (!(key instanceof PrivateKey privateKey) || chain == null || chain.length == 0) {
          throw new TlsSetupException(
              file, "entry '" + alias + "' has no private key with a certificate chain");
        }
        List<X509Certificate> x509Chain = new ArrayList<>(chain.length);
        for (Certificate certificate : chain) {
          if (!(certificate instanceof X509Certificate x509)) {
            throw new TlsSetupException(
                file, "entry '" + alias + "' holds a non-X.509 certificate");
          }
          x509Chain.add(x509);
        }
        KeyPairCheck.requireMatch(privateKey, x509Chain.get(0), file, file);
        served.add(new ServedCertificate(privateKey, x509Chain, file));
      }
    } catch (UnrecoverableKeyException e) {
      throw new TlsSetupException(
          file, "a private key is protected by a password other than the keystore password", e);
    } catch (GeneralSecurityException e) {
      throw new TlsSetupException(file, "cannot read keystore entry: " + Messages.rootCause(e), e);
    }
    if (served.isEmpty()) {
      throw new TlsSetupException(
          file, "contains no private key entry (only trusted certificates?)");
    }
    return served;
  }
}
