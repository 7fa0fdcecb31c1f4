package org.rtmpgw.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import org.rtmpgw.it.harness.FrameCounter.Frames;
import org.rtmpgw.it.harness.FreePorts;
import org.rtmpgw.it.harness.Media;
import org.rtmpgw.it.harness.NginxRtmp;
import org.rtmpgw.it.harness.PeerProcess;
import org.rtmpgw.it.harness.Peers;
import org.rtmpgw.it.harness.Poll;
import org.rtmpgw.it.soak.ClientKind;
import org.rtmpgw.it.soak.Counters;
import org.rtmpgw.it.soak.GatewayProbe;
import org.rtmpgw.it.soak.GatewayProbe.Snapshot;
import org.rtmpgw.it.soak.PeerWave;
import org.rtmpgw.it.soak.SoakClient;
import org.rtmpgw.it.soak.SoakClient.Outcome;
import org.rtmpgw.it.soak.SoakFigures;
import org.rtmpgw.it.soak.TcpTable;
import org.rtmpgw.it.soak.ThreadCensus;
import org.rtmpgw.it.soak.WaveResult;

/**
 * Soak: bounded session churn through the shaded jar in front of a real nginx-rtmp, after which
 * the gateway must hold what it held before — no session, no extra descriptor, no extra thread
 * that is not an idle pool thread, no retained heap — and every session must be accounted for.
 *
 * <p>One warm-up wave, then {@value #WAVES} measured waves. In each wave, next to one another:
 *
 * <ul>
 *   <li>the soak's own clients ({@link SoakClient}, {@link ClientKind}), paced over {@link
 *       #WAVE_SPREAD}: RTMPT and RTMPTS sessions that do a real RTMP handshake with nginx through
 *       the tunnel (S2 must echo C1 byte for byte) and close cleanly, or vanish (FIN, RST, an
 *       {@code /idle} in flight, TLS without close_notify) for the inactivity reaper; raw RTMP
 *       and RTMPS handshakes closed in order or reset; malformed requests and unknown or closed
 *       session ids; garbage, plaintext on the TLS port and TLS on the plain port;
 *   <li>real peers ({@link PeerWave}): an ffmpeg publisher and three players (ffmpeg and rtmpdump
 *       over RTMPT, ffmpeg over RTMPS or RTMPTS) that run to the end and must decode, plus a
 *       publisher and a player SIGKILLed mid-stream.
 * </ul>
 *
 * <p>Afterwards (bounded waits): {@code rtmpgw_sessions_active} is 0 for every transport, nginx
 * lists no client and holds no established connection from the gateway; then, against the
 * baseline taken after the warm-up: open descriptors (slack {@value #FD_SLACK}), threads by kind
 * (see {@link org.rtmpgw.it.soak.ThreadCensus}), heap after a forced full GC (slack {@value
 * #HEAP_SLACK_MIB} MiB). Every session is accounted for three ways: the close log line of each
 * soak session (found by id or client port; reason, and bytes each way exactly as the client
 * counted them), {@code rtmpgw_sessions_opened_total} and {@code rtmpgw_sessions_closed_total}
 * per transport, and nginx's accepted-connection count. The figures are printed and written to
 * {@code target/soak-report.md}.
 *
 * <p>The gateway runs with {@code --session-inactivity-timeout-ms} {@value #INACTIVITY_MS} so
 * that vanished sessions are reaped within the test.
 */
class SoakIT {

  private static final int WAVES = 3;
  private static final int INACTIVITY_MS = 3_000;

  /** Soak clients running at once (a scheduled pool: clients start at paced offsets). */
  private static final int CLIENT_THREADS = 12;

  /** The clients of one wave start spread over this long, next to the peers. */
  private static final Duration WAVE_SPREAD = Duration.ofSeconds(10);

  /** Bound on the last client of a wave ending (each read is bounded by 10 s anyway). */
  private static final Duration WAVE_CLIENTS_TIMEOUT = Duration.ofSeconds(90);

  /** Bound on every session being reaped and nginx letting go after the churn. */
  private static final Duration QUIET_TIMEOUT = Duration.ofSeconds(30);

  /** Bound on descriptors and working threads settling after the sessions are gone. */
  private static final Duration SETTLE_TIMEOUT = Duration.ofSeconds(20);

