package org.rtmpgw.gateway.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A scripted stand-in for an RTMP server, on {@code 127.0.0.1:0}, built on plain blocking sockets.
 *
 * <p>It accepts every connection, applies the current {@link Policy} to it (modelled on OkHttp's
 * {@code SocketPolicy}), records every byte it reads, and lets the test write, half-close, reset or
 * stop reading each connection. Nothing here speaks RTMP: the gateway is a byte forwarder, so the
 * tests only need to see bytes go through unchanged.
 */
public final class FakeRtmpUpstream implements AutoCloseable {

  /** What happens to connections accepted from now on. */
  public enum Policy {
    /** Read and record everything until the peer closes. */
    NORMAL,
    /** Accept, then never read: the gateway's writes fill the TCP windows and stall. */
    BLACKHOLE,
    /** Accept, then reset at once (SO_LINGER 0 + close): the gateway sees an RST. */
    RESET_ON_ACCEPT,
    /** Accept, then half-close at once (FIN) while still reading. */
    FIN_ON_ACCEPT
  }

  /** How long reads block between checks of the stop-reading flag. */
  private static final int READ_POLL_MILLIS = 20;

  private final ServerSocket server;
  private final ExecutorService threads;
  private final List<Connection> connections = new CopyOnWriteArrayList<>();
  private final BlockingQueue<Connection> unclaimed = new LinkedBlockingQueue<>();
  private volatile Policy policy = Policy.NORMAL;
  private volatile int sendBufferBytes; // 0 = kernel default (auto-tuned)
  private volatile boolean closed;

