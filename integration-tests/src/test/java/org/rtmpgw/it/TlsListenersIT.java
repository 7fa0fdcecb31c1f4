package org.rtmpgw.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.CleanupMode;
import org.junit.jupiter.api.io.TempDir;
import org.rtmpgw.gateway.config.GatewayConfig;
import org.rtmpgw.gateway.metrics.Refusal;
import org.rtmpgw.gateway.server.GatewayServer;
import org.rtmpgw.gateway.session.CloseReason;
import org.rtmpgw.gateway.session.Transport;
import org.rtmpgw.it.harness.FrameCounter;
import org.rtmpgw.it.harness.FrameCounter.Frames;
import org.rtmpgw.it.harness.Media;
import org.rtmpgw.it.harness.NginxRtmp;
import org.rtmpgw.it.harness.PeerProcess;
import org.rtmpgw.it.harness.Peers;
import org.rtmpgw.it.harness.Poll;

/**
 * RTMPS, RTMPTS and raw RTMP on the RTMPT port, with the real clients against nginx-rtmp: ffmpeg
 * publishes and plays over {@code rtmps://} (raw RTMP in TLS), plays over {@code rtmpts://};
 * rtmpdump (librtmp over GnuTLS, which fails on TLS 1.3 session tickets) plays over both; ffmpeg
 * publishes {@code rtmp://} to the plain port and plays it back over {@code rtmpt://} on the same
 * port; a configured PEM pair is rotated under a running stream; RTMPE is refused for a
 * plain-only upstream. Every recording must decode with video and audio.
 */
class TlsListenersIT {
  private static final int MEDIA_SECONDS = 10;
  private static final int PLAY_SECONDS = 4;
  private static final long MIN_VIDEO_FRAMES = 60;
  private static final long MIN_AUDIO_FRAMES = 40;
  private static final Duration PUBLISH_TIMEOUT = Duration.ofSeconds(15);
  private static final Duration POLL = Duration.ofMillis(50);

  @TempDir(cleanup = CleanupMode.ON_SUCCESS)
  static Path workDir;

  static NginxRtmp nginx;
  /** Plain and TLS listener, self-signed certificate generated into the work dir. */
  static GatewayServer gateway;

  @BeforeAll
  static void startUpstreamAndGateway() throws Exception {
    nginx = NginxRtmp.startForTestClass(workDir.resolve("nginx"));
    gateway =
        start(
            Map.of(
                "tls-generated-dir", workDir.resolve("generated").toString(),
                "upstream-accepts-rtmpe", "false"));
  }

  @AfterAll
  static void stopGatewayAndUpstream() throws Exception {
    try {
      if (gateway != null) {
        gateway.stop();
      }
    } finally {
      NginxRtmp.stopAfterTestClass(nginx);
    }
  }

  private static GatewayServer start(Map<String, String> settings) throws Exception {
    Map<String, String> all = new java.util.HashMap<>();
    all.put("upstream", "127.0.0.1:" + nginx.rtmpPort());
    all.put("listen", "127.0.0.1:0");
    all.put("listen-tls", "127.0.0.1:0");
    all.put("management-listen", "127.0.0.1:0");
    all.putAll(settings);
    GatewayServer g = new GatewayServer(GatewayConfig.defaults().with(all));
    g.start();
    return g;
  }