  /**
   * Descriptors allowed above the baseline. Observed: 0 (the snapshot keeps the smallest of
   * several readings). The slack covers what may be open for a moment at the instant of counting
   * without being held: a jcmd attach connection or the probe's management connection still
   * being closed, a certificate file being read on reload.
   */
  private static final int FD_SLACK = 5;

  /** Heap after GC allowed above the baseline (allocation buffers between GC and reading). */
  private static final int HEAP_SLACK_MIB = 10;

  /**
   * Idle threads a Jetty pool may hold above its baseline right after the churn: the pool's
   * default minimum (QueuedThreadPool minThreads = 8). A pool grows while requests are in flight
   * and evicts idle threads above its minimum one per idle timeout (60 s, maxEvictCount 1), so a
   * few-minute test cannot wait for them; the census proves they are idle (parked in {@code
   * idleJobPoll}), and none is working.
   */
  private static final int POOL_IDLE_SURPLUS_ALLOWED = 8;

  private static final int MEDIA_SECONDS = 12;
  private static final long MIN_VIDEO_FRAMES = 40;
  private static final long MIN_AUDIO_FRAMES = 60;

  /**
   * Close reasons that are right for a real peer: a clean end, a client reset, the reaper, or a
   * publisher killed in the middle of a /send body.
   */
  private static final Set<String> PEER_REASONS =
      Set.of("client-close", "client-error", "idle-timeout", "body-read-failed");

  /**
   * This test found raw RTMP/RTMPS sessions logging fewer {@code bytes_down} (often 0) than
   * their client received: the count was added when the write completed, which may be after the
   * client had read, answered and closed. RawRtmpConnection now counts a chunk when it takes it,
   * as RTMPT counts a reply when it builds it, and every session's bytes must match exactly.
   */
  private static final boolean TOLERATE_RAW_BYTES_DOWN_UNDERCOUNT = false;

  private static final Duration LISTEN_TIMEOUT = Duration.ofSeconds(20);
  private static final Duration POLL = Duration.ofMillis(100);
  private static final int START_ATTEMPTS = 3;

  /** How to run just this test (copied into the report). */
  private static final String COMMAND =
      "mvn -o -q -pl tunnel-protocol,gateway install -DskipTests"
          + " && mvn -o -pl integration-tests verify -Dit.test=SoakIT -Dsurefire.skip=true";

  /** The soak clients of one wave: how many of each kind. */
  private static final Map<ClientKind, Integer> MIX = mix();

  @TempDir(cleanup = CleanupMode.ON_SUCCESS)
  static Path workDir;

  static Path jar;
  static NginxRtmp nginx;

  @BeforeAll
  static void startUpstream() throws Exception {
    String property = System.getProperty("gateway.jar", "");
    jar = property.isEmpty() ? null : Path.of(property).toAbsolutePath();
    assumeTrue(jar != null && Files.isRegularFile(jar), "gateway.jar not built");
    assumeTrue(
        Files.isExecutable(GatewayProbe.jcmdOfThisJdk()),
        "jcmd not found next to java (a JDK, not a JRE, runs the build)");
    assumeTrue(Files.isDirectory(Path.of("/proc/self/fd")), "needs Linux /proc");
    nginx = NginxRtmp.startForTestClass(workDir.resolve("nginx"));
  }

  @AfterAll
  static void stopUpstream() {
    NginxRtmp.stopAfterTestClass(nginx);
  }

  private static Map<ClientKind, Integer> mix() {
    Map<ClientKind, Integer> mix = new EnumMap<>(ClientKind.class);
    mix.put(ClientKind.RTMPT_CLEAN, 70);
    mix.put(ClientKind.RTMPTS_CLEAN, 14);
    mix.put(ClientKind.RTMPT_VANISH_AFTER_OPEN, 6);
    mix.put(ClientKind.RTMPT_VANISH_BEFORE_C2, 8);
    mix.put(ClientKind.RTMPT_RESET_AFTER_C2, 8);
    mix.put(ClientKind.RTMPT_RESET_IDLE_IN_FLIGHT, 8);
    mix.put(ClientKind.RTMPTS_VANISH_AFTER_C2, 6);
    mix.put(ClientKind.RTMP_RAW_CLOSE, 24);
    mix.put(ClientKind.RTMP_RAW_RESET, 12);
    mix.put(ClientKind.RTMPS_RAW_CLOSE, 12);
    mix.put(ClientKind.RTMPS_RAW_RESET, 8);
    mix.put(ClientKind.MALFORMED_REQUEST, SoakClient.malformedVariants());
    mix.put(ClientKind.GARBAGE_PLAIN, 3);
    mix.put(ClientKind.GARBAGE_TLS, 2);
    mix.put(ClientKind.PLAINTEXT_ON_TLS, 2);
    mix.put(ClientKind.TLS_ON_PLAIN, 3);
    return Collections.unmodifiableMap(mix);
  }