  private FakeRtmpUpstream() throws IOException {
    server = new ServerSocket();
    server.setReuseAddress(true);
    server.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
    AtomicInteger n = new AtomicInteger();
    threads =
        Executors.newCachedThreadPool(
            r -> {
              Thread t = new Thread(r, "fake-rtmp-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    threads.execute(this::acceptLoop);
  }

  /** Starts a fake upstream listening on an ephemeral loopback port. */
  public static FakeRtmpUpstream start() throws IOException {
    return new FakeRtmpUpstream();
  }

  public int port() {
    return server.getLocalPort();
  }

  /** {@code 127.0.0.1:port}, the value for the gateway's {@code upstream} setting. */
  public String hostPort() {
    return server.getInetAddress().getHostAddress() + ":" + port();
  }

  /** Sets the policy for connections accepted after this call. */
  public FakeRtmpUpstream policy(Policy policy) {
    this.policy = policy;
    return this;
  }

  /**
   * Fixes SO_SNDBUF of connections accepted from now on (0 = kernel auto-tuning), so that a test of
   * back-pressure does not depend on how much the kernel is willing to buffer.
   */
  public FakeRtmpUpstream sendBufferBytes(int bytes) {
    this.sendBufferBytes = bytes;
    return this;
  }

  public int connectionCount() {
    return connections.size();
  }

  public List<Connection> connections() {
    return List.copyOf(connections);
  }

  /**
   * Returns the oldest accepted connection not yet returned by this method, waiting for one.
   *
   * @throws AssertionError if none arrives in time
   */
  public Connection awaitConnection(Duration timeout) throws InterruptedException {
    Connection c = unclaimed.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
    if (c == null) {
      throw new AssertionError(
          "fake upstream: no new connection within " + timeout.toMillis() + " ms");
    }
    return c;
  }

  private void acceptLoop() {
    while (!closed) {
      Socket socket;
      try {
        socket = server.accept();
      } catch (IOException e) {
        return; // closed
      }
      try {
        Connection c = new Connection(socket, connections.size());
        connections.add(c);
        unclaimed.add(c);
        c.begin(policy);
      } catch (IOException e) {
        closeQuietly(socket);
      }
    }
  }

  @Override
  public void close() {
    closed = true;
    closeQuietly(server);
    for (Connection c : connections) {
      c.closeQuietlyFromTest();
    }
    threads.shutdownNow();
  }

  private static void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception ignored) {
      // test teardown
    }
  }

  /** One accepted connection: what it received, and the misbehaviours a test can trigger. */
  public final class Connection {
    private final Socket socket;
    private final int index;
    private final InputStream in;
    private final OutputStream out;
    private final Object lock = new Object();
    private byte[] received = new byte[4096];
    private int size;
    private boolean readingAllowed = true;
    private boolean readerParked;
    private volatile boolean closedByPeer;
    private volatile boolean resetByPeer;
    private volatile boolean closedByUs;
    private final CountDownLatch readerDone = new CountDownLatch(1);

    private Connection(Socket socket, int index) throws IOException {
      this.socket = socket;
      this.index = index;
      socket.setTcpNoDelay(true);
      if (sendBufferBytes > 0) {
        socket.setSendBufferSize(sendBufferBytes);
      }
      socket.setSoTimeout(READ_POLL_MILLIS);
      this.in = socket.getInputStream();
      this.out = socket.getOutputStream();
    }

    private void begin(Policy p) {
      switch (p) {
        case NORMAL -> threads.execute(this::readLoop);
        case BLACKHOLE -> {
          synchronized (lock) {
            readingAllowed = false;
          }
          threads.execute(this::readLoop);
        }
        case RESET_ON_ACCEPT -> {
          reset();
          readerDone.countDown();
        }
        case FIN_ON_ACCEPT -> {
          closeOutput();
          threads.execute(this::readLoop);
        }
      }
    }

    private void readLoop() {
      byte[] buf = new byte[8192];
      try {
        while (true) {
          synchronized (lock) {
            while (!readingAllowed && !closedByUs) {
              readerParked = true;
              lock.notifyAll();
              lock.wait();
            }
            readerParked = false;
            if (closedByUs) {
              return;
            }
          }
          int n;
          try {
            n = in.read(buf);
          } catch (SocketTimeoutException e) {
            continue; // re-check the stop-reading flag
          }
          if (n < 0) {
            closedByPeer = true;
            return;
          }
          synchronized (lock) {
            if (size + n > received.length) {
              received = Arrays.copyOf(received, Math.max(received.length * 2, size + n));
            }
            System.arraycopy(buf, 0, received, size, n);
            size += n;
            lock.notifyAll();
          }
        }
      } catch (SocketException e) {
        if (!closedByUs) {
          // "Connection reset": the gateway aborted its side
          resetByPeer = true;
          closedByPeer = true;
        }
      } catch (IOException e) {
        if (!closedByUs) {
          closedByPeer = true;
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } finally {
        synchronized (lock) {
          readerParked = true;
          lock.notifyAll();
        }
        readerDone.countDown();
      }
    }

    /** Index of this connection in accept order, from 0. */
    public int index() {
      return index;
    }

    /** A copy of every byte received so far. */
    public byte[] received() {
      synchronized (lock) {
        return Arrays.copyOf(received, size);
      }
    }

    public int receivedCount() {
      synchronized (lock) {
        return size;
      }
    }

    /**
     * Waits until at least {@code n} bytes have been received and returns a copy of all of them
     * (possibly more than {@code n}; compare the whole array to check nothing extra arrived).
     *
     * @throws AssertionError if fewer arrive in time
     */
    public byte[] awaitBytes(int n, Duration timeout) throws InterruptedException {
      long deadline = System.nanoTime() + timeout.toNanos();
      synchronized (lock) {
        while (size < n) {
          long left = deadline - System.nanoTime();
          if (left <= 0) {
            throw new AssertionError(
                "fake upstream connection "
                    + index
                    + ": expected at least "
                    + n
                    + " bytes within "
                    + timeout.toMillis()
                    + " ms, received "
                    + size);
          }
          TimeUnit.NANOSECONDS.timedWait(lock, left);
        }
        return Arrays.copyOf(received, size);
      }
    }

    /** Writes bytes to the gateway; blocks while the TCP window is full. */
    public void send(byte[] bytes) throws IOException {
      synchronized (out) {
        out.write(bytes);
        out.flush();
      }
    }

    /**
     * Writes {@code data} from a background thread in {@code chunk}-byte writes, as fast as the
     * TCP window allows, counting what each completed write delivered to the kernel.
     */
    public BackgroundWrite sendInBackground(byte[] data, int chunk) {
      BackgroundWrite w = new BackgroundWrite(data.length);
      threads.execute(
          () -> {
            try {
              for (int off = 0; off < data.length; off += chunk) {
                int len = Math.min(chunk, data.length - off);
                synchronized (out) {
                  out.write(data, off, len);
                }
                w.written.addAndGet(len);
              }
              out.flush();
            } catch (IOException | RuntimeException e) {
              w.failure.set(e);
            } finally {
              w.done.countDown();
            }
          });
      return w;
    }

    /** Half-closes: sends FIN, keeps reading. */
    public void closeOutput() {
      try {
        socket.shutdownOutput();
      } catch (IOException e) {
        throw new AssertionError("shutdownOutput failed", e);
      }
    }

    /** Aborts with an RST (SO_LINGER 0, then close). */
    public void reset() {
      try {
        socket.setSoLinger(true, 0);
      } catch (IOException ignored) {
        // already closed
      }
      closeQuietlyFromTest();
    }

    /**
     * Stops reading for good (until {@link #resumeReading()}): the gateway's writes then fill the
     * socket buffers and stall. Returns once the reader is parked, so no byte is read afterwards.
     */
    public void stopReading() throws InterruptedException {
      synchronized (lock) {
        readingAllowed = false;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        while (!readerParked) {
          long left = deadline - System.nanoTime();
          if (left <= 0) {
            throw new AssertionError("reader did not stop");
          }
          TimeUnit.NANOSECONDS.timedWait(lock, left);
        }
      }
    }

    public void resumeReading() {
      synchronized (lock) {
        readingAllowed = true;
        lock.notifyAll();
      }
    }

    /** True once the gateway closed its side: a read returned -1 (or the connection was reset). */
    public boolean closedByPeer() {
      return closedByPeer;
    }

    /** True if the gateway's close arrived as an RST rather than a FIN. */
    public boolean resetByPeer() {
      return resetByPeer;
    }

    /**
     * Waits until the gateway has closed this connection. Only detectable while reading, so a
     * stopped reader is resumed first (it then drains what is buffered, then sees the end).
     */
    public boolean awaitClosedByPeer(Duration timeout) throws InterruptedException {
      resumeReading();
      long deadline = System.nanoTime() + timeout.toNanos();
      while (!closedByPeer) {
        if (System.nanoTime() > deadline || readerDone.getCount() == 0 && !closedByPeer) {
          return closedByPeer;
        }
        Thread.sleep(10);
      }
      return true;
    }

    private void closeQuietlyFromTest() {
      closedByUs = true;
      synchronized (lock) {
        lock.notifyAll();
      }
      closeQuietly(socket);
    }

    @Override
    public String toString() {
      return "fake upstream connection " + index + " (" + socket.getRemoteSocketAddress() + ")";
    }
  }

  /** Progress of {@link Connection#sendInBackground}. */
  public static final class BackgroundWrite {
    private final int total;
    private final AtomicLong written = new AtomicLong();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final CountDownLatch done = new CountDownLatch(1);

    private BackgroundWrite(int total) {
      this.total = total;
    }

    /** Bytes handed to the kernel so far (whole completed writes). */
    public long bytesWritten() {
      return written.get();
    }

    public boolean isDone() {
      return done.getCount() == 0;
    }

    public Throwable failure() {
      return failure.get();
    }

    /** Waits for the writer to finish; true if it wrote everything without failing. */
    public boolean await(Duration timeout) throws InterruptedException {
      return done.await(timeout.toMillis(), TimeUnit.MILLISECONDS)
          && failure.get() == null
          && written.get() == total;
    }
  }
}
