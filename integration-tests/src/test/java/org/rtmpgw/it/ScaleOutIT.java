package org.rtmpgw.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import org.rtmpgw.it.harness.FrameCounter;
import org.rtmpgw.it.harness.FrameCounter.Frames;
import org.rtmpgw.it.harness.FreePorts;
import org.rtmpgw.it.harness.HaproxyLb;
import org.rtmpgw.it.harness.Media;
import org.rtmpgw.it.harness.NginxLb;
import org.rtmpgw.it.harness.NginxRtmp;
import org.rtmpgw.it.harness.PeerProcess;
import org.rtmpgw.it.harness.Peers;
import org.rtmpgw.it.harness.Poll;

/**
 * Scale-out on loopback with the real programs: two gateway jar processes (node ids {@code n1} and
 * {@code n2}) behind a real HAProxy started from {@code config/haproxy.cfg}, in front of two
 * nginx-rtmp upstreams A and B ({@code upstream: A,B}, {@code upstream-balance: first}).
 *
 * <ol>
 *   <li>ffmpeg publishes over rtmpt (HAProxy's HTTP frontend) and over rtmps (its L4 frontend,
 *       PROXY v2); ffmpeg and rtmpdump play over rtmpt, ffmpeg over raw rtmp (L4). Every session
 *       lives on one node, every stream on upstream A.
 *   <li>{@code POST /admin/drain} on n1: its {@code /readyz} turns 503; {@code /open/1}s sent
 *       before HAProxy's check notices are re-sent to n2 ({@code retry-on 503}); once HAProxy has
 *       marked n1 DOWN, n1's running sessions are still routed to it by path ({@code
 *       force-persist}) and play to the end without a gap; a new player lands on n2; n1 exits 0
 *       once its sessions are done.
 *   <li>Every node's "session closed ... client=IP:PORT" names the client's own port as HAProxy
 *       logged it (PROXY v2 at L4, the Forwarded header for RTMPT), never HAProxy's.
 *   <li>Upstream A stops: a new publisher and player fail over to B.
 *   <li>The RTMPT part again behind a real nginx started from {@code config/nginx-lb.conf}: path
 *       routing, and an {@code /open/1} refused with 503 by a draining node passed on to the other
 *       node ({@code proxy_next_upstream http_503 non_idempotent}). With the stream module
 *       installed, also rtmps and raw rtmp through nginx's L4 part.
 * </ol>
 */
class ScaleOutIT {

  private static final int MEDIA_SECONDS = 26;
  private static final int SHORT_MEDIA_SECONDS = 14;
  private static final int PLAY_SECONDS = 11;
  private static final int LATE_PLAY_SECONDS = 7;
  private static final int SHORT_PLAY_SECONDS = 6;
  private static final int DRAIN_TIMEOUT_MS = 45_000;

  private static final Duration NODE_START_TIMEOUT = Duration.ofSeconds(60);
  private static final Duration PUBLISH_TIMEOUT = Duration.ofSeconds(20);
  private static final Duration SESSION_TIMEOUT = Duration.ofSeconds(20);
  private static final Duration HTTP_TIMEOUT = Duration.ofSeconds(5);
  private static final Duration POLL = Duration.ofMillis(100);

  /** Largest step between two decoded video packets of a stream with no frame lost (25 fps). */
  private static final double MAX_VIDEO_GAP_SECONDS = 0.1;

  private static final Pattern SESSION_CLOSED =
      Pattern.compile(
          "session closed id=(\\S+) transport=(\\S+) client=(\\S+):(\\d+) upstream=(\\S+)"
              + " duration=\\d+ms .* reason=(\\S+)");

  @TempDir(cleanup = CleanupMode.ON_SUCCESS)
  static Path workDir;

