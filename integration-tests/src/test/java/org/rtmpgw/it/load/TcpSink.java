package org.rtmpgw.it.load;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * The upstream of {@link LoadBench}: a tiny non-blocking TCP server, run as its own process (own
 * file-descriptor limit, own CPU figure), that accepts every connection and holds it.
 *
 * <p>To each connection it answers the RTMP simple handshake (C0+C1 in, S0+S1+S2 out with S2 the
 * echo of C1, as nginx-rtmp does for a non-digest client) and then reads and discards whatever
 * comes (C2 and anything after). It never closes a connection first.
 *
 * <p>It stands in for nginx-rtmp because the harness's nginx is configured with {@code
 * worker_connections 1024} (one worker), so it cannot hold thousands of upstream connections; and
 * nginx-rtmp's own timers ({@code timeout}, {@code ping}/{@code ping_timeout}, 60 s/30 s by
 * default) would apply to tunnels that never send {@code connect}, so a load of idle tunnels would
 * partly measure nginx rather than the gateway.
 *
 * <p>Usage: {@code TcpSink STATUS_FILE}. It binds 127.0.0.1 on a free port and every 500 ms
 * rewrites {@code STATUS_FILE} (atomically) with {@code port=P open=N accepted=A closed=C
 * handshakes=H bytes_in=B}. It runs until killed.
 */
public final class TcpSink {
  private static final int C0C1 = 1 + 1536;
  private static final int BACKLOG = 4096;

  private TcpSink() {}

  /** State of one accepted connection. */
  private static final class Conn {
    final byte[] c0c1 = new byte[C0C1];
    int got;
    ByteBuffer pending;
  }

  public static void main(String[] args) throws IOException {
    Path status = Path.of(args[0]);
    Selector selector = Selector.open();
    ServerSocketChannel server = ServerSocketChannel.open();
    server.bind(new InetSocketAddress("127.0.0.1", 0), BACKLOG);
    server.configureBlocking(false);
    server.register(selector, SelectionKey.OP_ACCEPT);
    int port = ((InetSocketAddress) server.getLocalAddress()).getPort();
    ByteBuffer buffer = ByteBuffer.allocateDirect(64 * 1024);
    long open = 0;
    long accepted = 0;
    long closed = 0;
    long handshakes = 0;
    long bytesIn = 0;
    long nextStatus = 0;
    while (true) {
      long now = System.nanoTime();
      if (now - nextStatus >= 0) {
        writeStatus(status, "port=" + port + " open=" + open + " accepted=" + accepted + " closed="
            + closed + " handshakes=" + handshakes + " bytes_in=" + bytesIn + "\n");
        nextStatus = now + 500_000_000L;
      }
      selector.select(200);
      for (SelectionKey key : selector.selectedKeys()) {
        try {
          if (!key.isValid()) {
            continue;
          }
          if (key.isAcceptable()) {
            try {
              SocketChannel c;
              while ((c = server.accept()) != null) {
                c.configureBlocking(false);
                c.register(selector, SelectionKey.OP_READ, new Conn());
                open++;
                accepted++;
              }
            } catch (IOException e) {
              System.err.println("accept failed: " + e); // e.g. out of file descriptors; go on
            }
            continue;
          }
          SocketChannel c = (SocketChannel) key.channel();
          Conn conn = (Conn) key.attachment();
          if (key.isWritable() && conn.pending != null) {
            c.write(conn.pending);
            if (!conn.pending.hasRemaining()) {
              conn.pending = null;
              key.interestOps(SelectionKey.OP_READ);
            }
          }
          if (key.isReadable()) {
            buffer.clear();
            int n = c.read(buffer);
            if (n < 0) {
              key.cancel();
              c.close();
              open--;
              closed++;
              continue;
            }
            bytesIn += n;
            buffer.flip();
            if (conn.got < C0C1) {
              int take = Math.min(C0C1 - conn.got, buffer.remaining());
              buffer.get(conn.c0c1, conn.got, take);
              conn.got += take;
              if (conn.got == C0C1) {
                handshakes++;
                ByteBuffer reply = ByteBuffer.allocate(1 + 1536 + 1536);
                reply.put((byte) 3); // S0: plain RTMP
                reply.putInt((int) (System.currentTimeMillis() & 0x7fffffff)); // S1 time
                reply.putInt(0); // S1 zero
                for (int i = 0; i < 1528; i++) {
                  reply.put((byte) (i * 31 + 7)); // S1 "random" bytes
                }
                reply.put(conn.c0c1, 1, 1536); // S2: echo of C1
                reply.flip();
                c.write(reply);
                if (reply.hasRemaining()) {
                  conn.pending = reply;
                  key.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
                }
              }
            }
          }
        } catch (IOException e) {
          key.cancel();
          try {
            key.channel().close();
          } catch (IOException ignored) {
            // closing anyway
          }
          open--;
          closed++;
        }
      }
      selector.selectedKeys().clear();
    }
  }

  private static void writeStatus(Path status, String text) throws IOException {
    Path tmp = status.resolveSibling(status.getFileName() + ".tmp");
    Files.writeString(tmp, text, StandardCharsets.US_ASCII);
    Files.move(tmp, status, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }
}
