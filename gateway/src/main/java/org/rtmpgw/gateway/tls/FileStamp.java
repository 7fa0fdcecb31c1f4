package org.rtmpgw.gateway.tls;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;

/**
 * What a certificate file looks like from outside, to notice a change without reading it.
 *
 * <p>The path is resolved through symlinks: certbot's {@code live/} links and Kubernetes secret
 * mounts ({@code ..data} swapped to a new directory) replace a link target, which leaves the link's
 * own attributes alone. The file key (device and inode on POSIX) catches a file replaced by rename
 * that happens to have the same size and time.
 *
 * @param problem why the file could not be examined (missing, unreadable), or null
 */
record FileStamp(Path realPath, long size, FileTime lastModified, Object fileKey, String problem) {

  static FileStamp of(Path file) {
    try {
      Path real = file.toRealPath();
      BasicFileAttributes attributes = Files.readAttributes(real, BasicFileAttributes.class);
      return new FileStamp(
          real, attributes.size(), attributes.lastModifiedTime(), attributes.fileKey(), null);
    } catch (IOException e) {
      return new FileStamp(
          null, -1, null, null, e.getClass().getSimpleName() + ": " + e.getMessage());
    }
  }
}