  static Path jar;
  static Path haproxySample;
  static Path nginxSample;
  static Path tlsCert;
  static Path tlsKey;
  static NginxRtmp upstreamA;
  static NginxRtmp upstreamB;

  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(3))
          .build();

  @BeforeAll
  static void startUpstreams() throws Exception {
    String property = System.getProperty("gateway.jar", "");
    jar = property.isEmpty() ? null : Path.of(property).toAbsolutePath();
    assumeTrue(jar != null && Files.isRegularFile(jar), "gateway.jar not built");
    assumeTrue(HaproxyLb.isAvailable(), "haproxy is not installed");
    // the samples live in config/ at the repository root, beside gateway/
    Path root = jar.getParent().getParent().getParent();
    haproxySample = root.resolve("config/haproxy.cfg");
    nginxSample = root.resolve("config/nginx-lb.conf");
    assertThat(haproxySample).isRegularFile();
    assertThat(nginxSample).isRegularFile();
    // Run a private copy: a JVM loads classes from its jar lazily (Jetty's shutdown path among
    // them), so a rebuild of gateway/target during the run would break the nodes' exit.
    jar =
        Files.copy(
            jar, Files.createDirectories(workDir.resolve("jar")).resolve("rtmp-gateway.jar"));
    upstreamA = NginxRtmp.startForTestClass(workDir.resolve("upstream-a"));
    // one EC certificate for both nodes' TLS listeners (openssl: much faster than a JVM RSA key)
    Path tls = Files.createDirectories(workDir.resolve("tls"));
    tlsCert = tls.resolve("node.crt.pem");
    tlsKey = tls.resolve("node.key.pem");
    PeerProcess openssl =
        PeerProcess.run(
            "openssl",
            tls,
            List.of(
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-days",
                "2",
                "-subj",
                "/CN=rtmp-gateway-node",
                "-addext",
                "subjectAltName=IP:127.0.0.1,DNS:localhost",
                "-keyout",
                tlsKey.toString(),
                "-out",
                tlsCert.toString()),
            Duration.ofSeconds(30));
    assertThat(openssl.exitCode()).as(openssl::describe).hasValue(0);
    upstreamB = new NginxRtmp(workDir.resolve("upstream-b")).start();
  }

  @AfterAll
  static void stopUpstreams() {
    NginxRtmp.stopAfterTestClass(upstreamB);
    NginxRtmp.stopAfterTestClass(upstreamA);
  }

  @Test
  @Timeout(value = 300, unit = TimeUnit.SECONDS)
  void nodesBehindHaproxyAndNginxDrainWithoutLossAndFailOverUpstreams() throws Exception {
    long testStart = System.nanoTime();
    Path flv = Media.testFlv(MEDIA_SECONDS);
    Path shortFlv = Media.testFlv(SHORT_MEDIA_SECONDS);
    String upstreams = "127.0.0.1:" + upstreamA.rtmpPort() + ",127.0.0.1:" + upstreamB.rtmpPort();
    String serverA = "127.0.0.1:" + upstreamA.rtmpPort();
    String serverB = "127.0.0.1:" + upstreamB.rtmpPort();

    Node n1 = new Node("n1", workDir.resolve("n1"), upstreams);
    Node n2 = new Node("n2", workDir.resolve("n2"), upstreams);
    Node n1b = new Node("n1", workDir.resolve("n1-again"), upstreams);
    HaproxyLb haproxy = null;
    NginxLb nginxLb = null;
    try (Peers peers = new Peers(workDir.resolve("peers"))) {
      n1.launch();
      n2.launch();
      n1.awaitReady();
      n2.awaitReady();
      haproxy =
          new HaproxyLb(
                  workDir.resolve("haproxy"),
                  haproxySample,
                  List.of(n1.haproxyNode(), n2.haproxyNode()))
              .start();
      HaproxyLb ha = haproxy;
      Supplier<String> context =
          () -> ha.describe() + n1.describe() + n2.describe() + peers.describeAll();
      assertThat(
              ha.awaitStatus(
                  "UP",
                  Duration.ofSeconds(20),
                  "rtmpt_nodes/n1",
                  "rtmpt_nodes/n2",
                  "rtmps_nodes/n1",
                  "rtmps_nodes/n2",
                  "rtmp_nodes/n1",
                  "rtmp_nodes/n2"))
          .as(context)
          .isTrue();
      List<Node> nodes = List.of(n1, n2);

      // --- 1. publish (rtmpt, rtmps at L4) and play (rtmpt, raw rtmp at L4) through HAProxy ---
      String rtmpt = "rtmpt://127.0.0.1:" + ha.httpPort() + "/live/";
      Path dir = peers.workDir();
      Map<String, Node> placed = new LinkedHashMap<>();
      Map<String, Long> opened = openedTotals(nodes, "rtmpt");
      PeerProcess pubT = peers.publish(flv, rtmpt + "t1", true);
      placed.put("publisher rtmpt t1", awaitNewSession(nodes, "rtmpt", opened, context));
      opened = openedTotals(nodes, "rtmps");
      PeerProcess pubS = peers.publish(flv, "rtmps://127.0.0.1:" + ha.tlsPort() + "/live/s1", true);
      placed.put("publisher rtmps s1", awaitNewSession(nodes, "rtmps", opened, context));
      assertThat(upstreamA.awaitPublishing("live", "t1", PUBLISH_TIMEOUT)).as(context).isTrue();
      assertThat(upstreamA.awaitPublishing("live", "s1", PUBLISH_TIMEOUT)).as(context).isTrue();

      Path out1 = dir.resolve("p1-ffmpeg-rtmpt.flv");
      Path out2 = dir.resolve("p2-rtmpdump-rtmpt.flv");
      Path out3 = dir.resolve("p3-ffmpeg-rtmpt.flv");
      Path out4 = dir.resolve("p4-ffmpeg-rtmp.flv");
      opened = openedTotals(nodes, "rtmpt");
      PeerProcess p1 = peers.play(rtmpt + "t1", out1, PLAY_SECONDS);
      Node p1Node = awaitNewSession(nodes, "rtmpt", opened, context);
      opened = openedTotals(nodes, "rtmpt");
      PeerProcess p2 = peers.rtmpdumpPlay(rtmpt + "s1", out2, PLAY_SECONDS);
      Node p2Node = awaitNewSession(nodes, "rtmpt", opened, context);
      opened = openedTotals(nodes, "rtmpt");
      PeerProcess p3 = peers.play(rtmpt + "s1", out3, PLAY_SECONDS);
      Node p3Node = awaitNewSession(nodes, "rtmpt", opened, context);
      opened = openedTotals(nodes, "rtmp");
      PeerProcess p4 =
          peers.play("rtmp://127.0.0.1:" + ha.rtmpPort() + "/live/t1", out4, PLAY_SECONDS - 2);
      Node p4Node = awaitNewSession(nodes, "rtmp", opened, context);
      placed.put("player ffmpeg rtmpt t1", p1Node);
      placed.put("player rtmpdump rtmpt s1", p2Node);
      placed.put("player ffmpeg rtmpt s1", p3Node);
      placed.put("player ffmpeg rtmp t1", p4Node);
      System.out.printf(
          "ScaleOutIT sessions before the drain: %s%n",
          placed.entrySet().stream()
              .map(e -> e.getKey() + " -> " + e.getValue().name)
              .collect(Collectors.joining(", ")));
      // every stream went to upstream A (upstream-balance: first), none to B
      assertThat(upstreamB.connectedClients()).as(context).isZero();
      Map<PeerProcess, Path> throughDrainOnN1 = new LinkedHashMap<>();
      if (p1Node == n1) {
        throughDrainOnN1.put(p1, out1);
      }
      if (p2Node == n1) {
        throughDrainOnN1.put(p2, out2);
      }
      if (p3Node == n1) {
        throughDrainOnN1.put(p3, out3);
      }
      assertThat(throughDrainOnN1)
          .as("round-robin put an RTMPT player on n1: %s", placed)
          .isNotEmpty();
      Thread.sleep(2_000); // the players are in full flow when n1 starts draining

      // --- 2. drain n1 ---
      String n1Metrics = n1.metrics();
      long drainAt = System.nanoTime();
      assertThat(n1.post("/admin/drain").statusCode()).isEqualTo(202);
      assertThat(Poll.until(Duration.ofSeconds(5), POLL, () -> n1.status("/readyz") == 503))
          .as(context)
          .isTrue();
      // HAProxy still believes n1 is up for a few seconds: /open/1s it sends there get 503 and
      // are re-sent to n2 (retry-on 503 + redispatch); the client sees only the n2 session.
      List<String> lateIds = new ArrayList<>();
      for (int i = 0; i < 4; i++) {
        HttpResponse<String> open = post(ha.httpPort(), "/open/1");
        assertThat(open.statusCode()).as(() -> open.body() + context.get()).isEqualTo(200);
        assertThat(open.body()).startsWith("n2-");
        lateIds.add(open.body().strip());
      }
      for (String id : lateIds) {
        assertThat(post(ha.httpPort(), "/close/" + id + "/0").statusCode()).isEqualTo(200);
      }
      assertThat(
              ha.awaitStatus(
                  "DOWN",
                  Duration.ofSeconds(15),
                  "rtmpt_nodes/n1",
                  "rtmps_nodes/n1",
                  "rtmp_nodes/n1"))
          .as(context)
          .isTrue();
      long downMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - drainAt);
      List<HaproxyLb.LogLine> opensAfterDrain = lastOpens(ha, lateIds.size());
      long redispatched = opensAfterDrain.stream().filter(HaproxyLb.LogLine::redispatched).count();
      System.out.printf(
          "ScaleOutIT drain: n1 DOWN in HAProxy after %d ms; %d of %d /open/1 sent meanwhile were"
              + " refused by n1 and re-sent to n2%n",
          downMillis, redispatched, lateIds.size());
      assertThat(opensAfterDrain).allMatch(l -> l.server().equals("n2"));
      assertThat(redispatched).as(() -> openLogLines(ha)).isPositive();

      // a player started now lands on n2
      Path out5 = dir.resolve("p5-ffmpeg-rtmpt-after-drain.flv");
      opened = openedTotals(nodes, "rtmpt");
      PeerProcess p5 = peers.play(rtmpt + "t1", out5, LATE_PLAY_SECONDS);
      Node p5Node = awaitNewSession(nodes, "rtmpt", opened, context);
      assertThat(p5Node).as("the player started after the drain").isSameAs(n2);

      // every player ends by itself and decodes; those on n1 without a single gap
      for (PeerProcess p : List.of(p1, p3, p4, p5)) {
        assertThat(p.awaitExit(Duration.ofSeconds(PLAY_SECONDS + 40))).as(context).hasValue(0);
      }
      assertThat(p2.awaitExit(Duration.ofSeconds(PLAY_SECONDS + 15))).as(context).isPresent();
      assertDecodes(out1, PLAY_SECONDS, context);
      assertDecodes(out2, PLAY_SECONDS - 1, context);
      assertDecodes(out3, PLAY_SECONDS, context);
      assertDecodes(out4, PLAY_SECONDS - 2, context);
      assertDecodes(out5, LATE_PLAY_SECONDS, context);
      for (Path out : throughDrainOnN1.values()) {
        double gap = maxVideoGapSeconds(out);
        System.out.printf(
            "ScaleOutIT %s (on n1 through its drain): largest video step %.3f s%n",
            out.getFileName(), gap);
        assertThat(gap).as("no frame lost in %s", out).isLessThanOrEqualTo(MAX_VIDEO_GAP_SECONDS);
      }
      assertThat(pubT.awaitExit(Duration.ofSeconds(MEDIA_SECONDS + 30))).as(context).hasValue(0);
      assertThat(pubS.awaitExit(Duration.ofSeconds(MEDIA_SECONDS + 30))).as(context).hasValue(0);

      // n1 served its sessions to their end and exited 0 by itself
      OptionalInt n1Exit = n1.process.awaitExit(Duration.ofMillis(DRAIN_TIMEOUT_MS + 15_000));
      long exitMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - drainAt);
      String n1Log = n1.log();
      System.out.printf(
          "ScaleOutIT n1 exit %s %d ms after the drain request%n", n1Exit, exitMillis);
      assertThat(n1Exit).as(context).hasValue(0);
      assertThat(n1Log).contains("drained: every session ended");
      List<Closed> n1Closed = closed(n1Log);
      assertThat(n1Closed).as(n1Log).isNotEmpty().noneMatch(c -> c.reason().equals("shutdown"));

      // the crux: after HAProxy marked n1 DOWN, its sessions' requests still went to n1
      int downLine = ha.firstLogLineContaining("Server rtmpt_nodes/n1 is DOWN").orElseThrow();
      long routedWhileDown =
          ha.logLines().stream()
              .filter(l -> l.index() > downLine && l.server().equals("n1"))
              .filter(l -> l.request().matches("POST /(send|idle|close)/n1-\\S+ .*"))
              .count();
      System.out.printf(
          "ScaleOutIT %d requests of n1's sessions routed to n1 while HAProxy had it DOWN%n",
          routedWhileDown);
      assertThat(routedWhileDown).isPositive();
      // and every session request went to the node that owns the session
      List<HaproxyLb.LogLine> sessionRequests =
          ha.logLines().stream()
              .filter(l -> l.request().matches("POST /(send|idle|close)/\\S+ .*"))
              .toList();
      assertThat(sessionRequests)
          .hasSizeGreaterThan(100)
          .allMatch(l -> l.request().contains("/" + l.server() + "-"), "routed to the id's node");

      // --- 3. the nodes saw the real client, never HAProxy ---
      List<HaproxyLb.LogLine> haLines = ha.logLines();
      Set<String> balancerPorts =
          haLines.stream().map(HaproxyLb.LogLine::balancerPort).collect(Collectors.toSet());
      List<Closed> allClosed = new ArrayList<>(n1Closed);
      allClosed.addAll(closed(n2.log()));
      int checked = 0;
      for (Closed c : allClosed) {
        if (lateIds.contains(c.id())) {
          continue; // curl-like opens by this test
        }
        Set<String> clientPorts;
        if (c.transport().equals("rtmpt")) {
          clientPorts =
              haLines.stream()
                  .filter(l -> l.request().contains("/" + c.id() + "/"))
                  .map(HaproxyLb.LogLine::clientPort)
                  .collect(Collectors.toSet());
        } else {
          String frontend = c.transport().equals("rtmps") ? "rtmps" : "rtmp";
          clientPorts =
              haLines.stream()
                  .filter(l -> l.frontend().equals(frontend))
                  .map(HaproxyLb.LogLine::clientPort)
                  .collect(Collectors.toSet());
        }
        assertThat(c.client()).isEqualTo("127.0.0.1");
        assertThat(clientPorts).as("%s vs HAProxy's %%cp", c.line()).contains(c.port());
        assertThat(balancerPorts).as("%s vs HAProxy's %%bp", c.line()).doesNotContain(c.port());
        assertThat(c.upstream()).as(c.line()).isEqualTo(serverA);
        checked++;
      }
      System.out.printf(
          "ScaleOutIT %d session close lines name the client port HAProxy saw%n", checked);
      assertThat(checked).isGreaterThanOrEqualTo(6);
      assertThat(refusedTotal(n1Metrics)).as(n1Metrics).isZero();
      assertThat(refusedTotal(n2.metrics())).isZero();

      // --- 4. upstream A stops: new sessions fail over to B ---
      n1b.launch(); // the nginx part's second node; starts while this part runs
      assertThat(upstreamA.stop()).isTrue();
      assertThat(
              Poll.until(
                  Duration.ofSeconds(10),
                  POLL,
                  () ->
                      sample(
                              n2.metrics(),
                              "rtmpgw_upstream_up{group=\"default\",server=\"" + serverA + "\"}")
                          == 0))
          .as(context)
          .isTrue();
      assertThat(n2.status("/readyz")).as("B still serves the group").isEqualTo(200);
      PeerProcess pubF = peers.publish(shortFlv, rtmpt + "f1", true);
      assertThat(upstreamB.awaitPublishing("live", "f1", PUBLISH_TIMEOUT)).as(context).isTrue();
      Path outF = dir.resolve("pf-rtmpdump-rtmpt-failover.flv");
      PeerProcess pf = peers.rtmpdumpPlay(rtmpt + "f1", outF, SHORT_PLAY_SECONDS);
      assertThat(pf.awaitExit(Duration.ofSeconds(SHORT_PLAY_SECONDS + 15))).as(context).isPresent();
      assertDecodes(outF, SHORT_PLAY_SECONDS - 1, context);
      assertThat(pubF.awaitExit(Duration.ofSeconds(SHORT_MEDIA_SECONDS + 30)))
          .as(context)
          .hasValue(0);
      assertThat(
              Poll.until(
                  Duration.ofSeconds(15),
                  POLL,
                  () ->
                      closed(n2.log()).stream().filter(c -> c.upstream().equals(serverB)).count()
                          >= 2))
          .as(context)
          .isTrue();

      // --- 5. the RTMPT part behind nginx ---
      n1b.awaitReady();
      assertThat(NginxLb.isAvailable()).isTrue();
      nginxLb =
          new NginxLb(
                  workDir.resolve("nginx-lb"),
                  nginxSample,
                  Map.of(
                      "10.0.0.11", new NginxLb.Node("10.0.0.11", n1b.plainPort, n1b.tlsPort),
                      "10.0.0.12", new NginxLb.Node("10.0.0.12", n2.plainPort, n2.tlsPort)))
              .start();
      NginxLb lb = nginxLb;
      Supplier<String> nginxContext =
          () -> lb.describe() + n1b.describe() + n2.describe() + peers.describeAll();
      List<Node> nginxNodes = List.of(n1b, n2);
      String viaNginx = "rtmpt://127.0.0.1:" + lb.httpPort() + "/live/";
      Map<String, Node> placedNginx = new LinkedHashMap<>();
      opened = openedTotals(nginxNodes, "rtmpt");
      PeerProcess pubG = peers.publish(shortFlv, viaNginx + "g1", true);
      placedNginx.put("publisher", awaitNewSession(nginxNodes, "rtmpt", opened, nginxContext));
      assertThat(upstreamB.awaitPublishing("live", "g1", PUBLISH_TIMEOUT))
          .as(nginxContext)
          .isTrue();
      Path outG1 = dir.resolve("g1-rtmpdump-rtmpt-nginx.flv");
      Path outG2 = dir.resolve("g2-ffmpeg-rtmpt-nginx.flv");
      opened = openedTotals(nginxNodes, "rtmpt");
      PeerProcess g1 = peers.rtmpdumpPlay(viaNginx + "g1", outG1, SHORT_PLAY_SECONDS);
      Node g1Node = awaitNewSession(nginxNodes, "rtmpt", opened, nginxContext);
      opened = openedTotals(nginxNodes, "rtmpt");
      PeerProcess g2 = peers.play(viaNginx + "g1", outG2, SHORT_PLAY_SECONDS);
      Node g2Node = awaitNewSession(nginxNodes, "rtmpt", opened, nginxContext);
      placedNginx.put("rtmpdump", g1Node);
      placedNginx.put("ffmpeg", g2Node);
      List<PeerProcess> streamPlayers = new ArrayList<>();
      List<Path> streamOuts = new ArrayList<>();
      if (lb.streamEnabled()) {
        Path outG3 = dir.resolve("g3-ffmpeg-rtmps-nginx.flv");
        Path outG4 = dir.resolve("g4-ffmpeg-rtmp-nginx.flv");
        streamPlayers.add(
            peers.play(
                "rtmps://127.0.0.1:" + lb.tlsPort() + "/live/g1", outG3, SHORT_PLAY_SECONDS - 1));
        streamPlayers.add(
            peers.play(
                "rtmp://127.0.0.1:" + lb.rtmpPort() + "/live/g1", outG4, SHORT_PLAY_SECONDS - 1));
        streamOuts.add(outG3);
        streamOuts.add(outG4);
      } else {
        System.out.printf(
            "ScaleOutIT: %s missing, nginx's stream {} part not tested%n", NginxLb.STREAM_MODULE);
      }
      System.out.printf(
          "ScaleOutIT sessions behind nginx: %s%n",
          placedNginx.entrySet().stream()
              .map(
                  e ->
                      e.getKey()
                          + " -> "
                          + e.getValue().name
                          + (e.getValue() == n1b ? "(again)" : ""))
              .collect(Collectors.joining(", ")));
      assertThat(Set.copyOf(placedNginx.values())).as("round-robin over both nodes").hasSize(2);
      Thread.sleep(1_500);

      assertThat(n1b.post("/admin/drain").statusCode()).isEqualTo(202);
      assertThat(Poll.until(Duration.ofSeconds(5), POLL, () -> n1b.status("/readyz") == 503))
          .as(nginxContext)
          .isTrue();
      List<String> nginxIds = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        HttpResponse<String> open = post(lb.httpPort(), "/open/1");
        assertThat(open.statusCode()).as(() -> open.body() + nginxContext.get()).isEqualTo(200);
        assertThat(open.body()).startsWith("n2-");
        nginxIds.add(open.body().strip());
      }
      for (String id : nginxIds) {
        assertThat(post(lb.httpPort(), "/close/" + id + "/0").statusCode()).isEqualTo(200);
      }
      List<String> passedOn =
          NginxLb.lines(lb.accessLog()).stream()
              .filter(l -> l.contains("\"POST /open/1 ") && l.contains("upstream_status=503, 200"))
              .toList();
      System.out.printf(
          "ScaleOutIT nginx: /open/1 refused with 503 by the draining node and passed on:%n  %s%n",
          String.join("\n  ", passedOn));
      assertThat(passedOn).as(nginxContext).isNotEmpty();

      assertThat(g2.awaitExit(Duration.ofSeconds(SHORT_PLAY_SECONDS + 40)))
          .as(nginxContext)
          .hasValue(0);
      assertThat(g1.awaitExit(Duration.ofSeconds(SHORT_PLAY_SECONDS + 15)))
          .as(nginxContext)
          .isPresent();
      assertDecodes(outG1, SHORT_PLAY_SECONDS - 1, nginxContext);
      assertDecodes(outG2, SHORT_PLAY_SECONDS, nginxContext);
      for (Path out : List.of(outG1, outG2)) {
        Node on = out == outG1 ? g1Node : g2Node;
        if (on == n1b) {
          double gap = maxVideoGapSeconds(out);
          System.out.printf(
              "ScaleOutIT %s (on n1 again, through its drain): largest video step %.3f s%n",
              out.getFileName(), gap);
          assertThat(gap).as("no frame lost in %s", out).isLessThanOrEqualTo(MAX_VIDEO_GAP_SECONDS);
        }
      }
      for (int i = 0; i < streamPlayers.size(); i++) {
        assertThat(streamPlayers.get(i).awaitExit(Duration.ofSeconds(SHORT_PLAY_SECONDS + 40)))
            .as(nginxContext)
            .hasValue(0);
        assertDecodes(streamOuts.get(i), SHORT_PLAY_SECONDS - 1, nginxContext);
      }
      assertThat(pubG.awaitExit(Duration.ofSeconds(SHORT_MEDIA_SECONDS + 30)))
          .as(nginxContext)
          .hasValue(0);
      assertThat(n1b.process.awaitExit(Duration.ofMillis(DRAIN_TIMEOUT_MS + 15_000)))
          .as(nginxContext)
          .hasValue(0);
      // every session request went to the node named by its id
      List<String> access = NginxLb.lines(lb.accessLog());
      Map<String, String> nodeAddress =
          Map.of("n1", "127.0.0.1:" + n1b.plainPort, "n2", "127.0.0.1:" + n2.plainPort);
      Pattern sessionLine =
          Pattern.compile(
              "\"POST /(?:send|idle|close)/(n[12])-\\S+ [^\"]*\" .* upstream=(\\S+)"
                  + " upstream_status=");
      long nginxSessionRequests = 0;
      for (String line : access) {
        Matcher m = sessionLine.matcher(line);
        if (m.find()) {
          assertThat(m.group(2)).as(line).isEqualTo(nodeAddress.get(m.group(1)));
          nginxSessionRequests++;
        }
      }
      assertThat(nginxSessionRequests).isGreaterThan(50);
      // nginx too gave the nodes the client's own port (Forwarded / PROXY v1)
      List<String> streamAccess = NginxLb.lines(lb.streamLog());
      int nginxChecked = 0;
      for (Closed c : closed(n1b.log())) {
        String needle = c.transport().equals("rtmpt") ? "/" + c.id() + "/" : " -> ";
        List<String> source = c.transport().equals("rtmpt") ? access : streamAccess;
        assertThat(source)
            .as("%s in nginx's log", c.line())
            .anyMatch(l -> l.startsWith(c.client() + ":" + c.port() + " [") && l.contains(needle));
        nginxChecked++;
      }
      assertThat(nginxChecked).isPositive();
      assertThat(refusedTotal(n2.metrics())).isZero();
      System.out.printf(
          "ScaleOutIT done in %d s%n",
          TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - testStart));
    } finally {
      if (nginxLb != null) {
        assertThat(nginxLb.stop()).as(nginxLb::describe).isTrue();
      }
      if (haproxy != null) {
        assertThat(haproxy.stop()).as(haproxy::describe).isTrue();
      }
      for (Node node : List.of(n1b, n2, n1)) {
        node.stop();
      }
    }
  }

  private static List<HaproxyLb.LogLine> lastOpens(HaproxyLb ha, int n) throws IOException {
    List<HaproxyLb.LogLine> opens =
        ha.logLines().stream().filter(l -> l.request().startsWith("POST /open/1 ")).toList();
    return opens.subList(Math.max(0, opens.size() - n), opens.size());
  }

  private static String openLogLines(HaproxyLb ha) {
    try {
      return ha.logLines().stream()
          .filter(l -> l.request().startsWith("POST /open/1 "))
          .map(HaproxyLb.LogLine::text)
          .collect(Collectors.joining("\n"));
    } catch (IOException e) {
      return e.toString();
    }
  }

  // --- the gateway nodes -------------------------------------------------------------------

  /** One gateway jar process with its own ports, configuration and certificate directory. */
  private final class Node {
    final String name;
    final Path dir;
    final String upstreams;
    int plainPort;
    int tlsPort;
    int managementPort;
    PeerProcess process;

    Node(String name, Path dir, String upstreams) {
      this.name = name;
      this.dir = dir;
      this.upstreams = upstreams;
    }

    /** Writes the configuration and starts the process (returns at once). */
    void launch() throws IOException {
      Files.createDirectories(dir);
      plainPort = FreePorts.loopback();
      tlsPort = FreePorts.loopback();
      managementPort = FreePorts.loopback();
      Path config = dir.resolve("gateway.yaml");
      Files.writeString(
          config,
          String.join(
              "\n",
              "node-id: " + name,
              "upstream: " + upstreams,
              "upstream-balance: first",
              "upstream-probe-interval-ms: 500",
              "upstream-accepts-rtmpe: false",
              "listen: 127.0.0.1:" + plainPort,
              "listen-tls: 127.0.0.1:" + tlsPort,
              "tls-cert-files: " + tlsCert,
              "tls-key-files: " + tlsKey,
              "management-listen: 127.0.0.1:" + managementPort,
              "trusted-proxies: 127.0.0.1",
              "drain-timeout-ms: " + DRAIN_TIMEOUT_MS,
              "session-inactivity-timeout-ms: 10000",
              ""),
          StandardCharsets.UTF_8);
      process =
          PeerProcess.start(
              "gateway-" + name,
              dir,
              List.of(
                  Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                  "-jar",
                  jar.toString(),
                  "--config",
                  config.toString()));
    }

    /**
     * Waits (bounded) until every listener accepts and /readyz says ready; one retry on a port
     * clash.
     */
    void awaitReady() throws Exception {
      for (int attempt = 0; attempt < 2; attempt++) {
        PeerProcess p = process;
        boolean ready =
            Poll.until(
                NODE_START_TIMEOUT,
                POLL,
                () ->
                    !p.isAlive()
                        || (accepts(plainPort) && accepts(tlsPort) && status("/readyz") == 200));
        if (ready && p.isAlive()) {
          return;
        }
        String why = p.describe();
        p.stop(PeerProcess.DEFAULT_STOP_GRACE);
        if (!why.contains("in use") || attempt == 1) {
          throw new AssertionError("gateway " + name + " did not start\n" + why);
        }
        launch();
      }
    }

    HaproxyLb.Node haproxyNode() {
      return new HaproxyLb.Node(name, plainPort, tlsPort, managementPort);
    }

    String metrics() {
      try {
        return get("/metrics").body();
      } catch (IOException e) {
        return "(no metrics: " + e + ")";
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return "(interrupted)";
      }
    }

    int status(String path) {
      try {
        return get(path).statusCode();
      } catch (IOException e) {
        return -1;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return -1;
      }
    }

    HttpResponse<String> get(String path) throws IOException, InterruptedException {
      return http.send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort + path))
              .timeout(HTTP_TIMEOUT)
              .build(),
          HttpResponse.BodyHandlers.ofString());
    }

    HttpResponse<String> post(String path) throws IOException, InterruptedException {
      return http.send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort + path))
              .timeout(HTTP_TIMEOUT)
              .POST(HttpRequest.BodyPublishers.noBody())
              .build(),
          HttpResponse.BodyHandlers.ofString());
    }

    String log() throws IOException {
      return process == null ? "" : Files.readString(process.stderrLog(), StandardCharsets.UTF_8);
    }

    String describe() {
      return process == null ? "" : process.describe();
    }

    void stop() {
      if (process != null) {
        process.stop(Duration.ofSeconds(10));
      }
    }

    @Override
    public String toString() {
      return name + "@" + plainPort;
    }
  }

  private static Map<String, Long> openedTotals(List<Node> nodes, String transport) {
    Map<String, Long> totals = new LinkedHashMap<>();
    for (Node n : nodes) {
      totals.put(n.dir.toString(), opened(n, transport));
    }
    return totals;
  }

  private static long opened(Node n, String transport) {
    // a labelled counter has no line until its first session: that is 0
    return (long)
        Math.max(
            0,
            sample(n.metrics(), "rtmpgw_sessions_opened_total{transport=\"" + transport + "\"}"));
  }

  /** Waits until exactly one more session of the transport was opened, and says on which node. */
  private static Node awaitNewSession(
      List<Node> nodes, String transport, Map<String, Long> before, Supplier<String> context)
      throws InterruptedException {
    Node[] found = new Node[1];
    boolean ok =
        Poll.until(
            SESSION_TIMEOUT,
            POLL,
            () -> {
              long more = 0;
              Node where = null;
              for (Node n : nodes) {
                if (!n.process.isAlive()) {
                  continue;
                }
                long d = opened(n, transport) - before.get(n.dir.toString());
                if (d > 0) {
                  more += d;
                  where = n;
                }
              }
              found[0] = where;
              return more == 1;
            });
    assertThat(ok).as(() -> "one new " + transport + " session\n" + context.get()).isTrue();
    return found[0];
  }

  // --- HTTP, metrics, logs, media ------------------------------------------------------------

  private HttpResponse<String> post(int port, String path)
      throws IOException, InterruptedException {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(HTTP_TIMEOUT)
            .header("Content-Type", "application/x-fcs")
            .POST(HttpRequest.BodyPublishers.ofByteArray(new byte[] {0}))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static double sample(String metrics, String nameAndLabels) {
    Matcher m =
        Pattern.compile("(?m)^" + Pattern.quote(nameAndLabels) + " (\\S+)$").matcher(metrics);
    return m.find() ? Double.parseDouble(m.group(1)) : -1;
  }

  private static double refusedTotal(String metrics) {
    Matcher m =
        Pattern.compile("(?m)^rtmpgw_connections_refused_total\\{[^}]*\\} (\\S+)$")
            .matcher(metrics);
    double sum = 0;
    int found = 0;
    while (m.find()) {
      sum += Double.parseDouble(m.group(1));
      found++;
    }
    return found == 0 ? -1 : sum;
  }

  /** A "session closed" log line. */
  private record Closed(
      String id,
      String transport,
      String client,
      String port,
      String upstream,
      String reason,
      String line) {}

  private static List<Closed> closed(String log) {
    List<Closed> list = new ArrayList<>();
    Matcher m = SESSION_CLOSED.matcher(log);
    while (m.find()) {
      list.add(
          new Closed(
              m.group(1), m.group(2), m.group(3), m.group(4), m.group(5), m.group(6), m.group()));
    }
    return list;
  }

  /** Decoded frames of a player's file: at least a second less than it played, video and audio. */
  private static void assertDecodes(Path out, int seconds, Supplier<String> context)
      throws IOException, InterruptedException {
    Frames frames = FrameCounter.count(out);
    System.out.printf("ScaleOutIT %s: %s%n", out.getFileName(), frames);
    long minVideo = (long) (seconds - 1) * Media.FPS;
    long minAudio = (long) (seconds - 1) * Media.AUDIO_RATE / 1024;
    assertThat(frames.video())
        .as(() -> out + " " + frames + "\n" + context.get())
        .isGreaterThanOrEqualTo(minVideo);
    assertThat(frames.audio())
        .as(() -> out + " " + frames + "\n" + context.get())
        .isGreaterThanOrEqualTo(minAudio);
  }

  /** The largest step between consecutive video packet timestamps (ffprobe). */
  private static double maxVideoGapSeconds(Path flv) throws IOException, InterruptedException {
    PeerProcess probe =
        PeerProcess.run(
            "ffprobe-packets-" + flv.getFileName(),
            flv.getParent(),
            List.of(
                "timeout",
                "-k",
                "5",
                "60",
                "ffprobe",
                "-v",
                "error",
                "-select_streams",
                "v:0",
                "-show_entries",
                "packet=pts_time",
                "-of",
                "csv=p=0",
                flv.toString()),
            Duration.ofSeconds(70));
    List<Double> times = new ArrayList<>();
    for (String line : Files.readAllLines(probe.stdoutLog(), StandardCharsets.UTF_8)) {
      String t = line.replace(",", "").strip();
      if (!t.isEmpty() && !t.equals("N/A")) {
        times.add(Double.parseDouble(t));
      }
    }
    assertThat(times).as(probe::describe).hasSizeGreaterThan(10);
    times.sort(Double::compare);
    double max = 0;
    for (int i = 1; i < times.size(); i++) {
      max = Math.max(max, times.get(i) - times.get(i - 1));
    }
    return max;
  }

  private static boolean accepts(int port) {
    try (Socket socket = new Socket()) {
      socket.connect(new InetSocketAddress("127.0.0.1", port), 500);
      return true;
    } catch (IOException e) {
      return false;
    }
  }
}
