package org.rtmpgw.it.harness;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.eclipse.jetty.ee10.servlet.ServletHolder;
import org.eclipse.jetty.ee10.webapp.WebAppContext;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.ContextHandlerCollection;
import org.eclipse.jetty.util.ClassMatcher;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

/**
 * Jetty 12 (ee10) deploying a WAR the way its deployer does: a {@link WebAppContext} per WAR, with
 * Jetty's own classes hidden from the webapp ({@code org.eclipse.jetty.*}, the default) and SLF4J
 * hidden too (as jetty-home's {@code slf4j} module configures it).
 *
 * <p>Loaded by {@link WarContainer} in a class loader of its own (Jetty's jars only, over the
 * platform class loader), so the webapp sees neither the test class path nor the gateway module;
 * its public methods take and return JDK types only.
 */
public final class WarJettyServer {
  private final Path workDir;
  private Server server;
  private ServerConnector connector;
  private ContextHandlerCollection contexts;
  private WebAppContext webapp;
  private int deployments;

  public WarJettyServer(Path workDir) {
    this.workDir = workDir;
  }

  /** Starts the server on 127.0.0.1 and a free port, with no webapp yet; returns the port. */
  public int start() throws Exception {
    QueuedThreadPool threads = new QueuedThreadPool();
    threads.setName("war-jetty");
    server = new Server(threads);
    connector = new ServerConnector(server, new HttpConnectionFactory());
    connector.setHost("127.0.0.1");
    connector.setPort(0);
    server.addConnector(connector);
    contexts = new ContextHandlerCollection();
    server.setHandler(contexts);
    server.start();
    return connector.getLocalPort();
  }

  /** Deploys {@code war} at {@code contextPath} ("" for the root) with these context parameters. */
  public void deploy(String contextPath, String war, Map<String, String> parameters)
      throws Exception {
    WebAppContext context = new WebAppContext();
    context.setContextPath(contextPath.isEmpty() ? "/" : contextPath);
    context.setWar(war);
    Path temp = workDir.resolve("jetty-temp-" + (++deployments));
    Files.createDirectories(temp);
    context.setTempDirectory(temp.toFile());
    context.addHiddenClassMatcher(hiddenLogging());
    context.setThrowUnavailableOnStartupException(true);
    parameters.forEach(context::setInitParameter);
    contexts.addHandler(context);
    context.start();
    webapp = context;
  }

  /**
   * SLF4J as jetty-home hides it from webapps: its packages, and the server's logging jars by
   * location, so the webapp does not even see the server's provider registration (the
   * META-INF/services file) and uses the SLF4J and provider in its own WEB-INF/lib.
   */
  private static ClassMatcher hiddenLogging() throws Exception {
    ClassMatcher hidden = new ClassMatcher("org.slf4j.");
    for (String name : List.of("org.slf4j.LoggerFactory", "org.slf4j.simple.SimpleServiceProvider")) {
      try {
        Class<?> c = Class.forName(name, false, WarJettyServer.class.getClassLoader());
        hidden.add(c.getProtectionDomain().getCodeSource().getLocation().toURI().toString());
      } catch (ClassNotFoundException e) {
        // that jar is not on the server's class path: nothing to hide
      }
    }
    return hidden;
  }

  /** True while a webapp is deployed. */
  public boolean deployed() {
    return webapp != null;
  }

  public ClassLoader webappClassLoader() {
    return webapp.getClassLoader();
  }

  /** The class loader of the registered RTMPT servlet's class, or null if none is registered. */
  public ClassLoader servletClassLoader() {
    ServletHolder holder = webapp.getServletHandler().getServlet("rtmpt");
    if (holder == null || holder.getServletInstance() == null) {
      return null;
    }
    return holder.getServletInstance().getClass().getClassLoader();
  }

  /** Stops and removes the webapp, as undeploying it from a running server does. */
  public void undeploy() throws Exception {
    WebAppContext context = webapp;
    if (context == null) {
      return;
    }
    webapp = null;
    context.stop();
    contexts.removeHandler(context);
    context.destroy();
  }

  public void stop() throws Exception {
    if (server != null) {
      server.stop();
      server.destroy();
    }
  }

  public String describe() {
    return "Jetty " + Server.getVersion() + " (ee10 WebAppContext)";
  }
}
