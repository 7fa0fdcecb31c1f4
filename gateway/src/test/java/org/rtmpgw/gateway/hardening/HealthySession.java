package org.rtmpgw.gateway.hardening;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.rtmpgw.gateway.testing.Bytes;
import org.rtmpgw.gateway.testing.FakeRtmpUpstream;
import org.rtmpgw.gateway.testing.RawHttpClient;
import org.rtmpgw.gateway.testing.RawResponse;
import org.rtmpgw.gateway.testing.RtmptTestSession;
import org.rtmpgw.gateway.testing.RunningGateway;

/**
 * A well-behaved RTMPT session that streams both ways on its own thread while a test abuses the
 * same gateway: each round posts a send, makes its upstream connection answer, and polls until
 * the answer has arrived. {@link #stopAndVerify} then checks that the upstream received exactly
 * the concatenation of the sends and the client exactly what the upstream wrote, once each.
 * Rounds are paced (a few milliseconds apart) to stay well below max-requests-per-second.
 *
 * <p>Open it before any other session of the test, or while no other is opening, so that the
 * next upstream connection is its own.
 */
final class HealthySession implements AutoCloseable {
  private final RtmptTestSession session;
  private final RawHttpClient http;
  private final FakeRtmpUpstream.Connection upstream;
  private final ByteArrayOutputStream sentUp = new ByteArrayOutputStream();
  private final ByteArrayOutputStream sentDown = new ByteArrayOutputStream();
  private final ByteArrayOutputStream receivedDown = new ByteArrayOutputStream();
  private final AtomicInteger rounds = new AtomicInteger();
  private final AtomicReference<Throwable> failure = new AtomicReference<>();
  private final CountDownLatch finished = new CountDownLatch(1);
  private volatile boolean stop;
  private Thread thread;

  private HealthySession(RawHttpClient http, RtmptTestSession session, FakeRtmpUpstream.Connection c) {
    this.http = http;
    this.session = session;
    this.upstream = c;
  }

  /** Opens the session; its upstream connection is the next one {@code fake} accepts. */
  static HealthySession open(RunningGateway g, FakeRtmpUpstream fake) throws Exception {
    RawHttpClient http = g.client();
    RtmptTestSession s = RtmptTestSession.open(http);
    FakeRtmpUpstream.Connection c = fake.awaitConnection(Duration.ofSeconds(5));
    return new HealthySession(http, s, c);
  }

  String id() {
    return session.id();
  }

  FakeRtmpUpstream.Connection upstream() {
    return upstream;
  }

  /** Rounds completed so far (one send up and one answer down each). */
  int rounds() {
    return rounds.get();
  }

  HealthySession start() {
    thread = new Thread(this::run, "healthy-" + session.id());
    thread.setDaemon(true);
    thread.start();
    return this;
  }

  private void run() {
    try {
      for (int r = 0; !stop; r++) {
        byte[] up = Bytes.pattern(1000 + (r * 977) % 30_000, 1_000_000L + r);
        byte[] down = Bytes.pattern(500 + (r * 1291) % 40_000, 2_000_000L + r);
        RawResponse sent = session.send(up);
        assertThat(sent.status()).as("healthy send, round %d", r).isEqualTo(200);
        assertThat(sent.body()[0]).as("healthy send polling byte, round %d", r).isNotZero();
        sentUp.writeBytes(up);
        receivedDown.write(sent.body(), 1, sent.body().length - 1);
        upstream.send(down);
        sentDown.writeBytes(down);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (receivedDown.size() < sentDown.size()) {
          assertThat(System.nanoTime()).as("healthy answer within 5 s, round %d", r).isLessThan(deadline);
          RawResponse idle = session.idle();
          assertThat(idle.status()).as("healthy idle, round %d", r).isEqualTo(200);
          assertThat(idle.body()[0]).as("healthy idle polling byte, round %d", r).isNotZero();
          receivedDown.write(idle.body(), 1, idle.body().length - 1);
        }
        rounds.incrementAndGet();
        Thread.sleep(5); // stay far below max-requests-per-second (1000), as real players do
      }
    } catch (Throwable t) {
      failure.set(t);
    } finally {
      finished.countDown();
    }
  }

  /**
   * Stops after the current round and checks both directions byte for byte; also that at least
   * {@code minRounds} rounds completed (so it really flowed while the test did its damage).
   */
  void stopAndVerify(int minRounds) throws Exception {
    stop = true;
    assertThat(finished.await(20, TimeUnit.SECONDS)).as("healthy session stopped").isTrue();
    if (failure.get() != null) {
      throw new AssertionError("the healthy session failed after " + rounds.get() + " rounds", failure.get());
    }
    assertThat(rounds.get()).as("rounds the healthy session completed").isGreaterThanOrEqualTo(minRounds);
    byte[] wantUp = sentUp.toByteArray();
    byte[] gotUp = upstream.awaitBytes(wantUp.length, Duration.ofSeconds(5));
    assertThat(Arrays.mismatch(gotUp, wantUp))
        .as("first mismatch upstream of the healthy session (%d bytes)", wantUp.length)
        .isEqualTo(-1);
    assertThat(Arrays.mismatch(receivedDown.toByteArray(), sentDown.toByteArray()))
        .as("first mismatch downstream of the healthy session (%d bytes)", sentDown.size())
        .isEqualTo(-1);
    RawResponse last = session.idle();
    assertThat(last.status()).isEqualTo(200);
    assertThat(last.body()).as("nothing extra downstream").hasSize(1);
  }

  @Override
  public void close() {
    stop = true;
    try {
      if (thread != null) {
        finished.await(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    http.close();
  }
}
