/**
 * The gateway as a WAR inside an existing servlet container: {@link
 * org.rtmpgw.gateway.war.GatewayContextListener}, declared in {@code WEB-INF/web.xml}, registers
 * the same {@link org.rtmpgw.gateway.rtmpt.RtmptServlet} as the standalone jar, configured by
 * {@link org.rtmpgw.gateway.war.WarConfiguration} (the jar's keys and checks; context parameters
 * in place of flags). Only {@code jakarta.servlet} is used here, so nothing depends on the
 * container being Jetty; the container's connectors serve RTMPT (HTTP) and RTMPTS (HTTPS).
 */
package org.rtmpgw.gateway.war;
