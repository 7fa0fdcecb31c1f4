package org.rtmpgw.gateway.server;

import org.eclipse.jetty.http.HttpStatus;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.util.Callback;
import org.rtmpgw.gateway.session.ClientAddress;
import org.rtmpgw.gateway.session.Limit;
import org.rtmpgw.gateway.session.SessionObserver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Jetty's HTTP parser answers a header block over {@code request-header-max-bytes} with 431
 * before any gateway code runs; this error handler is where that answer passes, so the limit is
 * logged and counted like the others.
 */
final class LimitCountingErrorHandler extends ErrorHandler {
  private static final Logger LOG = LoggerFactory.getLogger(LimitCountingErrorHandler.class);

  private final SessionObserver observer;
  private final int headerMaxBytes;

  LimitCountingErrorHandler(SessionObserver observer, int headerMaxBytes) {
    this.observer = observer;
    this.headerMaxBytes = headerMaxBytes;
  }

  @Override
  public boolean handle(Request request, Response response, Callback callback) throws Exception {
    if (response.getStatus() == HttpStatus.REQUEST_HEADER_FIELDS_TOO_LARGE_431) {
      observer.limitHit(Limit.REQUEST_HEADER_SIZE);
      LOG.info(
          "refused a request from {}: its header block is over {} bytes"
              + " (request-header-max-bytes) -> 431",
          ClientAddress.describe(request.getConnectionMetaData().getRemoteSocketAddress()),
          headerMaxBytes);
    }
    return super.handle(request, response, callback);
  }
}
