package org.rtmpgw.gateway.upstream;

import org.eclipse.jetty.io.ArrayByteBufferPool;
import org.eclipse.jetty.io.ByteBufferPool;

/** What a Jetty buffer pool can tell about the buffers it handed out. */
public final class BufferPools {
  private BufferPools() {}

  /**
   * Pooled buffers taken and not given back: zero on a quiet gateway, so a leak shows as a count
   * that never returns to it. Buffers the pool hands out beyond what it keeps are not counted.
   * -1 if the pool cannot tell.
   */
  public static long inUse(ByteBufferPool pool) {
    if (pool instanceof ArrayByteBufferPool array) {
      return array.getDirectByteBufferCount()
          - array.getAvailableDirectByteBufferCount()
          + array.getHeapByteBufferCount()
          - array.getAvailableHeapByteBufferCount();
    }
    return -1;
  }
}
