package org.rtmpgw.gateway.tls;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/** Reads a certificate, key or keystore file whole, turning I/O failures into one-line reasons. */
final class CertificateFiles {
  /**
   * Certificate chains, keys and keystores are a few kilobytes; anything this large is the wrong
   * file, and reading it whole on every reload check would be wasteful.
   */
  static final long MAX_BYTES = 1024 * 1024;

  private CertificateFiles() {}

  static byte[] read(Path file) throws TlsSetupException {
    if (Files.isDirectory(file)) {
      throw new TlsSetupException(file, "is a directory, expected a file");
    }
    try {
      long size = Files.size(file);
      if (size > MAX_BYTES) {
        throw new TlsSetupException(
            file, "is " + size + " bytes, too large for a certificate file");
      }
      byte[] bytes = Files.readAllBytes(file);
      if (bytes.length == 0 || isBlank(bytes)) {
        throw new TlsSetupException(file, "file is empty");
      }
      return bytes;
    } catch (NoSuchFileException e) {
      throw new TlsSetupException(file, "file not found");
    } catch (AccessDeniedException e) {
      throw new TlsSetupException(file, "permission denied (cannot read the file)");
    } catch (IOException e) {
      throw new TlsSetupException(file, "cannot read: " + e.getMessage(), e);
    }
  }

  private static boolean isBlank(byte[] bytes) {
    for (byte b : bytes) {
      if (!Character.isWhitespace(b)) {
        return false;
      }
    }
    return true;
  }
}
