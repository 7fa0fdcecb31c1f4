package org.rtmpgw.it.load;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Load held: many concurrent idle RTMPT sessions on one gateway, stepped up to 10 000.
 *
 * <p>Run with {@code mvn -B verify -Pbench -pl integration-tests -Dit.test=LoadBench} (after
 * {@code mvn -B -DskipTests install}). Each session is one TCP connection from the client, opens
 * with {@code /open/1}, completes the RTMP handshake through the tunnel (so every session really
 * has an upstream connection that carried bytes both ways), then polls {@code /idle} every ~2 s
 * (±25 %) as a slow Flash client does. At each step, after the ramp and a settle time, the load is
 * held and measured; then the gateway's heap is measured after a forced full GC. Writes {@code
 * integration-tests/target/bench/load-report.md} and prints it.
 *
 * <p>The gateway runs as {@code java -Xms128m -Xmx512m -jar rtmp-gateway.jar} (the systemd unit's
 * heap) once per {@code load.idleHolds} value, with {@code --max-sessions-per-client 0} (every load
 * session comes from 127.0.0.1). Each step is capped by open files: the gateway holds two
 * descriptors per session and cannot be given more than this process's hard limit. The upstream
 * is {@link TcpSink}, not nginx-rtmp (see there why). Asserts only that the load happened as
 * asked (every session opened and was closed, no errors) and that the gateway's session count
 * returned to 0; the figures are the result.
 *
 * <p>Properties: {@code load.steps} (1000,2500,5000,7500,10000), {@code load.holdSeconds} (30),
 * {@code load.settleSeconds} (5), {@code load.pollMillis} (2000), {@code load.jitter} (0.25),
 * {@code load.openRate} (500/s), {@code load.maxConcurrentOpens} (64), {@code load.closeRate}
 * (1000/s), {@code load.idleHolds} (100; e.g. {@code 100,0}: the gateway's {@code --idle-hold-ms}
 * of each run), {@code load.heap} (512m), {@code load.handshake} (true), {@code load.gatewayArgs}
 * (extra gateway flags), {@code load.jvmArgs} (extra gateway JVM flags, e.g. {@code
 * -XX:+UseZGC}), {@code load.requestTimeoutMillis} (10000), {@code load.warmupSessions} (200),
 * {@code load.nofile} (65536: asked for the gateway and sink, capped at our hard limit).
 */
@Timeout(value = 60, unit = TimeUnit.MINUTES)
class LoadBench {
  private static final List<Integer> STEPS = ints(System.getProperty("load.steps", "1000,2500,5000,7500,10000"));
  /**
   * The gateway's --idle-hold-ms of each run. One run by default (the default 100 ms), so that
   * {@code -Pbench} with EndToEndBench stays within failsafe's 1200 s fork timeout.
   */
  private static final List<Integer> IDLE_HOLDS = ints(System.getProperty("load.idleHolds", "100"));
  private static final long HOLD_SECONDS = Long.getLong("load.holdSeconds", 30);
  private static final long SETTLE_SECONDS = Long.getLong("load.settleSeconds", 5);
  private static final long POLL_MILLIS = Long.getLong("load.pollMillis", 2000);
  private static final double JITTER = Double.parseDouble(System.getProperty("load.jitter", "0.25"));
  private static final int OPEN_RATE = Integer.getInteger("load.openRate", 500);
  private static final int CLOSE_RATE = Integer.getInteger("load.closeRate", 1000);
  private static final int MAX_CONCURRENT_OPENS = Integer.getInteger("load.maxConcurrentOpens", 64);
  private static final String HEAP = System.getProperty("load.heap", "512m");
  private static final boolean HANDSHAKE = Boolean.parseBoolean(System.getProperty("load.handshake", "true"));
  private static final long REQUEST_TIMEOUT_MILLIS = Long.getLong("load.requestTimeoutMillis", 10_000);
  private static final int WARMUP_SESSIONS = Integer.getInteger("load.warmupSessions", 200);
  private static final long WARMUP_SECONDS = 10;
  /** Extra flags for the gateway's JVM (before -jar), e.g. -XX:MaxDirectMemorySize=256m. */
  private static final List<String> GATEWAY_JVM_ARGS =
      System.getProperty("load.jvmArgs", "").isBlank()
          ? List.of()
          : List.of(System.getProperty("load.jvmArgs").trim().split("\\s+"));
  private static final List<String> GATEWAY_ARGS =
      System.getProperty("load.gatewayArgs", "").isBlank()
          ? List.of()
          : List.of(System.getProperty("load.gatewayArgs").trim().split("\\s+"));
  /** Open-file limit of the gateway and sink processes (2 per session in the gateway). */
  private static final long CHILD_NOFILE_WANTED = Long.getLong("load.nofile", 65_536);
  /** Descriptors kept free in the gateway beyond its baseline and 2 per session. */
  private static final int FD_MARGIN = 64;
  private static long childNofile;
  /** Flags the bench's topology needs: every load session comes from one address. */
  private static final List<String> topologyArgs = new ArrayList<>();
  private static final int HISTOGRAM_LINES = 25;