  /** The gateway process and its ports. */
  private record Gateway(PeerProcess process, int plain, int tls, int management) {}

  @Test
  @Timeout(value = 420, unit = TimeUnit.SECONDS)
  void sessionChurnLeavesNoSessionDescriptorThreadOrHeapBehind() throws Exception {
    long testStarted = System.nanoTime();
    Path flv = Media.testFlv(MEDIA_SECONDS);
    Path dir = workDir.resolve("soak");
    Files.createDirectories(dir);
    Gateway gateway = startGateway(dir);
    PeerProcess jvm = gateway.process();
    ScheduledExecutorService clients =
        Executors.newScheduledThreadPool(CLIENT_THREADS, daemon("soak-client"));
    ScheduledExecutorService sampler =
        Executors.newSingleThreadScheduledExecutor(daemon("soak-peak"));
    List<Peers> allPeers = new ArrayList<>();
    try {
      GatewayProbe probe =
          new GatewayProbe(
              jvm.pid(), gateway.management(), GatewayProbe.jcmdOfThisJdk(), dir.resolve("jcmd"));
      SoakClient client = new SoakClient(gateway.plain(), gateway.tls());

      // Warm-up: one whole wave, so that class loading, JIT, TLS, buffer and thread pools reach
      // the state the churn keeps them in before the baseline is taken.
      WaveResult warmUp = runWave(0, client, clients, gateway, flv, dir, allPeers);
      assertThat(warmUp.failures())
          .as(() -> "soak clients failed in the warm-up\n" + jvm.describe())
          .isEmpty();
      assertThat(awaitQuiet(probe))
          .as(() -> "sessions of the warm-up never ended\n" + describe(probe, jvm))
          .isTrue();

      Snapshot baseline = probe.snapshot("baseline");
      Counters before = Counters.read(probe, nginx, jvm.stderrLog());
      System.out.printf("SoakIT baseline: %s%n", baseline);

      AtomicInteger peak = new AtomicInteger();
      sampler.scheduleWithFixedDelay(
          () -> {
            try {
              peak.accumulateAndGet(probe.sessionsActive(), Math::max);
            } catch (IOException | RuntimeException e) {
              // a missed sample; the next one counts
            }
          },
          0,
          250,
          TimeUnit.MILLISECONDS);
      long churnStarted = System.nanoTime();
      List<WaveResult> waves = new ArrayList<>();
      for (int w = 1; w <= WAVES; w++) {
        waves.add(runWave(w, client, clients, gateway, flv, dir, allPeers));
      }
      long churnMillis = millisSince(churnStarted);

      long reapStarted = System.nanoTime();
      boolean quiet = awaitQuiet(probe);
      long reapMillis = millisSince(reapStarted);
      sampler.shutdownNow();
      sampler.awaitTermination(10, TimeUnit.SECONDS);

      // Descriptors and working threads settle within moments once the sessions are gone.
      boolean settled =
          Poll.until(
              SETTLE_TIMEOUT,
              Duration.ofMillis(500),
              () -> {
                ThreadCensus census = probe.threadCensus();
                return probe.openFds() <= baseline.fds()
                    && census.fixed().equals(baseline.census().fixed())
                    && workingWithin(census, baseline);
              });
      Snapshot after = probe.snapshot("after");
      Counters end = Counters.read(probe, nginx, jvm.stderrLog());
      System.out.printf("SoakIT after: %s%n", after);

      Map<PeerWave.Played, Frames> frames = new LinkedHashMap<>();
      for (WaveResult wave : waves) {
        for (PeerWave.Played played : wave.peers().players()) {
          frames.put(played, PeerWave.frames(played));
        }
      }
      boolean heapGrew =
          after.heapAfterGcBytes() - baseline.heapAfterGcBytes()
              > HEAP_SLACK_MIB * 1024L * 1024;
      SoakFigures figures =
          new SoakFigures(
              waves,
              before,
              end,
              baseline,
              after,
              peak.get(),
              churnMillis,
              reapMillis,
              quiet,
              settled,
              frames,
              heapGrew ? probe.classHistogram(40) : "");
      SoakFigures.Limits limits =
          new SoakFigures.Limits(
              FD_SLACK,
              HEAP_SLACK_MIB,
              POOL_IDLE_SURPLUS_ALLOWED,
              MIN_VIDEO_FRAMES,
              MIN_AUDIO_FRAMES,
              PEER_REASONS,
              TOLERATE_RAW_BYTES_DOWN_UNDERCOUNT);
      List<String> problems = figures.problems(limits);
      String report =
          figures.markdown(
              problems,
              limits,
              new SoakFigures.Setup(WAVES, CLIENT_THREADS, WAVE_SPREAD, INACTIVITY_MS, COMMAND),
              millisSince(testStarted));
      System.out.println(report);
      Path reportFile = reportFile();
      Files.createDirectories(reportFile.getParent());
      Files.writeString(reportFile, report, StandardCharsets.UTF_8);

      assertThat(problems)
          .as(
              () ->
                  "soak problems (report: "
                      + reportFile
                      + ")\n"
                      + describe(probe, jvm)
                      + peersDescribed(allPeers))
          .isEmpty();
    } finally {
      sampler.shutdownNow();
      clients.shutdownNow();
      clients.awaitTermination(15, TimeUnit.SECONDS);
      for (Peers peers : allPeers) {
        peers.close();
      }
      jvm.stop(PeerProcess.DEFAULT_STOP_GRACE);
    }
  }

