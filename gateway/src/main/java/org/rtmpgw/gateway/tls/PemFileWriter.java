package org.rtmpgw.gateway.tls;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.PrivateKey;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.Set;

/** Writes PEM files whole (temporary file, then rename) so a reader never sees half a file. */
final class PemFileWriter {
  private static final Set<PosixFilePermission> OWNER_ONLY =
      PosixFilePermissions.fromString("rw-------");
  private static final Set<PosixFilePermission> WORLD_READABLE =
      PosixFilePermissions.fromString("rw-r--r--");
  private static final Base64.Encoder BASE64 =
      Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII));

  private PemFileWriter() {}

  static void writeCertificate(Path file, X509Certificate certificate) throws IOException {
    try {
      write(file, pem("CERTIFICATE", certificate.getEncoded()), WORLD_READABLE);
    } catch (CertificateEncodingException e) {
      throw new IOException("cannot encode certificate", e);
    }
  }

  /** Writes the key as unencrypted PKCS#8, readable only by its owner where POSIX modes exist. */
  static void writePrivateKey(Path file, PrivateKey key) throws IOException {
    write(file, pem("PRIVATE KEY", key.getEncoded()), OWNER_ONLY);
  }

  static String pem(String type, byte[] der) {
    return "-----BEGIN "
        + type
        + "-----\n"
        + BASE64.encodeToString(der)
        + "\n-----END "
        + type
        + "-----\n";
  }

  private static void write(Path file, String text, Set<PosixFilePermission> mode)
      throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    boolean posix = dir.getFileSystem().supportedFileAttributeViews().contains("posix");
    // created with the final mode (temporary files start as owner-only on POSIX), so the key is
    // never readable by others, not even for a moment
    Path temporary =
        posix
            ? Files.createTempFile(
                dir, ".tmp-", ".pem", PosixFilePermissions.asFileAttribute(OWNER_ONLY))
            : Files.createTempFile(dir, ".tmp-", ".pem");
    try {
      Files.writeString(temporary, text, StandardCharsets.US_ASCII);
      if (posix) {
        Files.setPosixFilePermissions(temporary, mode);
      }
      try {
        Files.move(
            temporary, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(temporary, file, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(temporary);
    }
  }
}
