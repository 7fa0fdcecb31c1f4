package org.rtmpgw.gateway.rtmpt;

import jakarta.servlet.ServletInputStream;
import jakarta.servlet.ServletOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;

/**
 * How body bytes cross the servlet streams. The servlet API reads and writes arrays only; the
 * embedded server supplies one that gives Jetty pooled direct buffers as they are, which saves
 * a copy of every tunnelled byte in each direction (the JDK copies an array into a direct buffer
 * of its own for every socket write).
 */
public interface ServletIo {

  /** A buffer for a send's body, held by one request at a time, given back once. */
  interface Slice {
    /** The buffer, cleared by the caller before each fill. */
    ByteBuffer buffer();

    void release();
  }

  /** A buffer of {@code size} bytes for a send's body. */
  Slice slice(int size);

  /**
   * Reads what is ready into {@code into}, from its position up to its limit, without blocking.
   *
   * @return bytes read, or -1 at the end of the body
   */
  int read(ServletInputStream in, ByteBuffer into) throws IOException;

  /** Writes all of {@code part}, a view the writer may consume, in one non-blocking write. */
  void write(ServletOutputStream out, ByteBuffer part) throws IOException;

  /** For any container: heap slices, array parts as they are, direct ones copied to an array. */
  ServletIo PORTABLE =
      new ServletIo() {
        @Override
        public Slice slice(int size) {
          ByteBuffer buffer = ByteBuffer.allocate(size);
          return new Slice() {
            @Override
            public ByteBuffer buffer() {
              return buffer;
            }

            @Override
            public void release() {}
          };
        }

        @Override
        public int read(ServletInputStream in, ByteBuffer into) throws IOException {
          int n = in.read(into.array(), into.arrayOffset() + into.position(), into.remaining());
          if (n > 0) {
            into.position(into.position() + n);
          }
          return n;
        }

        @Override
        public void write(ServletOutputStream out, ByteBuffer part) throws IOException {
          if (part.hasArray()) {
            out.write(part.array(), part.arrayOffset() + part.position(), part.remaining());
          } else {
            byte[] copy = new byte[part.remaining()];
            part.get(copy);
            out.write(copy);
          }
        }
      };
}
