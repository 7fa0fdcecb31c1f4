package org.rtmpgw.gateway.war;

import jakarta.servlet.ServletContext;
import jakarta.servlet.ServletContextEvent;
import jakarta.servlet.ServletContextListener;
import jakarta.servlet.ServletRegistration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.rtmpgw.gateway.config.ConfigException;
import org.rtmpgw.gateway.config.EffectiveConfig;
import org.rtmpgw.gateway.config.GatewayConfig;
import org.rtmpgw.gateway.rtmpt.RtmptServlet;
import org.rtmpgw.gateway.session.TunnelRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Starts the gateway inside a servlet container (declared in the WAR's {@code WEB-INF/web.xml}):
 * resolves the configuration ({@link WarConfiguration}), starts a {@link TunnelRegistry} and
 * registers {@link RtmptServlet} for {@code /}, async supported. On undeploy it closes every
 * session and upstream connection and waits, bounded, for the gateway's threads to end.
 *
 * <p>Nothing here depends on the container: only {@code jakarta.servlet}. An invalid
 * configuration is logged once, as one ERROR listing every problem, and nothing is registered, so
 * requests get the container's own answer (404, or 405 for a POST in Jetty) until the webapp is
 * fixed and redeployed.
 */
public final class GatewayContextListener implements ServletContextListener {
  private static final Logger LOG = LoggerFactory.getLogger(GatewayContextListener.class);

  /** Name of the registered servlet. */
  public static final String SERVLET_NAME = "rtmpt";

  /** Prefix of every thread the gateway starts (session timer, upstream I/O and scheduler). */
  static final String THREAD_PREFIX = "rtmpgw-";

  /** Bound on waiting for the gateway's threads to end on undeploy. */
  private static final long THREADS_STOP_WAIT_MILLIS = 5_000;

  private TunnelRegistry registry;
  private ClassLoader webappLoader;
  private Set<Thread> threadsBefore = Set.of();
  private String where = "";

  @Override
  public synchronized void contextInitialized(ServletContextEvent event) {
    ServletContext context = event.getServletContext();
    where = describe(context);
    EffectiveConfig effective;
    try {
      effective =
          WarConfiguration.resolve(initParameters(context), System::getProperty, System.getenv());
    } catch (ConfigException e) {
      LOG.error(
          "rtmp-gateway NOT started in {}: invalid configuration (nothing is registered, so requests"
              + " get the container's own 404 or 405 until this is fixed and the webapp is"
              + " redeployed):\n  {}",
          where,
          String.join("\n  ", e.problems()));
      return;
    } catch (RuntimeException e) {
      LOG.error("rtmp-gateway NOT started in {}: configuration could not be read: {}", where, e.toString());
      return;
    }
    GatewayConfig config = effective.config();
    WarConfiguration.configFile(initParameters(context), System::getProperty, System.getenv())
        .ifPresent(f -> LOG.info("configuration file {} (named by {})", f.path(), f.source()));
    LOG.info("{}", WarConfiguration.notApplicableLine(effective));

    webappLoader = context.getClassLoader();
    threadsBefore = gatewayThreads(webappLoader);
    TunnelRegistry started = new TunnelRegistry(config);
    try {
      started.start();
    } catch (Exception e) {
      LOG.error("rtmp-gateway NOT started in {}: the upstream connector did not start: {}", where, e.toString());
      stop(started);
      return;
    }
    ServletRegistration.Dynamic servlet;
    try {
      servlet = context.addServlet(SERVLET_NAME, new RtmptServlet(started, config));
    } catch (RuntimeException e) {
      LOG.error("rtmp-gateway NOT started in {}: the container refused the servlet: {}", where, e.toString());
      stop(started);
      return;
    }
    if (servlet == null) {
      LOG.error(
          "rtmp-gateway NOT started in {}: this context already has a servlet named '{}'",
          where,
          SERVLET_NAME);
      stop(started);
      return;
    }
    servlet.setAsyncSupported(true);
    Set<String> conflicts = servlet.addMapping("/");
    if (!conflicts.isEmpty()) {
      LOG.error(
          "rtmp-gateway NOT started in {}: '/' is already mapped to another servlet of this"
              + " webapp ({}); the gateway must be this context's default servlet",
          where,
          conflicts);
      stop(started);
      return;
    }
    registry = started;
    LOG.info(
        "rtmp-gateway started in {}: RTMPT on the container's HTTP connectors, RTMPTS on its HTTPS"
            + " ones; every session is forwarded to upstream {}",
        where,
        config.upstream());
    String contextPath = context.getContextPath();
    if (!contextPath.isEmpty()) {
      LOG.warn(
          "rtmp-gateway is deployed at context path '{}', but RTMPT clients always request"
              + " /fcs/ident2, /open/1, /send/..., /idle/... and /close/... at the server root:"
              + " they will not reach {}/open/1 and the others unless the server rewrites them."
              + " Deploy it as the root context (Tomcat ROOT.war, Jetty context path /) or rewrite"
              + " /fcs/*, /open/*, /send/*, /idle/*, /close/* to {}/...",
          contextPath,
          contextPath,
          contextPath);
    }
  }

  @Override
  public synchronized void contextDestroyed(ServletContextEvent event) {
    TunnelRegistry running = registry;
    registry = null;
    if (running == null) {
      return; // never started (invalid configuration): nothing to close
    }
    LOG.info("rtmp-gateway stopping in {}: closing {} session(s)", where, running.totalSize());
    stop(running);
    LOG.info("rtmp-gateway stopped in {}", where);
  }

  /**
   * Closes every session and upstream connection, then waits (bounded) until every gateway thread
   * started by this webapp has ended, so the container finds none left behind.
   */
  private void stop(TunnelRegistry running) {
    running.shutdown();
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(THREADS_STOP_WAIT_MILLIS);
    List<Thread> left = new ArrayList<>();
    for (Thread t : gatewayThreads(webappLoader)) {
      if (threadsBefore.contains(t)) {
        continue; // not ours (another gateway in the same class loader)
      }
      long remaining = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
      try {
        t.join(Math.max(1, remaining));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
      if (t.isAlive()) {
        left.add(t);
      }
    }
    threadsBefore = Set.of();
    if (!left.isEmpty()) {
      LOG.warn(
          "rtmp-gateway in {}: {} thread(s) still running {} ms after the stop: {}",
          where,
          left.size(),
          THREADS_STOP_WAIT_MILLIS,
          left.stream().map(Thread::getName).toList());
    }
  }

  /** Live threads named {@value #THREAD_PREFIX}* whose context class loader is {@code loader}. */
  private static Set<Thread> gatewayThreads(ClassLoader loader) {
    Set<Thread> found = new HashSet<>();
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (t.isAlive()
          && t.getName().startsWith(THREAD_PREFIX)
          && t.getContextClassLoader() == loader
          && t != Thread.currentThread()) {
        found.add(t);
      }
    }
    return found;
  }

  private static Map<String, String> initParameters(ServletContext context) {
    Map<String, String> params = new LinkedHashMap<>();
    for (String name : Collections.list(context.getInitParameterNames())) {
      params.put(name, context.getInitParameter(name));
    }
    return params;
  }

  private static String describe(ServletContext context) {
    String path = context.getContextPath();
    return "context '" + (path.isEmpty() ? "/" : path) + "' of " + context.getServerInfo();
  }
}
