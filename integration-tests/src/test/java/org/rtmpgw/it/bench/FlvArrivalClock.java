package org.rtmpgw.it.bench;

import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Reads an FLV byte stream as it arrives (a player's stdout) and notes when each tag is complete,
 * keyed by tag type and timestamp, so two players of the same live stream can be compared packet
 * by packet. Time-to-first-frame and probing do not enter the comparison: only packets both
 * players received count.
 */
final class FlvArrivalClock implements Runnable {
  private final InputStream in;
  private final Map<String, Long> arrivals = new ConcurrentHashMap<>();
  private volatile long bytes;
  private volatile IOException failure;

  FlvArrivalClock(InputStream in) {
    this.in = in;
  }

  @Override
  public void run() {
    try (DataInputStream data = new DataInputStream(in)) {
      byte[] header = new byte[9];
      data.readFully(header);
      if (header[0] != 'F' || header[1] != 'L' || header[2] != 'V') {
        throw new IOException("not an FLV stream");
      }
      data.skipBytes((header[5] & 0xff) << 24 | (header[6] & 0xff) << 16 | (header[7] & 0xff) << 8
          | (header[8] & 0xff) - 9);
      data.readInt(); // PreviousTagSize0
      byte[] tag = new byte[11];
      while (true) {
        data.readFully(tag);
        int type = tag[0] & 0x1f;
        int size = (tag[1] & 0xff) << 16 | (tag[2] & 0xff) << 8 | (tag[3] & 0xff);
        long ts =
            ((tag[7] & 0xffL) << 24)
                | ((tag[4] & 0xffL) << 16)
                | ((tag[5] & 0xffL) << 8)
                | (tag[6] & 0xffL);
        data.skipNBytes(size);
        data.readInt(); // PreviousTagSize
        long now = System.nanoTime();
        arrivals.putIfAbsent(type + ":" + ts, now);
        bytes += 11 + size + 4;
      }
    } catch (EOFException e) {
      // the player ended
    } catch (IOException e) {
      failure = e;
    }
  }

  Map<String, Long> arrivals() {
    return arrivals;
  }

  long bytes() {
    return bytes;
  }

  IOException failure() {
    return failure;
  }
}
