package org.rtmpgw.gateway.rtmpt;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.rtmpgw.gateway.config.GatewayConfig;
import org.rtmpgw.gateway.session.CloseReason;
import org.rtmpgw.gateway.session.PendingRequest;
import org.rtmpgw.gateway.session.SessionOrigin;
import org.rtmpgw.gateway.session.Transport;
import org.rtmpgw.gateway.session.TunnelRegistry;
import org.rtmpgw.gateway.session.TunnelSession;
import org.rtmpgw.tunnel.MalformedReason;
import org.rtmpgw.tunnel.RtmptCommand;
import org.rtmpgw.tunnel.RtmptPath;
import org.rtmpgw.tunnel.RtmptReplies;
import org.rtmpgw.tunnel.RtmptRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The RTMPT endpoint: {@code /fcs/ident2}, {@code /open/1}, {@code /send|idle|close/<id>/<seq>}.
 *
 * <p>Uses only {@code jakarta.servlet} so the same class runs embedded and in any Servlet 6
 * container. Every request goes async at once; its body is read with a {@code ReadListener} and
 * its answer written by {@link AsyncResponder}, so no container thread waits for upstream bytes.
 */
public final class RtmptServlet extends HttpServlet {
  private static final Logger LOG = LoggerFactory.getLogger(RtmptServlet.class);

  private final transient TunnelRegistry registry;
  private final transient GatewayConfig config;
  private final long asyncTimeoutMillis;
  private final transient RequestObserver observer;
  private final transient ServletIo io;

  public RtmptServlet(TunnelRegistry registry, GatewayConfig config) {
    this(registry, config, RequestObserver.NONE, ServletIo.PORTABLE);
  }

  public RtmptServlet(
      TunnelRegistry registry,
      GatewayConfig config,
      RequestObserver observer,
      ServletIo io) {
    this.observer = observer;
    this.io = io;
    this.registry = registry;
    this.config = config;
    // A request normally waits at most an idle hold or one upstream write; the container's own
    // timeout is a safety net behind the session's timers, never the primary mechanism.
    this.asyncTimeoutMillis =
        config.reorderTimeout().toMillis()
            + config.upstreamWriteTimeout().toMillis()
            + config.idleHold().toMillis()
            + 5_000;
  }

  @Override
  protected void service(HttpServletRequest request, HttpServletResponse response)
      throws IOException {
    String client = request.getRemoteAddr() + ":" + request.getRemotePort();
    if (!"POST".equals(request.getMethod())) {
      LOG.debug("{} {} from {}: 405", request.getMethod(), request.getRequestURI(), client);
      response.setHeader("Allow", "POST");
      plain(response, HttpServletResponse.SC_METHOD_NOT_ALLOWED, "RTMPT accepts POST only");
      observer.answered(null, HttpServletResponse.SC_METHOD_NOT_ALLOWED);
      return;
    }
    String path = request.getRequestURI().substring(request.getContextPath().length());
    RtmptPath parsed = RtmptPath.parse(path);
    if (parsed instanceof RtmptPath.Malformed malformed) {
      int status =
          malformed.reason() == MalformedReason.UNKNOWN_COMMAND
                  || malformed.reason() == MalformedReason.EMPTY
              ? HttpServletResponse.SC_NOT_FOUND
              : HttpServletResponse.SC_BAD_REQUEST;
      LOG.info(
          "rejected request from {}: {} ({}) -> {}",
          client,
          malformed.reason(),
          malformed.detail(),
          status);
      plain(response, status, "not an RTMPT request: " + malformed.detail());
      observer.answered(null, status);
      return;
    }
    RtmptRequest rtmpt = (RtmptRequest) parsed;
    long contentLength = request.getContentLengthLong();
    if (contentLength > config.requestBodyMaxBytes()) {
      tooLarge(rtmpt, client, contentLength, response);
      return;
    }
    AsyncContext async = request.startAsync();
    async.setTimeout(asyncTimeoutMillis);
    AsyncResponder responder =
        new AsyncResponder(
            async, io, status -> observer.answered(rtmpt.command(), status));
    TimeoutAnswer timeoutAnswer = new TimeoutAnswer(responder, rtmpt, client);
    async.addListener(timeoutAnswer);
    // Only a send of declared length is streamed: its size is known to be within the limit, so no
    // byte of a body that will be refused is ever forwarded. (RTMPT clients always declare it.)
    if (rtmpt.command() == RtmptCommand.SEND && contentLength > 0) {
      TunnelSession session = registry.find(rtmpt.sessionId());
      TunnelSession.StreamedSend streamed =
          session == null ? null : session.tryStartStreamedSend(rtmpt.seq(), responder);
      if (streamed != null) {
        StreamingBody body = new StreamingBody(request.getInputStream(), io, streamed, contentLength);
        timeoutAnswer.streaming(body);
        request.getInputStream().setReadListener(body);
        return;
      }
    }
    BodyReader.read(
        request.getInputStream(),
        contentLength,
        config.requestBodyMaxBytes(),
        result ->
            dispatch(
                rtmpt,
                client,
                new SessionOrigin(
                    client, request.getServerName(), request.getLocalAddr(), request.getLocalPort()),
                Transport.tunnelled(request.isSecure()),
                result,
                responder));
  }

