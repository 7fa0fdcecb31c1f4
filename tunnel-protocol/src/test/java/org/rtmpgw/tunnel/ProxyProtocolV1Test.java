package org.rtmpgw.tunnel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ProxyProtocolV1Test {
  private static String header(String src, int sp, String dst, int dp) {
    return new String(ProxyProtocolV1.header(src, sp, dst, dp), StandardCharsets.US_ASCII);
  }

  @Test
  void ipv4() {
    assertThat(header("203.0.113.7", 51234, "192.0.2.1", 1935))
        .isEqualTo("PROXY TCP4 203.0.113.7 192.0.2.1 51234 1935\r\n");
  }

  @Test
  void ipv6WithOrWithoutBrackets() {
    assertThat(header("[2001:db8::7]", 5, "::1", 1935))
        .isEqualTo("PROXY TCP6 2001:db8::7 ::1 5 1935\r\n");
  }

  @Test
  void mixedFamiliesOrNonAddressesAreUnknown() {
    assertThat(header("203.0.113.7", 1, "::1", 2)).isEqualTo("PROXY UNKNOWN\r\n");
    assertThat(header("evil host\r\nX", 1, "127.0.0.1", 2)).isEqualTo("PROXY UNKNOWN\r\n");
    assertThat(header("", 1, "127.0.0.1", 2)).isEqualTo("PROXY UNKNOWN\r\n");
  }

  @Test
  void theLongestHeaderFitsTheSpecification() {
    String v6 = "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"; // 39 chars: the longest Java prints
    assertThat(ProxyProtocolV1.header(v6, 65535, v6, 65535)).hasSizeLessThanOrEqualTo(107);
  }

  @Test
  void portsOutOfRangeAreRejected() {
    assertThatThrownBy(() -> ProxyProtocolV1.header("1.2.3.4", 70000, "1.2.3.4", 1))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
