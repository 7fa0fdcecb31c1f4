package org.rtmpgw.gateway.server;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.rtmpgw.gateway.metrics.GatewayMetrics;

/**
 * The management listener's endpoints: {@code GET /metrics} (Prometheus text), {@code GET
 * /healthz} (the process runs), {@code GET /readyz} (new sessions are welcome: not draining and
 * the upstream reachable) and {@code POST /admin/drain}. Served only on the management connector,
 * which binds to loopback by default.
 */
final class ManagementHandler extends Handler.Abstract {
  /** What readiness depends on and what a drain request does. */
  interface Control {
    /** Null when ready, else why not. */
    String notReadyReason();

    /** Starts a graceful drain (idempotent); returns at once. */
    void drain();
  }

  private final GatewayMetrics metrics;
  private final Control control;

  ManagementHandler(GatewayMetrics metrics, Control control) {
    this.metrics = metrics;
    this.control = control;
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) throws Exception {
    String path = Request.getPathInContext(request);
    String method = request.getMethod();
    switch (path) {
      case "/metrics" -> {
        if (isGet(method)) {
          ByteArrayOutputStream out = new ByteArrayOutputStream(16 * 1024);
          metrics.write(out);
          send(response, callback, HttpStatus.OK_200, metrics.contentType(), out.toByteArray());
        } else {
          notAllowed(response, callback, "GET");
        }
      }
      case "/healthz" -> {
        if (isGet(method)) {
          text(response, callback, HttpStatus.OK_200, "ok");
        } else {
          notAllowed(response, callback, "GET");
        }
      }
      case "/readyz" -> {
        if (isGet(method)) {
          String why = control.notReadyReason();
          if (why == null) {
            text(response, callback, HttpStatus.OK_200, "ready");
          } else {
            text(response, callback, HttpStatus.SERVICE_UNAVAILABLE_503, why);
          }
        } else {
          notAllowed(response, callback, "GET");
        }
      }
      case "/admin/drain" -> {
        if (HttpMethod.POST.is(method)) {
          control.drain();
          text(response, callback, HttpStatus.ACCEPTED_202, "draining");
        } else {
          notAllowed(response, callback, "POST");
        }
      }
      default -> text(response, callback, HttpStatus.NOT_FOUND_404, "not found");
    }
    return true;
  }

  private static boolean isGet(String method) {
    return HttpMethod.GET.is(method) || HttpMethod.HEAD.is(method);
  }

  private static void notAllowed(Response response, Callback callback, String allow) {
    response.getHeaders().put(HttpHeader.ALLOW, allow);
    text(response, callback, HttpStatus.METHOD_NOT_ALLOWED_405, "use " + allow);
  }

  private static void text(Response response, Callback callback, int status, String body) {
    send(
        response,
        callback,
        status,
        "text/plain; charset=utf-8",
        (body + "\n").getBytes(StandardCharsets.UTF_8));
  }

  private static void send(
      Response response, Callback callback, int status, String contentType, byte[] body) {
    response.setStatus(status);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, contentType);
    response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-cache");
    response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
    response.write(true, ByteBuffer.wrap(body), callback);
  }
}