  private static String url(String scheme, int port, String stream) {
    return scheme + "://127.0.0.1:" + port + "/live/" + stream;
  }

  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void ffmpegPublishesAndPlaysOverRtmpsWithTheGeneratedCertificate() throws Exception {
    Path dir = workDir.resolve("ffmpeg-rtmps");
    Path out = dir.resolve("play.flv");
    try (Peers peers = new Peers(dir);
        SessionWatch watch = SessionWatch.start(gateway.registry())) {
      String url = url("rtmps", gateway.tlsPort(), "s1");
      PeerProcess publisher = peers.publish(Media.testFlv(MEDIA_SECONDS), url, true);
      awaitPublishing("s1", peers, watch);
      PeerProcess player = peers.play(url, out, PLAY_SECONDS);
      assertExits(player, 0, PLAY_SECONDS + 30, peers, watch);
      assertExits(publisher, 0, MEDIA_SECONDS + 30, peers, watch);
      assertDecodes("ffmpeg player (rtmps)", out, peers, watch);
      assertThat(watch.transportsSeen()).as(watch::describe).containsExactly(Transport.RTMPS);
      assertThat(watch.seen()).as(watch::describe).hasSizeGreaterThanOrEqualTo(2);
    }
  }

  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void ffmpegAndRtmpdumpPlayOverRtmpsAndRtmpts() throws Exception {
    Path dir = workDir.resolve("players-tls");
    try (Peers peers = new Peers(dir);
        SessionWatch watch = SessionWatch.start(gateway.registry())) {
      PeerProcess publisher =
          peers.publish(Media.testFlv(MEDIA_SECONDS + 2), nginx.rtmpUrl("live", "s2"), true);
      awaitPublishing("s2", peers, watch);
      int tls = gateway.tlsPort();
      Path ffmpegRtmpts = dir.resolve("ffmpeg-rtmpts.flv");
      Path dumpRtmps = dir.resolve("rtmpdump-rtmps.flv");
      Path dumpRtmpts = dir.resolve("rtmpdump-rtmpts.flv");
      PeerProcess p1 = peers.play(url("rtmpts", tls, "s2"), ffmpegRtmpts, PLAY_SECONDS);
      PeerProcess p2 = peers.rtmpdumpPlay(url("rtmps", tls, "s2"), dumpRtmps, PLAY_SECONDS + 1);
      PeerProcess p3 = peers.rtmpdumpPlay(url("rtmpts", tls, "s2"), dumpRtmpts, PLAY_SECONDS + 1);
      assertExits(p1, 0, PLAY_SECONDS + 30, peers, watch);
      // timeout(1) stops rtmpdump with SIGINT; rtmpdump has closed its FLV by then
      assertThat(p2.awaitExit(Duration.ofSeconds(PLAY_SECONDS + 20))).isPresent();
      assertThat(p3.awaitExit(Duration.ofSeconds(PLAY_SECONDS + 20))).isPresent();
      assertExits(publisher, 0, MEDIA_SECONDS + 30, peers, watch);
      assertDecodes("ffmpeg player (rtmpts)", ffmpegRtmpts, peers, watch);
      assertDecodes("rtmpdump player (rtmps)", dumpRtmps, peers, watch);
      assertDecodes("rtmpdump player (rtmpts)", dumpRtmpts, peers, watch);
      assertThat(watch.transportsSeen())
          .as(watch::describe)
          .containsExactlyInAnyOrder(Transport.RTMPS, Transport.RTMPTS);
    }
  }

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void tls13StaysAvailableToClientsThatHandleIt() throws Exception {
    try (SSLSocket socket = handshake(gateway.tlsPort(), "TLSv1.3")) {
      assertThat(socket.getSession().getProtocol()).isEqualTo("TLSv1.3");
    }
    try (SSLSocket socket = handshake(gateway.tlsPort(), "TLSv1.2")) {
      assertThat(socket.getSession().getProtocol()).isEqualTo("TLSv1.2");
    }
  }

  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void ffmpegPublishesRawRtmpToThePlainPortAndPlaysItBackOverRtmptOnIt() throws Exception {
    Path dir = workDir.resolve("one-port");
    Path out = dir.resolve("rtmpt-play.flv");
    try (Peers peers = new Peers(dir);
        SessionWatch watch = SessionWatch.start(gateway.registry())) {
      int port = gateway.httpPort();
      PeerProcess publisher =
          peers.publish(Media.testFlv(MEDIA_SECONDS), url("rtmp", port, "s3"), true);
      awaitPublishing("s3", peers, watch);
      PeerProcess player = peers.play(url("rtmpt", port, "s3"), out, PLAY_SECONDS);
      assertExits(player, 0, PLAY_SECONDS + 30, peers, watch);
      assertExits(publisher, 0, MEDIA_SECONDS + 30, peers, watch);
      assertDecodes("ffmpeg player (rtmpt, same port as the rtmp publisher)", out, peers, watch);
      assertThat(watch.transportsSeen())
          .as(watch::describe)
          .containsExactlyInAnyOrder(Transport.RTMP, Transport.RTMPT);
    }
  }