  private void dispatch(
      RtmptRequest rtmpt,
      String client,
      SessionOrigin origin,
      Transport transport,
      BodyReader.Result result,
      AsyncResponder responder) {
    if (result instanceof BodyReader.Failed failed) {
      LOG.debug("body of {} from {} could not be read", rtmpt, client, failed.cause());
      endSessionOf(rtmpt, CloseReason.BODY_READ_FAILED);
      responder.error(HttpServletResponse.SC_BAD_REQUEST, "request body could not be read");
      return;
    }
    if (result instanceof BodyReader.TooLarge tooLarge) {
      LOG.info(
          "body of {} from {} exceeds {} bytes (chunked); refused", rtmpt, client, tooLarge.limit());
      endSessionOf(rtmpt, CloseReason.BODY_TOO_LARGE);
      responder.error(
          HttpServletResponse.SC_REQUEST_ENTITY_TOO_LARGE,
          "request body larger than " + tooLarge.limit() + " bytes");
      return;
    }
    byte[] body = ((BodyReader.Body) result).bytes();
    switch (rtmpt.command()) {
      case IDENT -> ident(responder);
      case OPEN -> registry.open(origin, transport, responder);
      case SEND, IDLE, CLOSE -> {
        TunnelSession session = registry.find(rtmpt.sessionId());
        if (session == null) {
          if (rtmpt.command() == RtmptCommand.CLOSE) {
            responder.reply(RtmptReplies.close()); // closing twice is not an error
          } else {
            LOG.info("{} from {}: unknown or closed session -> 404", rtmpt, client);
            responder.error(HttpServletResponse.SC_NOT_FOUND, "");
          }
          return;
        }
        session.handle(new PendingRequest(rtmpt.command(), rtmpt.seq(), body, responder));
      }
    }
  }

  private void ident(AsyncResponder responder) {
    if (config.identStatus() == HttpServletResponse.SC_OK) {
      responder.reply(config.identBody().getBytes(StandardCharsets.UTF_8));
    } else {
      responder.error(config.identStatus(), "");
    }
  }

  /**
   * A body above the limit is never forwarded; for a send that means bytes of the stream are lost,
   * so its session ends rather than going on corrupt.
   */
  private void tooLarge(
      RtmptRequest rtmpt, String client, long contentLength, HttpServletResponse response)
      throws IOException {
    LOG.info(
        "{} from {}: Content-Length {} exceeds {}; refused",
        rtmpt,
        client,
        contentLength,
        config.requestBodyMaxBytes());
    endSessionOf(rtmpt, CloseReason.BODY_TOO_LARGE);
    response.setHeader("Connection", "close");
    plain(
        response,
        HttpServletResponse.SC_REQUEST_ENTITY_TOO_LARGE,
        "request body larger than " + config.requestBodyMaxBytes() + " bytes");
    observer.answered(rtmpt.command(), HttpServletResponse.SC_REQUEST_ENTITY_TOO_LARGE);
  }

  private void endSessionOf(RtmptRequest rtmpt, CloseReason reason) {
    if (rtmpt.sessionId() != null) {
      TunnelSession session = registry.find(rtmpt.sessionId());
      if (session != null) {
        session.close(reason);
      }
    }
  }

  private static void plain(HttpServletResponse response, int status, String text)
      throws IOException {
    byte[] body = text.getBytes(StandardCharsets.UTF_8);
    Replies.setHeaders(response, status, "text/plain", body.length, body.length);
    response.getOutputStream().write(body);
  }

  /** Answers a request the container timed out before the session did (a safety net). */
  private static final class TimeoutAnswer implements AsyncListener {
    private final AsyncResponder responder;
    private final RtmptRequest request;
    private final String client;

    TimeoutAnswer(AsyncResponder responder, RtmptRequest request, String client) {
      this.responder = responder;
      this.request = request;
      this.client = client;
    }

    private volatile StreamingBody streaming;

    /** The body being streamed upstream, which must end its session if it never completes. */
    void streaming(StreamingBody body) {
      this.streaming = body;
    }

    @Override
    public void onTimeout(AsyncEvent event) {
      // answered first, synchronously: an answer left to a WriteListener would come too late
      if (responder.answerBeforeTimeoutReturns(
          HttpServletResponse.SC_SERVICE_UNAVAILABLE, "request timed out")) {
        LOG.warn("{} from {} timed out in the container; answered 503", request, client);
      }
      StreamingBody body = streaming;
      if (body != null) {
        // the rest of the send will never come: end its session (and free its slot)
        body.fail(HttpServletResponse.SC_SERVICE_UNAVAILABLE, "request body timed out");
      }
    }

    @Override
    public void onComplete(AsyncEvent event) {}

    @Override
    public void onError(AsyncEvent event) {
      LOG.debug("{} from {} failed: {}", request, client, String.valueOf(event.getThrowable()));
      StreamingBody body = streaming;
      if (body != null) {
        body.fail(HttpServletResponse.SC_BAD_REQUEST, "request failed");
      }
    }

    @Override
    public void onStartAsync(AsyncEvent event) {}
  }
}
