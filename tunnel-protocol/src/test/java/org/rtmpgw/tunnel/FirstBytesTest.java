package org.rtmpgw.tunnel;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.rtmpgw.tunnel.FirstBytes.Kind;

class FirstBytesTest {

  private static Kind classify(int... bytes) {
    byte[] b = new byte[bytes.length];
    for (int i = 0; i < bytes.length; i++) {
      b[i] = (byte) bytes[i];
    }
    return FirstBytes.classify(b, b.length);
  }

  private static Kind classify(String ascii) {
    byte[] b = ascii.getBytes(StandardCharsets.US_ASCII);
    return FirstBytes.classify(b, b.length);
  }

  @Test
  void nothingYetNeedsMore() {
    assertThat(classify()).isEqualTo(Kind.NEED_MORE);
  }

  @Test
  void plainRtmpIsKnownFromC0Alone() {
    assertThat(classify(0x03)).isEqualTo(Kind.RTMP);
    assertThat(classify(0x03, 0x00, 0x00, 0x00)).isEqualTo(Kind.RTMP);
  }

  @ParameterizedTest
  @ValueSource(ints = {0x06, 0x08, 0x09, 0x0A})
  void encryptedRtmpVersions(int c0) {
    assertThat(classify(c0)).isEqualTo(Kind.RTMPE);
    assertThat(classify(c0).isRawRtmp()).isTrue();
  }

  @Test
  void tlsHandshakeAndAlertRecordsNeedTheVersionByte() {
    assertThat(classify(0x16)).isEqualTo(Kind.NEED_MORE);
    assertThat(classify(0x16, 0x03)).isEqualTo(Kind.TLS);
    assertThat(classify(0x16, 0x03, 0x01, 0x02, 0x00)).isEqualTo(Kind.TLS);
    assertThat(classify(0x15, 0x03, 0x03)).isEqualTo(Kind.TLS);
  }

  @Test
  void sslv2StyleOrOtherRecordVersionsAreUnknown() {
    assertThat(classify(0x16, 0x02)).isEqualTo(Kind.UNKNOWN);
    assertThat(classify(0x16, 0x04)).isEqualTo(Kind.UNKNOWN);
    assertThat(classify(0x80, 0x2E, 0x01)).isEqualTo(Kind.UNKNOWN); // SSLv2 ClientHello
  }

  @ParameterizedTest
  @ValueSource(strings = {"POST /open/1 HTTP/1.1", "GET / HTTP/1.0", "PUT", "OPTIONS *", "HEAD"})
  void httpRequestLines(String line) {
    assertThat(classify(line)).isEqualTo(Kind.HTTP);
    assertThat(classify(line).isRawRtmp()).isFalse();
  }

  @Test
  void httpNeedsThreeLetters() {
    assertThat(classify("P")).isEqualTo(Kind.NEED_MORE);
    assertThat(classify("PO")).isEqualTo(Kind.NEED_MORE);
    assertThat(classify("POS")).isEqualTo(Kind.HTTP);
  }

  @ParameterizedTest
  @ValueSource(strings = {"post /", "P0ST", "\r\nGET", " GET", "GE T", "{\"a\"", "\u0000\u0000"})
  void garbageIsUnknown(String bytes) {
    assertThat(classify(bytes)).isEqualTo(Kind.UNKNOWN);
  }

  @Test
  void everyFirstByteReachesAVerdictWithinTheLimit() {
    for (int first = 0; first < 256; first++) {
      byte[] b = new byte[FirstBytes.MAX_BYTES_NEEDED];
      b[0] = (byte) first;
      b[1] = 0x03;
      b[2] = 'A';
      // (b[1] = 0x03 breaks every PROXY prefix, so each first byte reaches a verdict)
      assertThat(FirstBytes.classify(b, b.length)).as("first byte %d", first).isNotEqualTo(Kind.NEED_MORE);
    }
  }

  @Test
  void proxyProtocolHeadersAreRecognised() {
    assertThat(classify("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n")).isEqualTo(Kind.PROXY);
    assertThat(classify("PROXY")).isEqualTo(Kind.NEED_MORE);
    assertThat(classify("PRO")).isEqualTo(Kind.NEED_MORE);
    assertThat(classify("PROPFIND /")).isEqualTo(Kind.HTTP);
    assertThat(classify("POST /")).isEqualTo(Kind.HTTP);
    assertThat(classify(0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A, 0x21))
        .isEqualTo(Kind.PROXY);
    assertThat(classify(0x0D, 0x0A, 0x0D)).isEqualTo(Kind.NEED_MORE);
    assertThat(classify(0x0D, 0x0A, 0x0E)).isEqualTo(Kind.UNKNOWN);
  }

  @Test
  void classifyDoesNotConsumeOrChangeTheBuffer() {
    ByteBuffer buffer = ByteBuffer.allocate(16);
    buffer.put((byte) 0xFF).put("POST /x".getBytes(StandardCharsets.US_ASCII)).flip();
    buffer.get(); // position 1: classification starts at the position, not at 0
    assertThat(FirstBytes.classify(buffer)).isEqualTo(Kind.HTTP);
    assertThat(buffer.position()).isEqualTo(1);
    assertThat(buffer.limit()).isEqualTo(8);
  }

  @Test
  void readOnlyAndDirectBuffersWork() {
    ByteBuffer direct = ByteBuffer.allocateDirect(4);
    direct.put((byte) 0x03).flip();
    assertThat(FirstBytes.classify(direct.asReadOnlyBuffer())).isEqualTo(Kind.RTMP);
  }
}