  private static Path work;
  private static Path jar;
  private static ChildJvm sink;
  private static Path sinkStatus;
  private static final StringBuilder report = new StringBuilder();
  private static final List<String> problems = new ArrayList<>();
  private int histogramAt;

  /** One measured step. */
  private record Row(
      int target, long active, long heapAfterGc, double heapPerSessionKib, double directMib,
      long rssKib, long threads, long fds, double gatewayCpuPercent, double clientCpuPercent,
      double sinkCpuPercent, double otherCpuPercent, double loadAverage, double pollsPerSecond, int[] idleMicros, int[] lagMicros,
      String errors, int errorCount, String gcs, int[] openMicros, int[] handshakeMicros) {}

  @BeforeAll
  static void setUp() throws Exception {
    Path builtJar = Path.of(System.getProperty("gateway.jar", "../gateway/target/rtmp-gateway.jar"));
    assumeTrue(Files.isRegularFile(builtJar), "gateway jar not built: " + builtJar);
    work = Files.createDirectories(Path.of("target/bench/load").toAbsolutePath());
    // a copy: a rebuild of the module during the run must not change the jar under a running JVM
    jar = work.resolve("rtmp-gateway.jar");
    Files.copy(builtJar, jar, StandardCopyOption.REPLACE_EXISTING);

    String help = gatewayHelp(jar);
    if (help.contains("--max-sessions-per-client")) {
      topologyArgs.addAll(List.of("--max-sessions-per-client", "0"));
    }
    int maxSessions = STEPS.stream().mapToInt(Integer::intValue).max().orElse(0);
    String clientLimits = ensureClientFileLimit(maxSessions + 500);

    sinkStatus = work.resolve("sink.status");
    Files.deleteIfExists(sinkStatus);
    Path classes = Path.of(TcpSink.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    childNofile = ChildJvm.childFileLimit(CHILD_NOFILE_WANTED);
    sink = ChildJvm.start("sink", childNofile, work.resolve("sink.log"),
        List.of("-Xmx256m", "-XX:+UseSerialGC", "-cp", classes.toString(), TcpSink.class.getName(),
            sinkStatus.toString()));
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (sinkPort() <= 0) {
      if (System.nanoTime() - deadline > 0 || !sink.isAlive()) {
        throw new IllegalStateException("TCP sink did not start:\n" + sink.logTail(20));
      }
      Thread.sleep(100);
    }

    report.append("# Load held: idle RTMPT sessions on one gateway\n\n");
    report.append("- date: ").append(Instant.now()).append('\n');
    report.append("- machine: ").append(Runtime.getRuntime().availableProcessors()).append(" cores (")
        .append(cpuModel()).append("), ").append(memTotalGib()).append(" GiB RAM, Linux ")
        .append(System.getProperty("os.version")).append('\n');
    report.append("- java: ").append(System.getProperty("java.version")).append('\n');
    report.append("- gateway jar: ").append(builtJar.toAbsolutePath().normalize()).append(", built ")
        .append(Files.getLastModifiedTime(builtJar)).append(", sha256 ").append(sha256(jar).substring(0, 16))
        .append("…\n");
    report.append("- gateway: `java -Xms128m -Xmx").append(HEAP)
        .append(GATEWAY_JVM_ARGS.isEmpty() ? "" : " " + String.join(" ", GATEWAY_JVM_ARGS))
        .append(" -jar rtmp-gateway.jar`")
        .append(GATEWAY_JVM_ARGS.stream().anyMatch(a -> a.startsWith("-XX:+Use") && a.endsWith("GC"))
            ? "" : " (G1, the JVM default here)")
        .append(", plain listener only, `--upstream-probe-interval-ms 0`")
        .append(topologyArgs.isEmpty() ? "" : ", `" + String.join(" ", topologyArgs)
            + "` (every load session comes from 127.0.0.1)")
        .append(GATEWAY_ARGS.isEmpty() ? "" : ", extra flags `" + String.join(" ", GATEWAY_ARGS) + "`")
        .append("\n");
    report.append("- upstream: TcpSink (a non-blocking Java TCP server in its own JVM that answers the")
        .append(" RTMP simple handshake and then holds the connection, reading and discarding)\n");
    report.append("- client: one NIO selector thread in the test JVM; one TCP connection (HTTP/1.1")
        .append(" keep-alive) per session; `/open/1`, ")
        .append(HANDSHAKE ? "RTMP handshake through the tunnel (C0C1 send, idles until S0S1S2, S2 checked"
            + " against C1, C2 send), " : "")
        .append("then `/idle` every ").append(POLL_MILLIS).append(" ms ±").append(Math.round(JITTER * 100))
        .append(" % after the previous poll was sent; opens at ").append(OPEN_RATE)
        .append("/s (at most ").append(MAX_CONCURRENT_OPENS).append(" at once), closes at ")
        .append(CLOSE_RATE).append("/s\n");
    report.append("- each step: ramp to the target, settle ").append(SETTLE_SECONDS).append(" s, hold ")
        .append(HOLD_SECONDS).append(" s measured, then `jcmd GC.run` + `GC.heap_info` (after the")
        .append(" hold, so the full GC's pause is not in the poll figures)\n");
    report.append("- open-file limits: ").append(clientLimits).append("; gateway and sink get ")
        .append(childNofile).append(childNofile < CHILD_NOFILE_WANTED
            ? " (" + CHILD_NOFILE_WANTED + " wanted; raising a hard limit needs CAP_SYS_RESOURCE, which "
                + (hasSysResource() ? "this process has" : "this container does not grant") + ")"
            : " (through prlimit)")
        .append("; ephemeral ports ")
        .append(Files.readAllLines(Path.of("/proc/sys/net/ipv4/ip_local_port_range")).get(0).trim()
            .replace('\t', '-'))
        .append('\n');
  }

  @AfterAll
  static void tearDown() throws Exception {
    try {
      if (sink != null && !sink.stop(10)) {
        problems.add("sink did not exit");
      }
    } finally {
      if (work != null) {
        Path out = work.getParent().resolve("load-report.md");
        Files.writeString(out, report.toString(), StandardCharsets.UTF_8);
        System.out.println(report);
        System.out.println("(written to " + out + ")");
      }
    }
  }

  @Test
  void idleSessionsHeld() throws Exception {
    for (int hold : IDLE_HOLDS) {
      runWithIdleHold(hold);
    }
    assertThat(problems).as("problems of the load run (see the report)").isEmpty();
  }

  private void runWithIdleHold(int idleHoldMillis) throws Exception {
    String name = "hold" + idleHoldMillis;
    List<String> args = new ArrayList<>(List.of("--idle-hold-ms", Integer.toString(idleHoldMillis)));
    args.addAll(topologyArgs);
    args.addAll(GATEWAY_ARGS);
    report.append("\n## `--idle-hold-ms ").append(idleHoldMillis).append("`\n\n");
    List<Row> rows = new ArrayList<>();
    String histogram = null;
    histogramAt = 0;
    List<String> jvmFlags = new ArrayList<>(List.of("-Xms128m", "-Xmx" + HEAP));
    jvmFlags.addAll(GATEWAY_JVM_ARGS);
    try (GatewayUnderLoad gw = GatewayUnderLoad.start(jar, work, name, childNofile, jvmFlags, sinkPort(), args);
        LoadClient client = new LoadClient(new LoadClient.Settings(gw.address(),
            Duration.ofMillis(POLL_MILLIS), JITTER, OPEN_RATE, MAX_CONCURRENT_OPENS, CLOSE_RATE,
            Duration.ofMillis(REQUEST_TIMEOUT_MILLIS), Duration.ofSeconds(15), HANDSHAKE))) {
      ChildJvm jvm = gw.jvm();
      report.append("Gateway JVM: pid ").append(jvm.pid()).append(", max open files ")
          .append(jvm.maxOpenFiles()).append("; log `").append(work.relativize(jvm.log()))
          .append("`, GC log `gc-").append(name).append(".log`.\n\n");

      // Warm-up: JIT, class loading and Jetty's pools, so the baseline is a running gateway's.
      int warm = WARMUP_SESSIONS;
      if (warm > 0) {
        client.open(warm);
        awaitOpened(client, 60);
        Thread.sleep(TimeUnit.SECONDS.toMillis(WARMUP_SECONDS));
        client.closeAll();
        awaitClosed(client, 60);
        gw.awaitSessions(0, Duration.ofSeconds(30));
        client.swapWindow();
      }
      long baselineHeap = gw.heapAfterGc();
      long baselineThreads = jvm.status("Threads");
      long baselineFds = jvm.openFds();
      long baselineRss = jvm.status("VmRSS");
      report.append("Baseline after ").append(warm).append(" warm-up sessions and a full GC: heap ")
          .append(mib(baselineHeap)).append(" MiB, ").append(baselineThreads).append(" threads, ")
          .append(baselineFds).append(" fds, RSS ").append(baselineRss / 1024).append(" MiB.\n\n");

      // The gateway holds two descriptors per session (client and upstream connection).
      long gatewayFdLimit = jvm.maxOpenFiles();
      int fdBound = (int) Math.min((gatewayFdLimit - baselineFds - FD_MARGIN) / 2,
          Proc.maxOpenFiles(Path.of("/proc/self/limits")) - Proc.openFds(ProcessHandle.current().pid())
              - FD_MARGIN);
      List<Integer> steps = STEPS.stream().map(t -> Math.min(t, fdBound)).distinct().toList();
      if (!steps.equals(STEPS)) {
        report.append("**Steps capped at ").append(fdBound).append(" sessions by open files**: the")
            .append(" gateway's limit is ").append(gatewayFdLimit).append(", its baseline ")
            .append(baselineFds).append(" fds, and each session takes 2 (client + upstream connection);")
            .append(" ").append(FD_MARGIN).append(" are kept spare. Steps run: ").append(steps).append(".\n\n");
      }
      int opened = warm;
      List<String> notes = new ArrayList<>();
      for (int target : steps) {
        try {
          int more = target - client.steady();
          if (more > 0) {
            client.open(more);
            opened += more;
          }
          if (!awaitOpened(client, (long) Math.ceil(Math.max(0, more) / (double) OPEN_RATE) * 4 + 60)) {
            problems.add(name + ": step " + target + ": opens still pending after the bound");
          }
          if (client.steady() < target) {
            problems.add(name + ": step " + target + ": only " + client.steady() + " sessions polling ("
                + client.failed() + " failed so far)");
          }
          Thread.sleep(TimeUnit.SECONDS.toMillis(SETTLE_SECONDS));
          LoadClient.Window ramp = client.swapWindow();
          Map<String, Double> m0 = metricsOrEmpty(gw);
          long gw0 = jvm.cpuTicks();
          long cl0 = Proc.selfCpuTicks();
          long sk0 = sink.cpuTicks();
          long all0 = Proc.machineBusyTicks();
          Thread.sleep(TimeUnit.SECONDS.toMillis(HOLD_SECONDS));
          LoadClient.Window held = client.swapWindow();
          long gw1 = jvm.cpuTicks();
          long cl1 = Proc.selfCpuTicks();
          long sk1 = sink.cpuTicks();
          long all1 = Proc.machineBusyTicks();
          double loadAverage = Proc.loadAverage();
          Map<String, Double> m1 = metricsOrEmpty(gw);
          double seconds = held.seconds();
          long active = Math.round(m1.getOrDefault("rtmpgw_sessions_active{transport=\"rtmpt\"}", -1.0));
          long threads = jvm.status("Threads");
          long fds = jvm.openFds();
          long rss = jvm.status("VmRSS");
          double direct = m1.getOrDefault("jvm_buffer_pool_used_bytes{pool=\"direct\"}", 0.0) / (1 << 20);
          String gcs = gcDelta(m0, m1);
          long heap = heapAfterGcOrMinus(gw, notes, "step " + target);
          if (target == steps.get(steps.size() - 1) || heap > maxHeapBytes() * 0.8) {
            try {
              histogram = gw.classHistogram();
              histogramAt = target;
              Files.writeString(work.resolve("histogram-" + name + "-" + target + ".txt"), histogram);
            } catch (IOException e) {
              notes.add("step " + target + ": no class histogram: " + e.getMessage());
            }
          }
          int errors = ramp.errors() + held.errors();
          String errorText = ramp.errors() == 0 && held.errors() == 0 ? "0"
              : "ramp " + ramp.describeErrors() + "; hold " + held.describeErrors();
          Row row = new Row(target, active, heap, (heap - baselineHeap) / 1024.0 / Math.max(1, target),
              direct, rss, threads, fds, pct(gw1 - gw0, seconds), pct(cl1 - cl0, seconds),
              pct(sk1 - sk0, seconds),
              pct((all1 - all0) - (gw1 - gw0) - (cl1 - cl0) - (sk1 - sk0), seconds), loadAverage,
              held.idleMicros.size() / seconds, held.idleMicros.sorted(),
              held.lagMicros.sorted(), errorText, errors, gcs, ramp.openMicros.sorted(),
              ramp.handshakeMicros.sorted());
          rows.add(row);
          System.out.println("[load " + name + "] " + target + " sessions: active " + active + ", heap "
              + mib(heap) + " MiB, p99 " + ms(LoadClient.IntArray.percentile(row.idleMicros, 99))
              + " ms, gateway CPU " + String.format(Locale.ROOT, "%.0f", row.gatewayCpuPercent) + " %, errors "
              + errorText);
          if (errors > 0) {
            problems.add(name + ": step " + target + ": errors " + errorText);
          }
          if (active != target) {
            problems.add(name + ": step " + target + ": gateway reports " + active + " sessions");
          }
          if (!jvm.isAlive()) {
            problems.add(name + ": gateway died at step " + target + ":\n" + jvm.logTail(20));
            break;
          }
          if (client.failed() > target / 100) {
            problems.add(name + ": " + client.failed() + " sessions failed; no further steps");
            notes.add("step " + target + ": " + client.failed() + " sessions failed so far; no further steps");
            break;
          }
        } catch (IOException | RuntimeException e) {
          problems.add(name + ": step " + target + ": " + e);
          notes.add("step " + target + ": measurement failed (" + e + "); no further steps. Gateway "
              + (jvm.isAlive() ? "alive" : "dead") + "; last GC log lines:\n\n```\n"
              + tail(work.resolve("gc-" + name + ".log"), 4) + "\n```");
          break;
        }
      }
      table(rows, idleHoldMillis);
      for (String note : notes) {
        report.append("\n- ").append(note).append('\n');
      }
      Path gcLog = work.resolve("gc-" + name + ".log");
      report.append("\nFull GCs in the GC log so far: ")
          .append(countLines(gcLog, "G1 Compaction Pause")).append(" for a full heap (\"G1 Compaction Pause\"), ")
          .append(countLines(gcLog, "(System.gc())")).append(" \"System.gc()\" from inside the gateway's JVM")
          .append(" (java.nio calls it when direct memory reaches -XX:MaxDirectMemorySize, by default the -Xmx),")
          .append(" besides the ").append(gw.fullGcsRequested()).append(" this bench asked for through jcmd.\n");

      // Close everything and check the gateway is back where it started.
      long closeStart = System.nanoTime();
      int steady = client.steady();
      client.closeAll();
      boolean allClosed = awaitClosed(client, (long) Math.ceil(steady / (double) CLOSE_RATE) * 4 + 60);
      LoadClient.Window closing = client.swapWindow();
      long left = gw.awaitSessions(0, Duration.ofSeconds(60));
      double closeSeconds = (System.nanoTime() - closeStart) / 1e9;
      long sinkOpen = awaitSinkOpen(0, Duration.ofSeconds(30));
      long endHeap = heapAfterGcOrMinus(gw, new ArrayList<>(), "end");
      long endThreads = jvm.status("Threads");
      long endFds = jvm.openFds();
      report.append("\nAfter closing all ").append(steady).append(" sessions (").append(closing.closes)
          .append(" `/close` answered, errors ").append(closing.describeErrors()).append(", ")
          .append(String.format(Locale.ROOT, "%.1f", closeSeconds)).append(" s): gateway sessions ")
          .append(left).append(", sink connections ").append(sinkOpen).append(", heap after GC ")
          .append(mib(endHeap)).append(" MiB (baseline ").append(mib(baselineHeap)).append("), threads ")
          .append(endThreads).append(" (baseline ").append(baselineThreads).append("), fds ")
          .append(endFds).append(" (baseline ").append(baselineFds).append(").\n");
      report.append("Sessions opened in this run: ").append(opened).append(", failed: ")
          .append(client.failed()).append(".\n");
      if (!allClosed || closing.errors() > 0) {
        problems.add(name + ": closing: " + client.steady() + " not closed, errors " + closing.describeErrors());
      }
      if (left != 0) {
        problems.add(name + ": gateway still reports " + left + " RTMPT sessions after close");
      }
      if (sinkOpen != 0) {
        problems.add(name + ": " + sinkOpen + " upstream connections still open after close");
      }
      if (client.failure() != null) {
        problems.add(name + ": load client loop died: " + client.failure());
      }
      if (histogram != null) {
        report.append("\nTop of `jcmd GC.class_histogram` at ").append(histogramAt)
            .append(" sessions (full file in `target/bench/load/`):\n\n```\n")
            .append(histogramTop(histogram)).append("```\n");
      }
    }
  }

  private void table(List<Row> rows, int idleHoldMillis) {
    report.append("| sessions | active (metrics) | heap after GC MiB | heap/session KiB | direct MiB | RSS MiB")
        .append(" | threads | fds | gateway CPU % | polls/s | poll p50 ms | p99 ms | max ms")
        .append(" | p99 beyond hold ms | client lag p99 ms | GCs in hold | client CPU % | sink CPU %")
        .append(" | other CPU % | load avg | errors |\n");
    report.append("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---|\n");
    for (Row r : rows) {
      double p99 = LoadClient.IntArray.percentile(r.idleMicros, 99);
      report.append("| ").append(r.target)
          .append(" | ").append(r.active)
          .append(" | ").append(r.heapAfterGc < 0 ? "–" : mib(r.heapAfterGc))
          .append(" | ").append(r.heapAfterGc < 0 ? "–" : f1(r.heapPerSessionKib))
          .append(" | ").append(f1(r.directMib))
          .append(" | ").append(r.rssKib / 1024)
          .append(" | ").append(r.threads)
          .append(" | ").append(r.fds)
          .append(" | ").append(f0(r.gatewayCpuPercent))
          .append(" | ").append(f0(r.pollsPerSecond))
          .append(" | ").append(ms(LoadClient.IntArray.percentile(r.idleMicros, 50)))
          .append(" | ").append(ms(p99))
          .append(" | ").append(ms(r.idleMicros.length == 0 ? Double.NaN : r.idleMicros[r.idleMicros.length - 1]))
          .append(" | ").append(ms(p99 - idleHoldMillis * 1000.0))
          .append(" | ").append(ms(LoadClient.IntArray.percentile(r.lagMicros, 99)))
          .append(" | ").append(r.gcs)
          .append(" | ").append(f0(r.clientCpuPercent))
          .append(" | ").append(f0(r.sinkCpuPercent))
          .append(" | ").append(f0(r.otherCpuPercent))
          .append(" | ").append(f1(r.loadAverage))
          .append(" | ").append(r.errors)
          .append(" |\n");
    }
    report.append("\nCPU % is of one core (the machine has ")
        .append(Runtime.getRuntime().availableProcessors())
        .append(" cores); heap/session is (heap after GC − baseline) / sessions; poll latency is")
        .append(" client-measured over the hold, from writing the request to having read the whole answer;")
        .append(" \"beyond hold\" subtracts the ").append(idleHoldMillis)
        .append(" ms the gateway holds an idle that finds no data; client lag is how late the client")
        .append(" sent polls against their schedule (its own overload, if any); other CPU % is the")
        .append(" machine's busy time during the hold not spent by gateway, client or sink (other work on")
        .append(" the shared machine), load avg the 1-minute load average at the end of the hold.\n\n");
    report.append("Ramp (opens of each step): ");
    List<String> parts = new ArrayList<>();
    for (Row r : rows) {
      parts.add(r.target + ": `/open/1` p50/p99 " + ms(LoadClient.IntArray.percentile(r.openMicros, 50))
          + "/" + ms(LoadClient.IntArray.percentile(r.openMicros, 99)) + " ms"
          + (HANDSHAKE ? ", open to handshake done p99 "
              + ms(LoadClient.IntArray.percentile(r.handshakeMicros, 99)) + " ms" : ""));
    }
    report.append(String.join("; ", parts)).append(".\n");
  }

  // ------------------------------------------------------------------------------- helpers

  private static boolean awaitOpened(LoadClient client, long boundSeconds) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(boundSeconds);
    while (client.pending() > 0) {
      if (System.nanoTime() - deadline > 0 || client.failure() != null) {
        return false;
      }
      Thread.sleep(100);
    }
    return true;
  }

