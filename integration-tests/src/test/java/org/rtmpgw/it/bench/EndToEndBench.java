package org.rtmpgw.it.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.rtmpgw.it.harness.NginxRtmp;

/**
 * End-to-end benchmark of the gateway against direct RTMP to the same nginx-rtmp, in one run.
 *
 * <p>Run with {@code mvn -B verify -Pbench}. Writes {@code integration-tests/target/bench/report.md}
 * and prints it. Not a test of speed: it asserts only that each measurement happened (bytes moved,
 * packets paired); the figures go to docs/BENCHMARKS.md.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class EndToEndBench {
  private static final int ROUNDS = Integer.getInteger("bench.rounds", 5);
  /**
   * Transfers through a fresh gateway before measuring: a gateway in service is JIT-compiled, a
   * fresh JVM is not. The per-request code runs ~470 times per publish of the 150 MB file (150
   * for a pull), and C2 compiles a method after ~10 000 calls: publish times kept falling for
   * ~25 transfers (0.75x direct after 15, 0.84-0.89x after 30, same code, 2026-11-25), and the
   * gateway's C2 compiler thread still used a third of its CPU at transfer 20.
   */
  private static final int WARMUP = Integer.getInteger("bench.warmup", 30);
  /** One transfer of the 150 MB file takes about a second; anything near this bound is a hang. */
  private static final long RUN_BOUND_SECONDS = 60;
  private static final int LIVE_SECONDS = Integer.getInteger("bench.liveSeconds", 25);
  /** Packets of the first seconds are skipped: ffmpeg's probing delays them on both paths. */
  private static final long LIVE_WARMUP_MILLIS = 6_000;
  private static final List<Integer> HOLDS =
      Arrays.stream(System.getProperty("bench.holds", "0,50,100,200").split(","))
          .map(String::trim)
          .map(Integer::parseInt)
          .toList();

  /** Extra gateway flags for every gateway the bench starts, e.g. to compare settings. */
  private static final String[] GATEWAY_ARGS =
      System.getProperty("bench.gatewayArgs", "").isBlank()
          ? new String[0]
          : System.getProperty("bench.gatewayArgs").trim().split("\\s+");

  /** Parts to run (publish, pull, live, rtmps), comma-separated; empty for all. */
  private static final List<String> ONLY =
      Arrays.stream(System.getProperty("bench.only", "").split(","))
          .map(String::trim)
          .filter(s -> !s.isEmpty())
          .toList();

  /** TLS versions the RTMPS publish is measured at; each pinned on stunnel and gateway alike. */
  private static final List<String> TLS_VERSIONS =
      Arrays.stream(System.getProperty("bench.tls", "TLSv1.3,TLSv1.2").split(","))
          .map(String::trim)
          .filter(s -> !s.isEmpty())
          .toList();

  /** Warm-up transfers over raw RTMP through the TLS run's gateway (its rtmps warm-up comes first). */
  private static final int RAW_WARMUP = 3;

  private static Path work;
  private static Path jar;
  private static NginxRtmp nginx;
  private static final StringBuilder report = new StringBuilder();

  @BeforeAll
  static void setUp() throws Exception {
    assumeTrue(NginxRtmp.isAvailable(), "nginx with the rtmp module is not installed");
    jar = Path.of(System.getProperty("gateway.jar", "../gateway/target/rtmp-gateway.jar"));
    assumeTrue(Files.isRegularFile(jar), "gateway jar not built: " + jar);
    work = Files.createDirectories(Path.of("target/bench").toAbsolutePath());
    Path vod = Files.createDirectories(work.resolve("vod"));
    Path big = BenchMedia.highBitrate();
    Files.copy(big, vod.resolve("big.flv"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    BenchMedia.live2Mbit();
    nginx = new NginxRtmp(Files.createTempDirectory(work, "nginx"), vod).start();
    report.append("# End-to-end benchmark run\n\n");
    report.append("- date: ").append(Instant.now()).append('\n');
    report.append("- machine: ").append(Runtime.getRuntime().availableProcessors())
        .append(" cores, ").append(cpuModel()).append('\n');
    report.append("- java: ").append(System.getProperty("java.version")).append('\n');
    report.append("- parts: ").append(ONLY.isEmpty() ? "all" : String.join(", ", ONLY)).append('\n');
    report.append("- extra gateway flags: ").append(String.join(" ", GATEWAY_ARGS)).append('\n');
    report.append("- rounds per throughput figure: ").append(ROUNDS)
        .append(" (medians; direct and RTMPT alternate), after ").append(WARMUP)
        .append(" warm-up transfers through each fresh gateway\n\n");
  }

  @AfterAll
  static void tearDown() throws IOException {
    if (nginx != null) {
      nginx.close();
    }
    if (work != null) {
      report.append("\nTransfers killed at the ").append(RUN_BOUND_SECONDS).append(" s bound and repeated: ")
          .append(hung.isEmpty() ? "none" : String.join(", ", hung)).append('\n');
      Files.writeString(work.resolve("report.md"), report.toString(), StandardCharsets.UTF_8);
      System.out.println(report);
    }
  }

  @Test
  @Order(1)
  void publishThroughput() throws Exception {
    assumeTrue(selected("publish"), "not in bench.only");
    Path big = BenchMedia.highBitrate();
    double mb = Files.size(big) / 1e6;
    try (GatewayProcess gw = GatewayProcess.start(jar, work, nginx.rtmpPort(), GATEWAY_ARGS)) {
      List<Double> direct = new ArrayList<>();
      List<Double> tunnel = new ArrayList<>();
      List<Double> cpu = new ArrayList<>();
      String directUrl = nginx.rtmpUrl("live", "pub");
      String tunnelUrl = gw.rtmptUrl("live", "pub");
      for (int i = 0; i < WARMUP; i++) {
        warmUp("publish-warmup", publishCommand(big, tunnelUrl));
      }
      for (int i = 0; i < ROUNDS; i++) {
        rate(direct, mb, "publish-direct", publishCommand(big, directUrl));
        double cpuBefore = gw.cpuSeconds();
        rate(tunnel, mb, "publish-rtmpt", publishCommand(big, tunnelUrl));
        cpu.add(gw.cpuSeconds() - cpuBefore);
      }
      throughputRow("Publish (ffmpeg -c copy, " + String.format("%.0f", mb) + " MB FLV)", direct, tunnel, cpu);
    }
  }

  @Test
  @Order(2)
  void pullThroughput() throws Exception {
    assumeTrue(selected("pull"), "not in bench.only");
    double mb = Files.size(BenchMedia.highBitrate()) / 1e6;
    try (GatewayProcess gw = GatewayProcess.start(jar, work, nginx.rtmpPort(), GATEWAY_ARGS)) {
      List<Double> direct = new ArrayList<>();
      List<Double> tunnel = new ArrayList<>();
      List<Double> cpu = new ArrayList<>();
      String directUrl = nginx.rtmpUrl("vod", "big.flv");
      String tunnelUrl = gw.rtmptUrl("vod", "big.flv");
      for (int i = 0; i < WARMUP; i++) {
        warmUp("pull-warmup", pullCommand(tunnelUrl));
      }
      for (int i = 0; i < ROUNDS; i++) {
        rate(direct, mb, "pull-direct", pullCommand(directUrl));
        double cpuBefore = gw.cpuSeconds();
        rate(tunnel, mb, "pull-rtmpt", pullCommand(tunnelUrl));
        cpu.add(gw.cpuSeconds() - cpuBefore);
      }
      throughputRow("Pull (ffmpeg from nginx-rtmp `play`, " + String.format("%.0f", mb) + " MB)", direct, tunnel, cpu);
    }
  }

  @Test
  @Order(3)
  void livePlayers() throws Exception {
    assumeTrue(selected("live"), "not in bench.only");
    report.append("\n## Live ~2 Mbit/s stream: added per-packet latency, request rate, gateway CPU\n\n");
    report.append("Each row: one publisher (ffmpeg -re, direct RTMP to nginx-rtmp), one player of the ")
        .append("given client directly and one through a fresh gateway process with the given ")
        .append("idle hold, both running at once for ").append(LIVE_SECONDS).append(" s. Added latency = ")
        .append("arrival of each FLV packet at the RTMPT player minus its arrival at the direct ")
        .append("player (packets after the first ").append(LIVE_WARMUP_MILLIS / 1000)
        .append(" s of stream time). Requests/s and CPU are the gateway's for that one player ")
        .append("(CPU counted after the same warm-up).\n\n");
    report.append("| client | idle-hold-ms | packets paired | added latency median (ms) | p95 (ms) | requests/s | gateway CPU, % of a core | without JIT threads |\n");
    report.append("|---|---|---|---|---|---|---|---|\n");
    int n = 0;
    for (String client : List.of("ffmpeg", "rtmpdump")) {
      for (int hold : HOLDS) {
        livePhase(client, hold, "lat" + (n++));
      }
    }
  }

  /**
   * RTMPS publish: the publish transfer over TLS terminated by stunnel in front of the same
   * nginx-rtmp, and by the gateway's TLS listener, against direct RTMP, in rotating rounds. Raw
   * RTMP through the same gateway's plain listener separates the cost of TLS from that of the hop.
   */
  @Test
  @Order(4)
  void rtmpsPublishThroughput() throws Exception {
    assumeTrue(selected("rtmps"), "not in bench.only");
    assumeTrue(StunnelProcess.isAvailable(), "stunnel is not installed");
    Path big = BenchMedia.highBitrate();
    double mb = Files.size(big) / 1e6;
    Path dir = Files.createTempDirectory(work, "rtmps");
    BenchTls.Pem pem = BenchTls.selfSigned(dir);
    StringBuilder rates = new StringBuilder();
    StringBuilder cpu = new StringBuilder();
    StringBuilder negotiated = new StringBuilder();
    for (String version : TLS_VERSIONS) {
      rtmpsPublish(version, big, mb, Files.createDirectories(dir.resolve(version)), pem, rates, cpu, negotiated);
    }
    report.append("\n## RTMPS publish: TLS terminated by stunnel or by the gateway (MB/s, median of rounds)\n\n");
    report.append("The publish transfer above (ffmpeg -c copy, ").append(String.format("%.0f", mb))
        .append(" MB FLV, as fast as possible) to the same nginx-rtmp: directly, as rtmps:// through ")
        .append("stunnel (server mode, in front of nginx-rtmp), as rtmps:// through the gateway's TLS ")
        .append("listener, and as raw rtmp:// through the same gateway's plain listener (the hop ")
        .append("without TLS). One round = one transfer of each, in an order that rotates from round ")
        .append("to round. stunnel and the gateway serve the same self-signed ").append(pem.keyType())
        .append(" certificate and accept only the row's TLS version (stunnel: sslVersionMin/Max; ")
        .append("gateway: the other version added to jdk.tls.disabledAlgorithms). Warm-up per row: ")
        .append(WARMUP).append(" rtmps and ").append(RAW_WARMUP)
        .append(" rtmp transfers through the fresh gateway, 1 through stunnel.\n\n");
    report.append("| TLS | direct RTMP | rtmps via stunnel | rtmps via gateway | gateway/direct | stunnel/direct "
        + "| gateway/stunnel | rtmp via gateway (no TLS) | all direct | all stunnel | all gateway rtmps | all gateway rtmp |\n");
    report.append("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    report.append(rates);
    report.append("\nCPU seconds per transfer (median over the measured rounds; /proc/<pid>/stat of the "
        + "stunnel and gateway processes, the gateway also without its JIT compiler threads):\n\n");
    report.append("| TLS | stunnel | gateway rtmps | without JIT threads | gateway rtmp (no TLS) | without JIT threads |\n");
    report.append("|---|---|---|---|---|---|\n");
    report.append(cpu);
    report.append("\nNegotiated (ffmpeg's own client, GnuTLS, from GNUTLS_DEBUG_LEVEL=4; and `openssl s_client`):\n\n");
    report.append(negotiated);
  }

  /** The paths of one RTMPS round, in the order of the first round. */
  private enum TlsPath { DIRECT, STUNNEL, GATEWAY_RTMPS, GATEWAY_RTMP }

  private void rtmpsPublish(String version, Path big, double mb, Path dir, BenchTls.Pem pem,
      StringBuilder rates, StringBuilder cpu, StringBuilder negotiated) throws Exception {
    String other = version.equals("TLSv1.3") ? "TLSv1.2" : "TLSv1.3";
    GatewayProcess.Options options = GatewayProcess.Options.of(GATEWAY_ARGS)
        .jvm(BenchTls.pinGatewayJvm(dir, version).toArray(String[]::new))
        .tlsPem(pem.cert(), pem.key());
    try (StunnelProcess stunnel = StunnelProcess.start(dir.resolve("stunnel"), nginx.rtmpPort(), pem, version);
        GatewayProcess gw = GatewayProcess.start(jar, dir, nginx.rtmpPort(), options)) {
      String tag = "rtmps-" + version;
      BenchTls.Negotiated viaStunnel = BenchTls.probeFfmpeg(big, stunnel.rtmpsUrl("live", "probe"),
          work.resolve(tag + "-probe-stunnel.log"));
      BenchTls.Negotiated viaGateway = BenchTls.probeFfmpeg(big, gw.rtmpsUrl("live", "probe"),
          work.resolve(tag + "-probe-gateway.log"));
      String sslStunnel = BenchTls.probeOpenssl(stunnel.port(), null, dir, "s_client-stunnel");
      String sslGateway = BenchTls.probeOpenssl(gw.tlsPort(), null, dir, "s_client-gateway");
      String otherStunnel = BenchTls.probeOpenssl(stunnel.port(), other, dir, "s_client-stunnel-" + other);
      String otherGateway = BenchTls.probeOpenssl(gw.tlsPort(), other, dir, "s_client-gateway-" + other);
      assertThat(viaStunnel.version()).as("stunnel pinned to " + version).isEqualTo(version);
      assertThat(viaGateway.version()).as("gateway pinned to " + version).isEqualTo(version);
      negotiated.append(String.format("- %s pinned (%s): ffmpeg via stunnel %s; via gateway %s. openssl s_client: "
              + "stunnel %s; gateway %s; %s refused by stunnel: %s, by gateway: %s%n",
          version, stunnel.version(), viaStunnel, viaGateway, orFailed(sslStunnel), orFailed(sslGateway), other,
          otherStunnel.isEmpty() ? "yes" : "no (" + otherStunnel + ")",
          otherGateway.isEmpty() ? "yes" : "no (" + otherGateway + ")"));

      Map<TlsPath, String> urls = new LinkedHashMap<>();
      urls.put(TlsPath.DIRECT, nginx.rtmpUrl("live", "pub"));
      urls.put(TlsPath.STUNNEL, stunnel.rtmpsUrl("live", "pub"));
      urls.put(TlsPath.GATEWAY_RTMPS, gw.rtmpsUrl("live", "pub"));
      urls.put(TlsPath.GATEWAY_RTMP, gw.rtmpUrl("live", "pub"));
      for (int i = 0; i < WARMUP; i++) {
        timed(tag + "-warmup-gateway", publishCommand(big, urls.get(TlsPath.GATEWAY_RTMPS)));
      }
      for (int i = 0; i < RAW_WARMUP; i++) {
        timed(tag + "-warmup-gateway-rtmp", publishCommand(big, urls.get(TlsPath.GATEWAY_RTMP)));
      }
      timed(tag + "-warmup-stunnel", publishCommand(big, urls.get(TlsPath.STUNNEL)));

      Map<TlsPath, List<Double>> samples = new LinkedHashMap<>();
      List<Double> stunnelCpu = new ArrayList<>();
      List<Double> gatewayCpu = new ArrayList<>();
      List<Double> gatewayWork = new ArrayList<>();
      List<Double> rawCpu = new ArrayList<>();
      List<Double> rawWork = new ArrayList<>();
      TlsPath[] paths = TlsPath.values();
      for (TlsPath path : paths) {
        samples.put(path, new ArrayList<>());
      }
      for (int round = 0; round < ROUNDS; round++) {
        for (int k = 0; k < paths.length; k++) {
          TlsPath path = paths[(round + k) % paths.length];
          String label = tag + "-" + path.name().toLowerCase().replace('_', '-');
          double stunnelBefore = stunnel.cpuSeconds();
          double gwBefore = gw.cpuSeconds();
          double workBefore = gw.cpuSecondsWithoutJit();
          rate(samples.get(path), mb, label, publishCommand(big, urls.get(path)));
          switch (path) {
            case STUNNEL -> stunnelCpu.add(stunnel.cpuSeconds() - stunnelBefore);
            case GATEWAY_RTMPS -> {
              gatewayCpu.add(gw.cpuSeconds() - gwBefore);
              gatewayWork.add(gw.cpuSecondsWithoutJit() - workBefore);
            }
            case GATEWAY_RTMP -> {
              rawCpu.add(gw.cpuSeconds() - gwBefore);
              rawWork.add(gw.cpuSecondsWithoutJit() - workBefore);
            }
            default -> { }
          }
        }
      }
      double d = Stats.median(samples.get(TlsPath.DIRECT));
      double s = Stats.median(samples.get(TlsPath.STUNNEL));
      double g = Stats.median(samples.get(TlsPath.GATEWAY_RTMPS));
      double r = Stats.median(samples.get(TlsPath.GATEWAY_RTMP));
      rates.append(String.format("| %s | %.1f | %.1f | %.1f | %.2f | %.2f | **%.2f** | %.1f | %s | %s | %s | %s |%n",
          version, d, s, g, g / d, s / d, g / s, r,
          format(samples.get(TlsPath.DIRECT)), format(samples.get(TlsPath.STUNNEL)),
          format(samples.get(TlsPath.GATEWAY_RTMPS)), format(samples.get(TlsPath.GATEWAY_RTMP))));
      cpu.append(String.format("| %s | %.2f | %.2f | %.2f | %.2f | %.2f |%n", version,
          Stats.median(stunnelCpu), Stats.median(gatewayCpu), Stats.median(gatewayWork),
          Stats.median(rawCpu), Stats.median(rawWork)));
    }
  }

  private static String orFailed(String handshake) {
    return handshake.isEmpty() ? "handshake failed" : handshake;
  }

  private static boolean selected(String part) {
    return ONLY.isEmpty() || ONLY.contains(part);
  }

  private void livePhase(String client, int holdMillis, String stream) throws Exception {
    Path live = BenchMedia.live2Mbit();
    Process publisher = new ProcessBuilder(
            "ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-re", "-i", live.toString(),
            "-c", "copy", "-f", "flv", nginx.rtmpUrl("live", stream))
        .redirectOutput(work.resolve("publish-" + stream + ".log").toFile())
        .redirectErrorStream(true)
        .start();
    List<String> args = new ArrayList<>(List.of(GATEWAY_ARGS));
    args.addAll(List.of("--idle-hold-ms", Integer.toString(holdMillis)));
    // without a hold rtmpdump re-polls ~12 000 times a second, which the default request-rate
    // limit (1000/s) ends at once; the row is there to show that cost, so the limit is lifted
    args.addAll(List.of("--max-requests-per-second", "0"));
    try (GatewayProcess gw =
        GatewayProcess.start(jar, work, nginx.rtmpPort(), args.toArray(String[]::new))) {
      assertThat(nginx.awaitPublishing("live", stream, Duration.ofSeconds(10))).isTrue();
      Player direct = Player.start(client, nginx.rtmpUrl("live", stream), work.resolve(stream + "-direct.log"));
      Player tunnel = Player.start(client, gw.rtmptUrl("live", stream), work.resolve(stream + "-rtmpt.log"));
      // CPU is counted after the players settled and the gateway's JIT warmed up
      Thread.sleep(LIVE_WARMUP_MILLIS);
      double cpuBefore = gw.cpuSeconds();
      double workBefore = gw.cpuSecondsWithoutJit();
      long started = System.nanoTime();
      Thread.sleep(LIVE_SECONDS * 1000L - LIVE_WARMUP_MILLIS);
      double cpu = gw.cpuSeconds() - cpuBefore;
      double work = gw.cpuSecondsWithoutJit() - workBefore;
      double seconds = (System.nanoTime() - started) / 1e9;
      tunnel.stop();
      direct.stop();
      List<GatewayProcess.ClosedSession> closed = awaitClosed(gw);
      List<Double> added = new ArrayList<>();
      Map<String, Long> d = direct.clock().arrivals();
      Long firstTs = d.keySet().stream().map(k -> Long.parseLong(k.substring(k.indexOf(':') + 1)))
          .filter(ts -> ts > 0).min(Long::compare).orElse(0L);
      tunnel.clock().arrivals().forEach((key, t) -> {
        Long td = d.get(key);
        long ts = Long.parseLong(key.substring(key.indexOf(':') + 1));
        if (td != null && ts > firstTs + LIVE_WARMUP_MILLIS) {
          added.add((t - td) / 1e6);
        }
      });
      assertThat(added).as("packets received by both players (%s, hold %d)", client, holdMillis).isNotEmpty();
      String rate = closed.isEmpty() ? "n/a (session not closed)"
          : String.format("%.1f", closed.get(0).requests() / (closed.get(0).durationMillis() / 1000.0));
      report.append(String.format("| %s | %d | %d | %.2f | %.2f | %s | %.1f | %.1f |%n", client,
          holdMillis, added.size(), Stats.median(added), Stats.percentile(added, 95), rate,
          100 * cpu / seconds, 100 * work / seconds));
    } finally {
      publisher.destroy();
      if (!publisher.waitFor(10, TimeUnit.SECONDS)) {
        publisher.destroyForcibly();
      }
    }
  }

  private static List<GatewayProcess.ClosedSession> awaitClosed(GatewayProcess gw) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (System.nanoTime() < deadline) {
      List<GatewayProcess.ClosedSession> closed = gw.closedSessions();
      if (!closed.isEmpty()) {
        return closed;
      }
      Thread.sleep(100);
    }
    return List.of();
  }

  /** A player writing FLV to its stdout, which the clock reads as it arrives. */
  private record Player(Process process, FlvArrivalClock clock, Thread reader, String client) {
    static Player start(String client, String url, Path log) throws IOException {
      List<String> command = client.equals("ffmpeg")
          // -copyts keeps the server's timestamps, so both players' packets carry the same keys
          ? List.of("ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-i", url,
              "-c", "copy", "-copyts", "-flush_packets", "1", "-f", "flv", "pipe:1")
          : List.of("rtmpdump", "-q", "-v", "-r", url, "-o", "-");
      Process p = new ProcessBuilder(command)
          .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
          .redirectError(log.toFile())
          .start();
      FlvArrivalClock clock = new FlvArrivalClock(p.getInputStream());
      Thread t = new Thread(clock, "flv-clock-" + client);
      t.setDaemon(true);
      t.start();
      return new Player(p, clock, t, client);
    }

    /** Ends the player the way it ends cleanly (ffmpeg: SIGTERM; rtmpdump: SIGINT), bounded. */
    void stop() throws Exception {
      if (client.equals("rtmpdump")) {
        new ProcessBuilder("kill", "-INT", Long.toString(process.pid())).start().waitFor(5, TimeUnit.SECONDS);
      } else {
        process.destroy();
      }
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(5, TimeUnit.SECONDS);
      }
      reader.join(5_000);
    }
  }

  private static List<String> publishCommand(Path flv, String url) {
    return List.of("ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-i", flv.toString(),
        "-c", "copy", "-f", "flv", url);
  }

  private static List<String> pullCommand(String url) {
    // a large client buffer makes nginx-rtmp send the file as fast as it can
    return List.of("ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error",
        "-rtmp_buffer", "100000000", "-i", url, "-c", "copy", "-f", "null", "-");
  }

  /**
   * Adds one MB/s sample. nginx-rtmp's {@code play} now and then never sends the end of a file
   * (seen here with direct RTMP as well as through the gateway), leaving the player waiting: such
   * a transfer is killed at the bound, counted in the report, and measured once more.
   */
  private static void rate(List<Double> samples, double mb, String label, List<String> command)
      throws Exception {
    for (int attempt = 0; attempt < 2; attempt++) {
      try {
        samples.add(mb / timed(label, command));
        return;
      } catch (TransferHung e) {
        hung.add(label);
      }
    }
    throw new IllegalStateException(label + " hung twice in a row; see " + work.resolve(label + ".log"));
  }

  /** One warm-up transfer; one that hangs (see {@link #rate}) is counted like a measured one. */
  private static void warmUp(String label, List<String> command) throws Exception {
    rate(new ArrayList<>(), 1, label, command);
  }

  private static final List<String> hung = new ArrayList<>();

  /** A transfer that did not end within its bound. */
  private static final class TransferHung extends Exception {
    TransferHung(String message) {
      super(message);
    }
  }

  /** Runs a command to completion (bounded) and returns its wall time in seconds. */
  private static double timed(String label, List<String> command) throws Exception {
    long start = System.nanoTime();
    Process p = new ProcessBuilder(command)
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
        .redirectErrorStream(true)
        .redirectOutput(work.resolve(label + ".log").toFile())
        .start();
    if (!p.waitFor(RUN_BOUND_SECONDS, TimeUnit.SECONDS)) {
      p.destroyForcibly(); // ffmpeg ignores SIGTERM while it waits on the network
      p.waitFor(10, TimeUnit.SECONDS);
      throw new TransferHung(label + " did not finish within " + RUN_BOUND_SECONDS + " s");
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    assertThat(p.exitValue()).as(label + " exit status; see " + work.resolve(label + ".log")).isZero();
    return seconds;
  }

  private static void throughputRow(
      String what, List<Double> direct, List<Double> tunnel, List<Double> gatewayCpu) {
    if (report.indexOf("## Throughput") < 0) {
      report.append("## Throughput (MB/s, median of rounds)\n\n");
      report.append("| what | direct RTMP | RTMPT via gateway | ratio | all direct | all RTMPT "
          + "| gateway CPU s per RTMPT transfer (median) |\n");
      report.append("|---|---|---|---|---|---|---|\n");
    }
    double d = Stats.median(direct);
    double t = Stats.median(tunnel);
    report.append(String.format("| %s | %.1f | %.1f | %.2f | %s | %s | %.2f |%n", what, d, t, t / d,
        format(direct), format(tunnel), Stats.median(gatewayCpu)));
  }

  private static String format(List<Double> values) {
    return values.stream().map(v -> String.format("%.0f", v)).reduce((a, b) -> a + " " + b).orElse("");
  }

  private static String cpuModel() {
    try {
      return Files.readAllLines(Path.of("/proc/cpuinfo")).stream()
          .filter(l -> l.startsWith("model name"))
          .findFirst()
          .map(l -> l.substring(l.indexOf(':') + 1).trim())
          .orElse("unknown CPU");
    } catch (IOException e) {
      return "unknown CPU";
    }
  }
}