  // ------------------------------------------------------------------------------------ waves

  /**
   * One wave: the soak clients of {@link #MIX} in a shuffled order, started at paced offsets over
   * {@link #WAVE_SPREAD}, while this thread runs the wave's real peers; returns when all ended.
   */
  private static WaveResult runWave(
      int number,
      SoakClient client,
      ScheduledExecutorService clients,
      Gateway gateway,
      Path flv,
      Path dir,
      List<Peers> allPeers)
      throws Exception {
    List<ClientKind> kinds = new ArrayList<>();
    MIX.forEach((kind, n) -> kinds.addAll(Collections.nCopies(n, kind)));
    Collections.shuffle(kinds, new Random(number));
    Map<ClientKind, Integer> variants = new EnumMap<>(ClientKind.class);
    List<Future<Outcome>> futures = new ArrayList<>();
    long spreadMillis = WAVE_SPREAD.toMillis();
    for (int i = 0; i < kinds.size(); i++) {
      ClientKind kind = kinds.get(i);
      int variant = variants.merge(kind, 1, Integer::sum) - 1;
      long at = i * spreadMillis / kinds.size();
      futures.add(clients.schedule(() -> client.run(kind, variant), at, TimeUnit.MILLISECONDS));
    }
    Peers peers = new Peers(dir.resolve("wave-" + number));
    allPeers.add(peers);
    PeerWave.Result peerResult =
        new PeerWave(number, peers, nginx, gateway.plain(), gateway.tls(), flv).run();
    List<Outcome> outcomes = new ArrayList<>();
    long deadline = System.nanoTime() + WAVE_CLIENTS_TIMEOUT.toNanos();
    for (int i = 0; i < futures.size(); i++) {
      long left = Math.max(1, deadline - System.nanoTime());
      try {
        outcomes.add(futures.get(i).get(left, TimeUnit.NANOSECONDS));
      } catch (TimeoutException e) {
        futures.get(i).cancel(true);
        outcomes.add(
            new Outcome(kinds.get(i), -1, null, -1, 0, 0, "did not end within the wave bound"));
      } catch (ExecutionException e) {
        outcomes.add(new Outcome(kinds.get(i), -1, null, -1, 0, 0, String.valueOf(e.getCause())));
      }
    }
    peers.close(); // every peer has ended or was killed; this stops anything left over
    WaveResult result = new WaveResult(number, outcomes, peerResult);
    System.out.printf(
        "SoakIT wave %d: %d soak clients (%d failed), peer sessions %s, killed %d%n",
        number,
        outcomes.size(),
        result.failures().size(),
        peerResult.sessions(),
        peerResult.killed());
    return result;
  }