  @Test
  @Timeout(value = 150, unit = TimeUnit.SECONDS)
  void aRotatedPemPairServesNewConnectionsWhileTheRunningStreamContinues() throws Exception {
    Path dir = workDir.resolve("rotation");
    Files.createDirectories(dir);
    Path certA = dir.resolve("a.crt.pem");
    Path keyA = dir.resolve("a.key.pem");
    Path certB = dir.resolve("b.crt.pem");
    Path keyB = dir.resolve("b.key.pem");
    openssl(dir, "rsa:2048", certA, keyA, "gateway-a");
    openssl(dir, "ec", certB, keyB, "gateway-b");
    Path liveCert = dir.resolve("live.crt.pem");
    Path liveKey = dir.resolve("live.key.pem");
    Files.copy(certA, liveCert);
    Files.copy(keyA, liveKey);
    String fingerprintA = fingerprint(certA);
    String fingerprintB = fingerprint(certB);

    GatewayServer g =
        start(
            Map.of(
                "listen", "",
                "tls-cert-files", liveCert.toString(),
                "tls-key-files", liveKey.toString(),
                "tls-reload-check-ms", "300"));
    try (Peers peers = new Peers(dir);
        SessionWatch watch = SessionWatch.start(g.registry())) {
      assertThat(servedFingerprint(g.tlsPort())).isEqualTo(fingerprintA);
      PeerProcess publisher =
          peers.publish(Media.testFlv(MEDIA_SECONDS + 4), url("rtmps", g.tlsPort(), "r"), true);
      awaitPublishing("r", peers, watch);

      // rotate: each file replaced atomically, key first (a half-written pair must not load)
      Files.copy(keyB, dir.resolve("key.tmp"));
      Files.move(dir.resolve("key.tmp"), liveKey, StandardCopyOption.ATOMIC_MOVE);
      Files.copy(certB, dir.resolve("crt.tmp"));
      Files.move(dir.resolve("crt.tmp"), liveCert, StandardCopyOption.ATOMIC_MOVE);
      boolean rotated =
          Poll.until(
              Duration.ofSeconds(10), POLL, () -> fingerprintB.equals(servedFingerprint(g.tlsPort())));
      assertThat(rotated).as("a new connection sees certificate B").isTrue();

      Path out = dir.resolve("after-rotation.flv");
      PeerProcess player = peers.play(url("rtmps", g.tlsPort(), "r"), out, PLAY_SECONDS);
      assertExits(player, 0, PLAY_SECONDS + 30, peers, watch);
      assertDecodes("ffmpeg player after the rotation", out, peers, watch);
      assertThat(nginx.stat().stream("live", "r")).as("the stream still runs").isPresent();
      assertExits(publisher, 0, MEDIA_SECONDS + 34, peers, watch);
    } finally {
      g.stop();
    }
  }

  @Test
  @Timeout(value = 60, unit = TimeUnit.SECONDS)
  void rtmpeAndRtmpteAreRefusedAtOnceForAPlainOnlyUpstream() throws Exception {
    Path dir = workDir.resolve("rtmpe");
    try (Peers peers = new Peers(dir);
        SessionWatch watch = SessionWatch.start(gateway.registry())) {
      long refusedBefore = gateway.refusals().get(Refusal.RTMPE_REFUSED);
      long rtmpteBefore = gateway.registry().closedCount(CloseReason.RTMPE_REFUSED);
      PeerProcess rtmpe =
          peers.start(
              "rtmpdump-rtmpe",
              List.of(
                  "timeout", "-k", "5", "20", "rtmpdump", "-r",
                  url("rtmpe", gateway.httpPort(), "none"), "-o", dir.resolve("e.flv").toString()));
      OptionalInt rtmpeExit = rtmpe.awaitExit(Duration.ofSeconds(25));
      assertThat(rtmpeExit).as(peers::describeAll).isPresent();
      assertThat(rtmpeExit.getAsInt()).as(peers::describeAll).isNotIn(0, 124);
      assertThat(Files.readString(rtmpe.stderrLog())).contains("handshake failed");
      assertThat(gateway.refusals().get(Refusal.RTMPE_REFUSED)).isEqualTo(refusedBefore + 1);

      PeerProcess rtmpte =
          peers.start(
              "rtmpdump-rtmpte",
              List.of(
                  "timeout", "-k", "5", "20", "rtmpdump", "-r",
                  url("rtmpte", gateway.httpPort(), "none"), "-o", dir.resolve("te.flv").toString()));
      OptionalInt rtmpteExit = rtmpte.awaitExit(Duration.ofSeconds(25));
      assertThat(rtmpteExit).as(peers::describeAll).isPresent();
      assertThat(rtmpteExit.getAsInt()).as(peers::describeAll).isNotIn(0, 124);
      // Debian's ffmpeg has no RTMPE: its own error, recorded in the README's compatibility table
      for (String scheme : List.of("rtmpe", "rtmpte")) {
        PeerProcess ffmpeg =
            PeerProcess.run(
                "ffmpeg-" + scheme,
                dir,
                List.of(
                    "timeout", "-k", "5", "20", "ffmpeg", "-nostdin", "-hide_banner", "-i",
                    url(scheme, gateway.httpPort(), "none"), "-f", "null", "-"),
                Duration.ofSeconds(30));
        assertThat(Files.readString(ffmpeg.stderrLog()))
            .as(ffmpeg::describe)
            .contains("Protocol not found");
      }
      // librtmp reports both as "RTMP_Connect1, handshake failed"
      assertThat(Files.readString(rtmpte.stderrLog())).contains("handshake failed");
      assertThat(gateway.registry().closedCount(CloseReason.RTMPE_REFUSED))
          .as("the RTMPTE session ended as refused")
          .isEqualTo(rtmpteBefore + 1);
    }
  }

