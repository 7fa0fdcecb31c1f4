package org.rtmpgw.it.load;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.PriorityQueue;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Many RTMPT clients on one non-blocking selector thread: each session has its own TCP connection
 * (HTTP/1.1 keep-alive, as a Flash player's), opens with {@code /open/1}, optionally completes the
 * RTMP simple handshake through the tunnel, then polls {@code /idle/<id>/<seq>} every interval
 * (with jitter) and finally closes with {@code /close/<id>/<seq>}.
 *
 * <p>One thread owns every session; the test thread talks to it through commands. A request's
 * latency runs from just before its bytes are written to the moment its whole answer has been
 * read. A request unanswered within the request timeout, or whose connection breaks, is retried
 * with the same seq on a new connection (the gateway replays the answer) up to {@link
 * #MAX_ATTEMPTS} times; each such event is counted.
 */
final class LoadClient implements AutoCloseable {
  private static final int MAX_ATTEMPTS = 3;
  private static final int C0C1 = 1 + 1536;
  private static final int S0S1S2 = 1 + 1536 + 1536;
  private static final int MAX_RESPONSE_BYTES = 1 << 20;
  private static final long SCAN_INTERVAL_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
  private static final byte[] ONE_ZERO = {0};

  record Settings(
      InetSocketAddress gateway,
      Duration pollInterval,
      double jitter,
      int openPerSecond,
      int maxConcurrentOpens,
      int closePerSecond,
      Duration requestTimeout,
      Duration handshakeTimeout,
      boolean handshake) {}

  /** What happened in one measurement window (owned by the loop until handed over). */
  static final class Window {
    final long startNanos = System.nanoTime();
    long endNanos;
    /** Steady-state idle polls: latency in microseconds. */
    final IntArray idleMicros = new IntArray();
    /** How late each steady poll was sent against its schedule (client lag), microseconds. */
    final IntArray lagMicros = new IntArray();
    final IntArray openMicros = new IntArray();
    final IntArray handshakeMicros = new IntArray();
    final TreeMap<Integer, Integer> statusErrors = new TreeMap<>();
    int timeouts;
    int connectionsBroken;
    int connectFailures;
    int closedByGateway;
    int handshakeMismatches;
    int handshakeTimeouts;
    int sessionsFailed;
    long unexpectedBytes;
    int closes;

    int errors() {
      int statuses = statusErrors.values().stream().mapToInt(Integer::intValue).sum();
      return statuses + timeouts + connectionsBroken + connectFailures + closedByGateway
          + handshakeMismatches + handshakeTimeouts + sessionsFailed;
    }

    double seconds() {
      return (endNanos - startNanos) / 1e9;
    }

    String describeErrors() {
      List<String> parts = new ArrayList<>();
      statusErrors.forEach((status, n) -> parts.add("HTTP " + status + ": " + n));
      add(parts, "timeouts", timeouts);
      add(parts, "broken connections", connectionsBroken);
      add(parts, "connect failures", connectFailures);
      add(parts, "closed by gateway", closedByGateway);
      add(parts, "handshake mismatches", handshakeMismatches);
      add(parts, "handshake timeouts", handshakeTimeouts);
      add(parts, "sessions failed", sessionsFailed);
      if (unexpectedBytes > 0) {
        parts.add("unexpected downstream bytes: " + unexpectedBytes);
      }
      return parts.isEmpty() ? "0" : errors() + " (" + String.join(", ", parts) + ")";
    }

    private static void add(List<String> parts, String what, int n) {
      if (n > 0) {
        parts.add(what + ": " + n);
      }
    }
  }

  /** A growable int array (latency samples without boxing). */
  static final class IntArray {
    private int[] values = new int[1024];
    private int size;

    void add(long v) {
      if (size == values.length) {
        values = Arrays.copyOf(values, size * 2);
      }
      values[size++] = (int) Math.min(Integer.MAX_VALUE, Math.max(Integer.MIN_VALUE, v));
    }

    int size() {
      return size;
    }

    /** Sorted copy. */
    int[] sorted() {
      int[] copy = Arrays.copyOf(values, size);
      Arrays.sort(copy);
      return copy;
    }

    /** Nearest-rank percentile of the samples (NaN when empty). */
    static double percentile(int[] sorted, double p) {
      if (sorted.length == 0) {
        return Double.NaN;
      }
      int rank = (int) Math.ceil(p / 100.0 * sorted.length);
      return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }
  }

  private enum Kind {
    OPEN,
    SEND_C0C1,
    HS_IDLE,
    SEND_C2,
    IDLE,
    CLOSE
  }

  private enum Phase {
    OPENING,
    STEADY,
    CLOSED,
    FAILED
  }

  private record Request(Kind kind, long seq, byte[] bytes) {}

  private final class Session {
    SocketChannel channel;
    SelectionKey key;
    boolean connected;
    Phase phase = Phase.OPENING;
    String id;
    long seq;
    Request inflight;
    ByteBuffer out;
    long sentNanos;
    int attempts;
    byte[] in = new byte[512];
    int inLen;
    long openedNanos;
    long timerGeneration;
    long dueNanos;
    boolean closeRequested;
    byte[] c0c1;
    byte[] handshake;
    int handshakeLen;
  }

  private record Timer(long due, Session session, long generation) {}

  private final Settings settings;
  private final Selector selector;
  private final Thread loop;
  private final ConcurrentLinkedQueue<Runnable> commands = new ConcurrentLinkedQueue<>();
  private final byte[] hostHeader;
  private volatile boolean running = true;
  private volatile Throwable loopFailure;

  // Owned by the loop thread.
  private final List<Session> sessions = new ArrayList<>();
  private final PriorityQueue<Timer> timers =
      new PriorityQueue<>((a, b) -> Long.compare(a.due, b.due));
  private final ArrayDeque<Session> toClose = new ArrayDeque<>();
  private final ByteBuffer readBuffer = ByteBuffer.allocate(64 * 1024);
  private final SplittableRandom random = new SplittableRandom(42);
  private int toOpen;
  private long nextOpenNanos;
  private long nextCloseNanos;
  private long nextScanNanos;
  private Window window = new Window();

  // Read by the test thread.
  private final AtomicInteger pending = new AtomicInteger(); // asked for, not yet steady or failed
  private final AtomicInteger steady = new AtomicInteger();
  private final AtomicInteger failed = new AtomicInteger();
  private final AtomicInteger closed = new AtomicInteger();

  LoadClient(Settings settings) throws IOException {
    this.settings = settings;
    this.selector = Selector.open();
    this.hostHeader = ("Host: " + settings.gateway().getHostString() + ":"
        + settings.gateway().getPort() + "\r\n").getBytes(StandardCharsets.US_ASCII);
    long now = System.nanoTime();
    this.nextOpenNanos = now;
    this.nextCloseNanos = now;
    this.nextScanNanos = now;
    this.loop = new Thread(this::run, "load-client");
    loop.setDaemon(true);
    loop.start();
  }

  /** Asks for {@code n} more sessions; they open at the configured rate. */
  void open(int n) {
    pending.addAndGet(n);
    command(() -> toOpen += n);
  }

  /** Sessions asked for that are neither polling steadily nor failed yet. */
  int pending() {
    return pending.get();
  }

  /** Sessions open and polling. */
  int steady() {
    return steady.get();
  }

  int failed() {
    return failed.get();
  }

  /** Sessions closed with an answered {@code /close}. */
  int closed() {
    return closed.get();
  }

  /** Ends the current measurement window, starts the next and returns the ended one. */
  Window swapWindow() throws Exception {
    return call(() -> {
      Window w = window;
      w.endNanos = System.nanoTime();
      window = new Window();
      return w;
    });
  }

  /** Closes every steady session with {@code /close} at the configured rate. */
  void closeAll() throws Exception {
    call(() -> {
      for (Session s : sessions) {
        if (s.phase == Phase.STEADY && !s.closeRequested) {
          toClose.add(s);
        }
      }
      return null;
    });
  }

  /** The loop's failure, if it died. */
  Throwable failure() {
    return loopFailure;
  }

  @Override
  public void close() throws InterruptedException {
    running = false;
    selector.wakeup();
    loop.join(TimeUnit.SECONDS.toMillis(30));
  }

  private void command(Runnable r) {
    commands.add(r);
    selector.wakeup();
  }

  private <T> T call(Supplier<T> s) throws Exception {
    CompletableFuture<T> f = new CompletableFuture<>();
    command(() -> {
      try {
        f.complete(s.get());
      } catch (RuntimeException e) {
        f.completeExceptionally(e);
      }
    });
    if (loopFailure != null) {
      throw new IllegalStateException("load client loop died", loopFailure);
    }
    return f.get(30, TimeUnit.SECONDS);
  }

  // ---------------------------------------------------------------- loop thread

  private void run() {
    try {
      while (running) {
        Runnable c;
        while ((c = commands.poll()) != null) {
          c.run();
        }
        long now = System.nanoTime();
        fireTimers(now);
        startOpens(now);
        startCloses(now);
        if (now - nextScanNanos >= 0) {
          scanTimeouts(now);
          nextScanNanos = now + SCAN_INTERVAL_NANOS;
        }
        long wait = nextScanNanos - now;
        Timer next = timers.peek();
        if (next != null) {
          wait = Math.min(wait, next.due - now);
        }
        if (toOpen > 0 && pending.get() - toOpen < settings.maxConcurrentOpens()) {
          wait = Math.min(wait, nextOpenNanos - now);
        }
        if (!toClose.isEmpty()) {
          wait = Math.min(wait, nextCloseNanos - now);
        }
        if (wait <= 0) {
          selector.selectNow();
        } else {
          // rounded up: a timer fires up to 1 ms late rather than the loop spinning until it is due
          selector.select((wait + 999_999) / 1_000_000);
        }
        for (SelectionKey key : selector.selectedKeys()) {
          Session s = (Session) key.attachment();
          if (!key.isValid() || key != s.key) {
            continue;
          }
          try {
            if (key.isConnectable()) {
              onConnectable(s);
            }
            if (key.isValid() && key == s.key && key.isWritable()) {
              flush(s);
            }
            if (key.isValid() && key == s.key && key.isReadable()) {
              onReadable(s);
            }
          } catch (IOException | RuntimeException e) {
            broken(s, e instanceof IOException io ? io : new IOException(e));
          }
        }
        selector.selectedKeys().clear();
      }
    } catch (Throwable t) {
      loopFailure = t;
    } finally {
      for (Session s : sessions) {
        closeChannel(s);
      }
      try {
        selector.close();
      } catch (IOException ignored) {
        // closing anyway
      }
    }
  }

  private void fireTimers(long now) {
    Timer t;
    while ((t = timers.peek()) != null && t.due - now <= 0) {
      timers.poll();
      Session s = t.session;
      if (t.generation != s.timerGeneration || s.phase != Phase.STEADY || s.inflight != null) {
        continue;
      }
      window.lagMicros.add((now - t.due) / 1_000);
      if (s.closeRequested) {
        issue(s, Kind.CLOSE, ONE_ZERO);
      } else {
        issue(s, Kind.IDLE, ONE_ZERO);
      }
    }
  }

  private void startOpens(long now) {
    long period = 1_000_000_000L / Math.max(1, settings.openPerSecond());
    if (now - nextOpenNanos > 1_000_000_000L) {
      nextOpenNanos = now; // no burst after a pause
    }
    while (toOpen > 0
        && pending.get() - toOpen < settings.maxConcurrentOpens()
        && now - nextOpenNanos >= 0) {
      toOpen--;
      nextOpenNanos += period;
      Session s = new Session();
      s.openedNanos = now;
      sessions.add(s);
      issue(s, Kind.OPEN, ONE_ZERO);
    }
  }

  private void startCloses(long now) {
    long period = 1_000_000_000L / Math.max(1, settings.closePerSecond());
    if (now - nextCloseNanos > 1_000_000_000L) {
      nextCloseNanos = now;
    }
    while (!toClose.isEmpty() && now - nextCloseNanos >= 0) {
      nextCloseNanos += period;
      Session s = toClose.poll();
      if (s.phase != Phase.STEADY) {
        continue;
      }
      s.closeRequested = true;
      if (s.inflight == null) {
        s.timerGeneration++;
        issue(s, Kind.CLOSE, ONE_ZERO);
      } // else: the close follows the answer of the request in flight
    }
  }

  private void scanTimeouts(long now) {
    long timeout = settings.requestTimeout().toNanos();
    long hsTimeout = settings.handshakeTimeout().toNanos();
    for (Session s : sessions) {
      if (s.phase == Phase.OPENING && s.id != null && now - s.openedNanos > hsTimeout) {
        window.handshakeTimeouts++;
        fail(s);
        continue;
      }
      if (s.inflight != null && s.sentNanos != 0 && now - s.sentNanos > timeout) {
        if (s.connected) {
          window.timeouts++;
        } else {
          window.connectFailures++; // the connect itself did not finish in time
        }
        retry(s);
      }
    }
  }

  /** Starts a request with the next seq (open has none). */
  private void issue(Session s, Kind kind, byte[] body) {
    String path;
    long seq = s.seq;
    if (kind == Kind.OPEN) {
      path = "/open/1";
    } else {
      seq = ++s.seq;
      String command = switch (kind) {
        case SEND_C0C1, SEND_C2 -> "send";
        case HS_IDLE, IDLE -> "idle";
        case CLOSE -> "close";
        default -> throw new IllegalStateException(kind.name());
      };
      path = "/" + command + "/" + s.id + "/" + seq;
    }
    byte[] head = ("POST " + path + " HTTP/1.1\r\n").getBytes(StandardCharsets.US_ASCII);
    byte[] tail = ("User-Agent: Shockwave Flash\r\nConnection: Keep-Alive\r\n"
        + "Cache-Control: no-cache\r\nContent-Type: application/x-fcs\r\nContent-Length: "
        + body.length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
    byte[] bytes = new byte[head.length + hostHeader.length + tail.length + body.length];
    System.arraycopy(head, 0, bytes, 0, head.length);
    System.arraycopy(hostHeader, 0, bytes, head.length, hostHeader.length);
    System.arraycopy(tail, 0, bytes, head.length + hostHeader.length, tail.length);
    System.arraycopy(body, 0, bytes, head.length + hostHeader.length + tail.length, body.length);
    s.inflight = new Request(kind, seq, bytes);
    s.attempts = 1;
    transmit(s);
  }

  /** Sends the request in flight, connecting first if needed. */
  private void transmit(Session s) {
    s.sentNanos = 0;
    s.inLen = 0;
    if (s.channel == null) {
      connect(s);
      return;
    }
    if (!s.connected) {
      return; // sent once connected
    }
    s.out = ByteBuffer.wrap(s.inflight.bytes);
    s.sentNanos = System.nanoTime();
    try {
      flush(s);
    } catch (IOException e) {
      broken(s, e);
    }
  }

  private void connect(Session s) {
    try {
      SocketChannel ch = SocketChannel.open();
      ch.configureBlocking(false);
      ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
      s.channel = ch;
      s.connected = false;
      // when the connect does not finish, the timeout scan counts from here
      s.sentNanos = System.nanoTime();
      if (ch.connect(settings.gateway())) {
        s.key = ch.register(selector, SelectionKey.OP_READ, s);
        s.connected = true;
        transmit(s);
      } else {
        s.key = ch.register(selector, SelectionKey.OP_CONNECT, s);
      }
    } catch (IOException e) {
      window.connectFailures++;
      closeChannel(s);
      fail(s);
    }
  }

  private void onConnectable(Session s) throws IOException {
    if (s.channel.finishConnect()) {
      s.connected = true;
      s.key.interestOps(SelectionKey.OP_READ);
      if (s.inflight != null) {
        transmit(s);
      }
    }
  }

  private void flush(Session s) throws IOException {
    if (s.out == null) {
      s.key.interestOps(SelectionKey.OP_READ);
      return;
    }
    s.channel.write(s.out);
    if (s.out.hasRemaining()) {
      s.key.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
    } else {
      s.out = null;
      s.key.interestOps(SelectionKey.OP_READ);
    }
  }

  private void onReadable(Session s) throws IOException {
    readBuffer.clear();
    int n = s.channel.read(readBuffer);
    if (n < 0) {
      throw new IOException("connection closed by the gateway");
    }
    if (n == 0) {
      return;
    }
    if (s.inflight == null) {
      throw new IOException(n + " bytes without a request in flight");
    }
    if (s.inLen + n > s.in.length) {
      if (s.inLen + n > MAX_RESPONSE_BYTES) {
        throw new IOException("response larger than " + MAX_RESPONSE_BYTES);
      }
      s.in = Arrays.copyOf(s.in, Math.max(s.in.length * 2, s.inLen + n));
    }
    System.arraycopy(readBuffer.array(), 0, s.in, s.inLen, n);
    s.inLen += n;
    parse(s);
  }

  private void parse(Session s) throws IOException {
    int headerEnd = -1;
    for (int i = 3; i < s.inLen; i++) {
      if (s.in[i] == '\n' && s.in[i - 1] == '\r' && s.in[i - 2] == '\n' && s.in[i - 3] == '\r') {
        headerEnd = i + 1;
        break;
      }
    }
    if (headerEnd < 0) {
      return;
    }
    String head = new String(s.in, 0, headerEnd, StandardCharsets.ISO_8859_1);
    String[] lines = head.split("\r\n");
    if (!lines[0].startsWith("HTTP/1.1 ") || lines[0].length() < 12) {
      throw new IOException("not an HTTP/1.1 status line: " + lines[0]);
    }
    int status = Integer.parseInt(lines[0].substring(9, 12));
    int length = -1;
    boolean closeAfter = false;
    for (int i = 1; i < lines.length; i++) {
      String line = lines[i].toLowerCase(Locale.ROOT);
      if (line.startsWith("content-length:")) {
        length = Integer.parseInt(line.substring(15).trim());
      } else if (line.startsWith("connection:") && line.contains("close")) {
        closeAfter = true;
      } else if (line.startsWith("transfer-encoding:")) {
        throw new IOException("unexpected " + lines[i]);
      }
    }
    if (length < 0) {
      throw new IOException("no Content-Length in answer: " + lines[0]);
    }
    if (s.inLen < headerEnd + length) {
      return;
    }
    if (s.inLen > headerEnd + length) {
      throw new IOException((s.inLen - headerEnd - length) + " bytes after the answer");
    }
    byte[] body = Arrays.copyOfRange(s.in, headerEnd, headerEnd + length);
    s.inLen = 0;
    if (closeAfter) {
      closeChannel(s);
    }
    answered(s, status, body, System.nanoTime());
  }

  private void answered(Session s, int status, byte[] body, long now) {
    Request r = s.inflight;
    long latency = now - s.sentNanos;
    s.inflight = null;
    s.out = null;
    if (status != 200) {
      window.statusErrors.merge(status, 1, Integer::sum);
      if (r.kind == Kind.CLOSE) {
        finishClose(s);
      } else {
        fail(s);
      }
      return;
    }
    switch (r.kind) {
      case OPEN -> {
        window.openMicros.add(latency / 1_000);
        s.id = new String(body, StandardCharsets.US_ASCII).trim();
        if (settings.handshake()) {
          s.c0c1 = new byte[C0C1];
          s.c0c1[0] = 3;
          for (int i = 9; i < C0C1; i++) {
            s.c0c1[i] = (byte) random.nextInt(256);
          }
          s.handshake = new byte[S0S1S2];
          issue(s, Kind.SEND_C0C1, s.c0c1);
        } else {
          becomeSteady(s, now);
        }
      }
      case SEND_C0C1, HS_IDLE -> {
        if (isCloseReply(body)) {
          window.closedByGateway++;
          fail(s);
          return;
        }
        int take = Math.min(body.length - 1, S0S1S2 - s.handshakeLen);
        System.arraycopy(body, 1, s.handshake, s.handshakeLen, take);
        s.handshakeLen += take;
        window.unexpectedBytes += body.length - 1 - take;
        if (s.handshakeLen < S0S1S2) {
          issue(s, Kind.HS_IDLE, ONE_ZERO);
          return;
        }
        if (s.handshake[0] != 3
            || !Arrays.equals(s.handshake, 1 + 1536, S0S1S2, s.c0c1, 1, C0C1)) {
          window.handshakeMismatches++;
          fail(s);
          return;
        }
        issue(s, Kind.SEND_C2, Arrays.copyOfRange(s.handshake, 1, 1 + 1536)); // C2 echoes S1
      }
      case SEND_C2 -> {
        if (isCloseReply(body)) {
          window.closedByGateway++;
          fail(s);
          return;
        }
        window.unexpectedBytes += body.length - 1;
        s.c0c1 = null;
        s.handshake = null;
        window.handshakeMicros.add((now - s.openedNanos) / 1_000);
        becomeSteady(s, now);
      }
      case IDLE -> {
        if (isCloseReply(body)) {
          window.closedByGateway++;
          fail(s);
          return;
        }
        window.idleMicros.add(latency / 1_000);
        window.unexpectedBytes += body.length - 1;
        if (s.closeRequested) {
          issue(s, Kind.CLOSE, ONE_ZERO);
        } else {
          schedule(s, s.sentNanos + pollDelay(), now);
        }
      }
      case CLOSE -> finishClose(s);
    }
  }

  /** The close reply (a single 0x00): the gateway ended the session. */
  private static boolean isCloseReply(byte[] body) {
    return body.length == 1 && body[0] == 0;
  }

  private long pollDelay() {
    double j = settings.jitter() * (2 * random.nextDouble() - 1);
    return (long) (settings.pollInterval().toNanos() * (1 + j));
  }

  private void becomeSteady(Session s, long now) {
    s.phase = Phase.STEADY;
    pending.decrementAndGet();
    steady.incrementAndGet();
    // first poll anywhere in one interval, so the polls of a step spread evenly
    schedule(s, now + (long) (random.nextDouble() * settings.pollInterval().toNanos()), now);
  }

  private void schedule(Session s, long due, long now) {
    s.dueNanos = Math.max(due, now);
    timers.add(new Timer(s.dueNanos, s, ++s.timerGeneration));
  }

  private void finishClose(Session s) {
    window.closes++;
    closeChannel(s);
    if (s.phase == Phase.STEADY) {
      steady.decrementAndGet();
    }
    s.phase = Phase.CLOSED;
    closed.incrementAndGet();
  }

  /** The connection broke (or the gateway closed it) while a request was in flight: retry. */
  private void broken(Session s, IOException e) {
    if (s.inflight == null) {
      closeChannel(s); // a keep-alive connection closed between requests: reconnect on the next
      return;
    }
    window.connectionsBroken++;
    retry(s);
  }

  /** Sends the request in flight again, same seq, on a new connection. */
  private void retry(Session s) {
    closeChannel(s);
    if (s.attempts >= MAX_ATTEMPTS) {
      fail(s);
      return;
    }
    s.attempts++;
    transmit(s);
  }

  private void fail(Session s) {
    closeChannel(s);
    s.inflight = null;
    if (s.phase == Phase.OPENING) {
      pending.decrementAndGet();
    } else if (s.phase == Phase.STEADY) {
      steady.decrementAndGet();
    } else {
      return;
    }
    s.phase = Phase.FAILED;
    window.sessionsFailed++;
    failed.incrementAndGet();
  }

  private static void closeChannel(Session s) {
    if (s.channel != null) {
      if (s.key != null) {
        s.key.cancel();
      }
      try {
        s.channel.close();
      } catch (IOException ignored) {
        // closing anyway
      }
    }
    s.channel = null;
    s.key = null;
    s.connected = false;
    s.out = null;
  }
}
