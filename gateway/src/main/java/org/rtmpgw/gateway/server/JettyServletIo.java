package org.rtmpgw.gateway.server;

import jakarta.servlet.ServletInputStream;
import jakarta.servlet.ServletOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import org.eclipse.jetty.ee10.servlet.HttpInput;
import org.eclipse.jetty.ee10.servlet.HttpOutput;
import org.eclipse.jetty.io.ByteBufferPool;
import org.eclipse.jetty.io.RetainableByteBuffer;
import org.rtmpgw.gateway.rtmpt.ServletIo;

/**
 * The embedded server's {@link ServletIo}: send bodies are read into pooled direct buffers, which
 * go upstream without the JDK's copy into a direct buffer of its own, and direct reply parts are
 * handed to Jetty's stream, which writes them whole and uncopied. Array reply parts keep the
 * servlet path, which sends a small reply together with its headers. Only the standalone jar
 * uses this: a webapp cannot see Jetty's own classes.
 */
final class JettyServletIo implements ServletIo {
  private final ByteBufferPool pool;

  JettyServletIo(ByteBufferPool pool) {
    this.pool = pool;
  }

  @Override
  public Slice slice(int size) {
    RetainableByteBuffer pooled = pool.acquire(size, true);
    ByteBuffer buffer = pooled.getByteBuffer();
    return new Slice() {
      @Override
      public ByteBuffer buffer() {
        return buffer;
      }

      @Override
      public void release() {
        pooled.release();
      }
    };
  }

  @Override
  public int read(ServletInputStream in, ByteBuffer into) throws IOException {
    if (in instanceof HttpInput jetty) {
      return jetty.read(into);
    }
    return PORTABLE.read(in, into);
  }

  @Override
  public void write(ServletOutputStream out, ByteBuffer part) throws IOException {
    if (part.isDirect() && out instanceof HttpOutput jetty) {
      jetty.write(part);
    } else {
      PORTABLE.write(out, part);
    }
  }
}
