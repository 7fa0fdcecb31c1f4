package org.rtmpgw.it.harness;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.apache.catalina.Wrapper;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.core.StandardContext;
import org.apache.catalina.startup.ContextConfig;
import org.apache.catalina.startup.Tomcat;
import org.apache.catalina.util.ServerInfo;
import org.apache.catalina.webresources.TomcatURLStreamHandlerFactory;
import org.apache.tomcat.util.scan.StandardJarScanner;

/**
 * Apache Tomcat 11 deploying a WAR as its host does: a {@code StandardContext} with a {@code
 * ContextConfig} reading the WAR's {@code web.xml}, Tomcat's default servlet mapped to "/" (and
 * overridable, as in {@code conf/web.xml}), context parameters as a {@code <Parameter>} of
 * {@code context.xml} sets them. The HTTP connector binds 127.0.0.1 with {@code
 * maxKeepAliveRequests=-1} (RTMPT clients keep one connection for everything) and only {@value
 * #MAX_THREADS} request threads: a gateway that held a container thread for a poll would starve.
 *
 * <p>Loaded by {@link WarContainer} in a class loader of its own (Tomcat's jars only, over the
 * platform class loader); its public methods take and return JDK types only.
 */
public final class WarTomcatServer {
  /** Request threads of the connector. */
  public static final int MAX_THREADS = 4;

  private final Path workDir;
  private Tomcat tomcat;
  private Connector connector;
  private StandardContext webapp;

  public WarTomcatServer(Path workDir) {
    this.workDir = workDir;
  }

  /** Starts Tomcat on 127.0.0.1 and a free port, with no webapp yet; returns the port. */
  public int start() throws Exception {
    Path base = workDir.resolve("tomcat");
    Path appBase = base.resolve("webapps");
    Files.createDirectories(appBase);
    // Tomcat sets the JVM-wide URL stream handler factory once per JVM; a second Tomcat from
    // another class loader (the next test) would fail on it. Unpacked WARs do not need it.
    TomcatURLStreamHandlerFactory.disable();
    tomcat = new Tomcat();
    tomcat.setBaseDir(base.toString());
    tomcat.getHost().setAppBase(appBase.toString());
    tomcat.getServer().setParentClassLoader(WarTomcatServer.class.getClassLoader());
    connector = new Connector("HTTP/1.1");
    connector.setPort(0);
    connector.setProperty("address", "127.0.0.1");
    connector.setProperty("maxKeepAliveRequests", "-1");
    connector.setProperty("maxThreads", Integer.toString(MAX_THREADS));
    connector.setProperty("minSpareThreads", "1");
    tomcat.setConnector(connector);
    tomcat.start();
    return connector.getLocalPort();
  }

  /** Deploys {@code war} at {@code contextPath} ("" for the root) with these context parameters. */
  public void deploy(String contextPath, String war, Map<String, String> parameters) {
    StandardContext context = new StandardContext();
    context.setName(contextPath);
    context.setPath(contextPath);
    context.setDocBase(war);
    context.setParentClassLoader(WarTomcatServer.class.getClassLoader());
    ContextConfig config = new ContextConfig();
    config.setDefaultWebXml(tomcat.noDefaultWebXmlPath());
    context.addLifecycleListener(config);
    // what conf/web.xml gives every webapp and a standalone Tomcat has: the default servlet on "/"
    // (Tomcat.initWebappDefaults would add the JSP servlet too, which tomcat-embed-core lacks)
    Wrapper defaultServlet =
        Tomcat.addServlet(context, "default", "org.apache.catalina.servlets.DefaultServlet");
    defaultServlet.setLoadOnStartup(1);
    defaultServlet.setOverridable(true);
    context.addServletMappingDecoded("/", "default");
    // only the WAR's own jars are scanned, as in a standalone Tomcat
    StandardJarScanner scanner = new StandardJarScanner();
    scanner.setScanClassPath(false);
    context.setJarScanner(scanner);
    parameters.forEach(context::addParameter);
    tomcat.getHost().addChild(context); // the host is running: this starts the context
    if (!context.getState().isAvailable()) {
      throw new IllegalStateException("context '" + contextPath + "' did not start: " + context.getState());
    }
    webapp = context;
  }

  /** True while a webapp is deployed. */
  public boolean deployed() {
    return webapp != null;
  }

  public ClassLoader webappClassLoader() {
    return webapp.getLoader().getClassLoader();
  }

  /** The class loader of the registered RTMPT servlet's class, or null if none is registered. */
  public ClassLoader servletClassLoader() {
    Wrapper wrapper = (Wrapper) webapp.findChild("rtmpt");
    if (wrapper == null || wrapper.getServlet() == null) {
      return null;
    }
    return wrapper.getServlet().getClass().getClassLoader();
  }

  /** Stops and removes the webapp, as undeploying it from a running host does. */
  public void undeploy() {
    StandardContext context = webapp;
    if (context == null) {
      return;
    }
    webapp = null;
    tomcat.getHost().removeChild(context); // stops and destroys it
  }

  public void stop() throws Exception {
    if (tomcat != null) {
      tomcat.stop();
      tomcat.destroy();
    }
  }

  public String describe() {
    return ServerInfo.getServerInfo() + " (embedded, StandardContext + ContextConfig)";
  }
}
