package org.rtmpgw.gateway.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The fake upstream and the raw client must themselves detect what the gateway tests rely on. */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class TestInfrastructureTest {
  private static final Duration WAIT = Duration.ofSeconds(5);

  @Test
  void fakeUpstreamRecordsBytesSeesFinAndSendsBack() throws Exception {
    try (FakeRtmpUpstream fake = FakeRtmpUpstream.start();
        Socket s = new Socket(InetAddress.getLoopbackAddress(), fake.port())) {
      s.setSoTimeout(5000);
      FakeRtmpUpstream.Connection c = fake.awaitConnection(WAIT);
      s.getOutputStream().write(new byte[] {1, 2, 3});
      assertThat(c.awaitBytes(3, WAIT)).containsExactly(1, 2, 3);
      c.send(new byte[] {9});
      assertThat(s.getInputStream().read()).isEqualTo(9);
      c.closeOutput();
      assertThat(s.getInputStream().read()).as("FIN").isEqualTo(-1);
      assertThat(c.closedByPeer()).isFalse();
      s.shutdownOutput();
      assertThat(c.awaitClosedByPeer(WAIT)).isTrue();
      assertThat(fake.connectionCount()).isEqualTo(1);
    }
  }

  @Test
  void fakeUpstreamStopReadingReadsNothingMoreAndResetSendsRst() throws Exception {
    try (FakeRtmpUpstream fake = FakeRtmpUpstream.start();
        Socket s = new Socket(InetAddress.getLoopbackAddress(), fake.port())) {
      s.setSoTimeout(5000);
      FakeRtmpUpstream.Connection c = fake.awaitConnection(WAIT);
      c.stopReading();
      s.getOutputStream().write(new byte[] {1, 2, 3});
      Thread.sleep(100);
      assertThat(c.receivedCount()).isZero();
      c.resumeReading();
      assertThat(c.awaitBytes(3, WAIT)).containsExactly(1, 2, 3);
      c.reset();
      assertThatThrownBy(() -> s.getInputStream().read())
          .isInstanceOf(IOException.class)
          .hasMessageContaining("reset");
    }
  }

  @Test
  void fakeUpstreamBackgroundWriterBlocksWhenNobodyReads() throws Exception {
    try (FakeRtmpUpstream fake = FakeRtmpUpstream.start().sendBufferBytes(64 * 1024);
        Socket s = new Socket(InetAddress.getLoopbackAddress(), fake.port())) {
      FakeRtmpUpstream.Connection c = fake.awaitConnection(WAIT);
      FakeRtmpUpstream.BackgroundWrite w = c.sendInBackground(new byte[8 << 20], 16 * 1024);
      Thread.sleep(500);
      assertThat(w.isDone()).isFalse();
      assertThat(w.bytesWritten()).isLessThan(4L << 20);
      s.getInputStream().skipNBytes(8 << 20);
      assertThat(w.await(WAIT)).isTrue();
    }
  }

  @Test
  void rawClientRejectsChunkedAndUnframedResponses() throws Exception {
    String chunked =
        "HTTP/1.1 200 OK\r\nContent-Type: application/x-fcs\r\nTransfer-Encoding: chunked\r\n\r\n"
            + "1\r\n\u0001\r\n0\r\n\r\n";
    assertThatThrownBy(() -> answerOnce(chunked))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("chunked");
    String noLength = "HTTP/1.1 200 OK\r\nContent-Type: application/x-fcs\r\n\r\n\u0001";
    assertThatThrownBy(() -> answerOnce(noLength))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("Content-Length");
    String interim = "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
    assertThatThrownBy(() -> answerOnce(interim))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining("interim");
  }

  @Test
  void rawClientKeepsHeaderLinesExactlyAsSent() throws Exception {
    RawResponse r =
        answerOnce(
            "HTTP/1.1 200 OK\r\ncontent-length:  2\r\nX-A: b\r\nCache-Control: no-cache\r\n\r\nhi");
    assertThat(r.statusLine()).isEqualTo("HTTP/1.1 200 OK");
    assertThat(r.headerLines())
        .containsExactly("content-length:  2", "X-A: b", "Cache-Control: no-cache");
    assertThat(r.bodyText()).isEqualTo("hi");
    assertThat(new String(r.rawHeaderBytes(), StandardCharsets.ISO_8859_1)).endsWith("\r\n\r\n");
  }

  /** Serves one canned response to one POST and returns what the raw client made of it. */
  private static RawResponse answerOnce(String response) throws Exception {
    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      Thread t =
          new Thread(
              () -> {
                try (Socket s = server.accept()) {
                  InputStream in = s.getInputStream();
                  byte[] buf = new byte[4096];
                  in.read(buf); // the request; its content does not matter here
                  OutputStream out = s.getOutputStream();
                  out.write(response.getBytes(StandardCharsets.ISO_8859_1));
                  out.flush();
                  Thread.sleep(300);
                } catch (IOException | InterruptedException ignored) {
                  // test server
                }
              });
      t.setDaemon(true);
      t.start();
      try (RawHttpClient client = new RawHttpClient(server.getLocalPort())) {
        return client.post("/idle/x/0", new byte[] {0});
      }
    }
  }
}