  /**
   * Waits (bounded) until the gateway has no live session of any transport, nginx lists no
   * client and no connection to nginx's RTMP port is established (nginx's {@code /stat} does not
   * list connections still in the handshake; the TCP table does).
   */
  private static boolean awaitQuiet(GatewayProbe probe) throws InterruptedException {
    return Poll.until(
        QUIET_TIMEOUT,
        POLL,
        () ->
            probe.sessionsActive() == 0
                && nginx.stat().clients() == 0
                && TcpTable.establishedOnLocalPort(nginx.rtmpPort()) == 0);
  }

  private static boolean workingWithin(ThreadCensus now, Snapshot baseline) {
    return now.pools().entrySet().stream()
        .allMatch(
            e -> {
              ThreadCensus.Pool base = baseline.census().pools().get(e.getKey());
              return base != null && e.getValue().workingCount() <= base.workingCount();
            });
  }

  private static Path reportFile() {
    Path media = Path.of(System.getProperty("it.media.dir", "target/media")).toAbsolutePath();
    return media.getParent().resolve("soak-report.md");
  }

  // ---------------------------------------------------------------------------------- gateway

  private static Gateway startGateway(Path dir) throws Exception {
    StringBuilder failures = new StringBuilder();
    for (int attempt = 0; attempt < START_ATTEMPTS; attempt++) {
      int plain = FreePorts.loopback();
      int tls = FreePorts.loopback();
      int management = FreePorts.loopback();
      if (plain == tls || tls == management || plain == management) {
        continue;
      }
      Path tlsDir = dir.resolve("tls");
      Files.createDirectories(tlsDir);
      PeerProcess candidate =
          PeerProcess.start(
              "gateway-soak",
              dir,
              List.of(
                  Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                  "-jar",
                  jar.toString(),
                  "--upstream",
                  "127.0.0.1:" + nginx.rtmpPort(),
                  "--listen",
                  "127.0.0.1:" + plain,
                  "--listen-tls",
                  "127.0.0.1:" + tls,
                  "--tls-generated-dir",
                  tlsDir.toString(),
                  "--management-listen",
                  "127.0.0.1:" + management,
                  "--upstream-probe-interval-ms",
                  "0",
                  "--session-inactivity-timeout-ms",
                  Integer.toString(INACTIVITY_MS)));
      boolean up =
          Poll.until(
              LISTEN_TIMEOUT,
              POLL,
              () ->
                  !candidate.isAlive()
                      || (accepts(plain) && accepts(tls) && accepts(management)));
      if (up && candidate.isAlive()) {
        return new Gateway(candidate, plain, tls, management);
      }
      candidate.stop(PeerProcess.DEFAULT_STOP_GRACE);
      failures.append(candidate.describe());
    }
    throw new IllegalStateException("the gateway jar never listened\n" + failures);
  }

  private static boolean accepts(int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  // ---------------------------------------------------------------------------------- helpers

  private static String describe(GatewayProbe probe, PeerProcess jvm) {
    StringBuilder sb = new StringBuilder();
    try {
      sb.append("    sessions active: ").append(probe.sessionsActive()).append('\n');
      sb.append("    nginx: ").append(nginx.stat()).append('\n');
      sb.append("    established to nginx: ")
          .append(TcpTable.establishedOnLocalPort(nginx.rtmpPort()))
          .append('\n');
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      sb.append("    (probe failed: ").append(e).append(")\n");
    }
    return sb.append(jvm.describe()).append(nginx.describe()).toString();
  }

  private static String peersDescribed(List<Peers> all) {
    StringBuilder sb = new StringBuilder();
    for (Peers p : all) {
      sb.append(p.describeAll());
    }
    return sb.toString();
  }

  private static long millisSince(long nanos) {
    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - nanos);
  }

  private static ThreadFactory daemon(String name) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, name + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