  private static boolean awaitClosed(LoadClient client, long boundSeconds) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(boundSeconds);
    while (client.steady() > 0) {
      if (System.nanoTime() - deadline > 0 || client.failure() != null) {
        return false;
      }
      Thread.sleep(100);
    }
    return true;
  }

  private static final Pattern SINK_FIELD = Pattern.compile("(\\w+)=(\\d+)");

  private static long sinkField(String field) {
    try {
      if (!Files.exists(sinkStatus)) {
        return -1;
      }
      Matcher m = SINK_FIELD.matcher(Files.readString(sinkStatus));
      while (m.find()) {
        if (m.group(1).equals(field)) {
          return Long.parseLong(m.group(2));
        }
      }
    } catch (IOException e) {
      // being replaced; ask again
    }
    return -1;
  }

  private static int sinkPort() {
    return (int) sinkField("port");
  }

  private static long awaitSinkOpen(long expected, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    long last;
    while ((last = sinkField("open")) != expected && System.nanoTime() - deadline < 0) {
      Thread.sleep(200);
    }
    return last;
  }

  /**
   * The client JVM needs one descriptor per session. Java raises its soft limit to the hard one at
   * start; if that is still too low, raise it (as root) with prlimit on this process.
   */
  private static String ensureClientFileLimit(long needed) throws IOException, InterruptedException {
    Path limits = Path.of("/proc/self/limits");
    long soft = Proc.maxOpenFiles(limits);
    long hard = Proc.maxOpenFilesHard(limits);
    String found = "client JVM " + soft + " (hard " + hard + ")";
    if (soft >= needed) {
      return found;
    }
    long pid = ProcessHandle.current().pid();
    Process p = new ProcessBuilder("prlimit", "--pid", Long.toString(pid),
        "--nofile=" + Math.max(needed, 65_536) + ":" + Math.max(needed, 65_536))
        .redirectErrorStream(true).start();
    boolean done = p.waitFor(10, TimeUnit.SECONDS);
    long now = Proc.maxOpenFiles(limits);
    assumeTrue(done && now >= needed,
        "the load client needs " + needed + " open files; limit " + now + " and prlimit failed");
    return found + ", raised to " + now + " with prlimit";
  }

  private static String sha256(Path file) throws IOException {
    try {
      java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
      return java.util.HexFormat.of().formatHex(md.digest(Files.readAllBytes(file)));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** {@code java -jar <jar> --help} (bounded): which settings this build of the gateway has. */
  private static String gatewayHelp(Path jar) throws IOException, InterruptedException {
    Path out = work.resolve("gateway-help.txt");
    Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-jar", jar.toString(), "--help")
        .redirectErrorStream(true)
        .redirectOutput(out.toFile())
        .start();
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      p.waitFor(5, TimeUnit.SECONDS);
      throw new IOException("gateway --help did not finish");
    }
    return Files.readString(out);
  }

  private static Map<String, Double> metricsOrEmpty(GatewayUnderLoad gw) throws InterruptedException {
    try {
      return gw.metrics();
    } catch (IOException e) {
      return Map.of(); // an unresponsive gateway: its figures show as missing
    }
  }

  private static long heapAfterGcOrMinus(GatewayUnderLoad gw, List<String> notes, String when)
      throws InterruptedException {
    try {
      return gw.heapAfterGc();
    } catch (IOException e) {
      notes.add(when + ": no heap figure: " + e.getMessage());
      return -1;
    }
  }

  private static long maxHeapBytes() {
    String h = HEAP.toLowerCase(Locale.ROOT);
    long n = Long.parseLong(h.replaceAll("[^0-9]", ""));
    return h.endsWith("g") ? n << 30 : h.endsWith("m") ? n << 20 : h.endsWith("k") ? n << 10 : n;
  }

  private static String tail(Path file, int lines) {
    try {
      List<String> all = Files.readAllLines(file);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException e) {
      return "(unreadable: " + e + ")";
    }
  }

  private static long countLines(Path file, String needle) {
    try (var lines = Files.lines(file)) {
      return lines.filter(l -> l.contains(needle)).count();
    } catch (IOException | java.io.UncheckedIOException e) {
      return -1;
    }
  }

  /** CAP_SYS_RESOURCE (bit 24) in this process's effective capabilities. */
  private static boolean hasSysResource() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("CapEff:")) {
          return (Long.parseUnsignedLong(line.substring(7).trim(), 16) & (1L << 24)) != 0;
        }
      }
    } catch (IOException | NumberFormatException e) {
      // unknown: say it is missing
    }
    return false;
  }

  /** Collections and their time per collector during the hold, from /metrics (any collector). */
  private static String gcDelta(Map<String, Double> m0, Map<String, Double> m1) {
    if (m0.isEmpty() || m1.isEmpty()) {
      return "–";
    }
    String prefix = "jvm_gc_collection_seconds_count{gc=\"";
    List<String> parts = new ArrayList<>();
    for (String key : new java.util.TreeSet<>(m1.keySet())) {
      if (!key.startsWith(prefix)) {
        continue;
      }
      String gc = key.substring(prefix.length(), key.length() - 2);
      String sumKey = "jvm_gc_collection_seconds_sum{gc=\"" + gc + "\"}";
      double count = m1.get(key) - m0.getOrDefault(key, 0.0);
      double sum = m1.getOrDefault(sumKey, 0.0) - m0.getOrDefault(sumKey, 0.0);
      String name = gc.replace("G1 Young Generation", "young").replace("G1 Old Generation", "full");
      if (count > 0 || name.equals("young")) {
        parts.add(String.format(Locale.ROOT, "%.0f %s (%.0f ms)", count, name, sum * 1000));
      }
    }
    return parts.isEmpty() ? "0" : String.join(", ", parts);
  }

  private static String histogramTop(String histogram) {
    String[] lines = histogram.split("\n");
    StringBuilder sb = new StringBuilder();
    int shown = 0;
    for (String line : lines) {
      if (line.matches("^\\d+:$") || line.isBlank()) {
        continue; // jcmd's "<pid>:" line
      }
      sb.append(line).append('\n');
      if (++shown >= HISTOGRAM_LINES + 2) {
        break;
      }
    }
    for (int i = lines.length - 1; i >= 0; i--) {
      if (lines[i].startsWith("Total")) {
        sb.append("...\n").append(lines[i]).append('\n');
        break;
      }
    }
    return sb.toString();
  }

  private static double pct(long ticks, double seconds) {
    return ticks / (double) Proc.CLOCK_TICKS_PER_SECOND / seconds * 100;
  }

  private static String mib(long bytes) {
    return String.format(Locale.ROOT, "%.1f", bytes / 1048576.0);
  }

  private static String ms(double micros) {
    return Double.isNaN(micros) ? "–" : String.format(Locale.ROOT, "%.1f", micros / 1000.0);
  }

  private static String f0(double v) {
    return String.format(Locale.ROOT, "%.0f", v);
  }

  private static String f1(double v) {
    return String.format(Locale.ROOT, "%.1f", v);
  }

  private static List<Integer> ints(String csv) {
    return Arrays.stream(csv.split(",")).map(String::trim).filter(s -> !s.isEmpty())
        .map(Integer::parseInt).toList();
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

  private static long memTotalGib() {
    try {
      return Proc.statusField(Path.of("/proc/meminfo"), "MemTotal") / (1024 * 1024);
    } catch (IOException e) {
      return -1;
    }
  }
}