  private static void awaitPublishing(String stream, Peers peers, SessionWatch watch)
      throws Exception {
    assertThat(nginx.awaitPublishing("live", stream, PUBLISH_TIMEOUT))
        .as(() -> "live/" + stream + " never published\n" + watch.describe() + peers.describeAll())
        .isTrue();
  }

  private static void assertExits(
      PeerProcess p, int status, int seconds, Peers peers, SessionWatch watch)
      throws InterruptedException {
    OptionalInt exit = p.awaitExit(Duration.ofSeconds(seconds));
    assertThat(exit)
        .as(() -> p.name() + " exit status\n" + watch.describe() + peers.describeAll())
        .hasValue(status);
  }

  private static void assertDecodes(String who, Path flv, Peers peers, SessionWatch watch)
      throws Exception {
    Frames frames = FrameCounter.count(flv);
    System.out.printf("TlsListenersIT %s: %s%n", who, frames);
    assertThat(frames.video())
        .as(() -> who + ": video frames " + frames + "\n" + watch.describe() + peers.describeAll())
        .isGreaterThanOrEqualTo(MIN_VIDEO_FRAMES);
    assertThat(frames.audio())
        .as(() -> who + ": audio frames " + frames + "\n" + watch.describe() + peers.describeAll())
        .isGreaterThanOrEqualTo(MIN_AUDIO_FRAMES);
  }

  private static void openssl(Path dir, String key, Path cert, Path keyFile, String cn)
      throws Exception {
    List<String> command =
        new java.util.ArrayList<>(List.of("openssl", "req", "-x509", "-newkey", key));
    if (key.equals("ec")) {
      command.addAll(List.of("-pkeyopt", "ec_paramgen_curve:P-256"));
    }
    command.addAll(
        List.of(
            "-nodes", "-days", "2", "-subj", "/CN=" + cn,
            "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-keyout", keyFile.toString(), "-out", cert.toString()));
    PeerProcess p = PeerProcess.run("openssl-" + cn, dir, command, Duration.ofSeconds(30));
    assertThat(p.awaitExit(Duration.ofSeconds(1))).as(p::describe).hasValue(0);
  }

  private static String fingerprint(Path pem) throws Exception {
    X509Certificate cert;
    try (var in = Files.newInputStream(pem)) {
      cert =
          (X509Certificate)
              java.security.cert.CertificateFactory.getInstance("X.509").generateCertificate(in);
    }
    return sha256(cert);
  }

  private static String sha256(X509Certificate cert) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(cert.getEncoded()));
  }

  /** The SHA-256 of the certificate a new connection (no SNI) is served. */
  private static String servedFingerprint(int port) {
    try (SSLSocket socket = handshake(port, "TLSv1.3")) {
      return sha256((X509Certificate) socket.getSession().getPeerCertificates()[0]);
    } catch (Exception e) {
      return "handshake failed: " + e;
    }
  }

  private static SSLSocket handshake(int port, String protocol) throws Exception {
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, new TrustManager[] {new TrustAll()}, null);
    SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket("127.0.0.1", port);
    socket.setSoTimeout(5_000);
    socket.setEnabledProtocols(new String[] {protocol});
    socket.startHandshake();
    return socket;
  }

  /** The test only looks at what is served; it does not judge it. */
  private static final class TrustAll implements X509TrustManager {
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }
}
