package org.rtmpgw.it.harness;

import java.io.IOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * A real servlet container, started in this JVM in a class loader of its own, that deploys the
 * gateway's WAR: {@link Kind#JETTY} ({@link WarJettyServer}) or {@link Kind#TOMCAT} ({@link
 * WarTomcatServer}).
 *
 * <p>The container's class loader holds only that container's jars (listed by the build in the
 * file named by the system property {@link Kind#classpathProperty()}) and this module's test
 * classes, over the platform class loader. So the webapp sees what it would in a standalone
 * container: neither the gateway classes nor the SLF4J provider nor the servlet API of the test
 * class path, and Jetty and Tomcat (Servlet 6.0 and 6.1 APIs) never share one class path. Every
 * call runs with the container's class loader as the thread's context class loader, as in the
 * container's own threads.
 */
public final class WarContainer implements AutoCloseable {

  /** The containers the WAR is tested in. */
  public enum Kind {
    JETTY("war.jetty.classpath", "org.rtmpgw.it.harness.WarJettyServer"),
    TOMCAT("war.tomcat.classpath", "org.rtmpgw.it.harness.WarTomcatServer");

    private final String classpathProperty;
    private final String serverClass;

    Kind(String classpathProperty, String serverClass) {
      this.classpathProperty = classpathProperty;
      this.serverClass = serverClass;
    }

    /** System property naming the file that lists the container's jars (path separator). */
    public String classpathProperty() {
      return classpathProperty;
    }

    /** True when the build listed the container's jars (false when run outside Maven). */
    public boolean isAvailable() {
      String file = System.getProperty(classpathProperty, "");
      return !file.isEmpty() && Files.isRegularFile(Path.of(file));
    }
  }

  private final Kind kind;
  private final URLClassLoader loader;
  private final Object server;
  private final int port;
  private boolean stopped;

  private WarContainer(Kind kind, URLClassLoader loader, Object server, int port) {
    this.kind = kind;
    this.loader = loader;
    this.server = server;
    this.port = port;
  }

  /** Starts a {@code kind} container on 127.0.0.1 and a free port, its files under {@code dir}. */
  public static WarContainer start(Kind kind, Path dir) throws Exception {
    Files.createDirectories(dir);
    List<URL> urls = new ArrayList<>();
    String listing = Files.readString(Path.of(System.getProperty(kind.classpathProperty))).strip();
    for (String entry : listing.split(java.io.File.pathSeparator)) {
      if (!entry.isBlank()) {
        urls.add(Path.of(entry).toUri().toURL());
      }
    }
    urls.add(WarContainer.class.getProtectionDomain().getCodeSource().getLocation());
    URLClassLoader loader =
        new URLClassLoader(
            "war-" + kind.name().toLowerCase(java.util.Locale.ROOT),
            urls.toArray(URL[]::new),
            ClassLoader.getPlatformClassLoader());
    Object server;
    int port;
    ClassLoader old = Thread.currentThread().getContextClassLoader();
    Thread.currentThread().setContextClassLoader(loader);
    try {
      server = loader.loadClass(kind.serverClass).getConstructor(Path.class).newInstance(dir);
      port = (Integer) invoke(server, "start");
    } catch (Exception | Error e) {
      loader.close();
      throw e;
    } finally {
      Thread.currentThread().setContextClassLoader(old);
    }
    return new WarContainer(kind, loader, server, port);
  }

  public Kind kind() {
    return kind;
  }

  /** The container's HTTP port on 127.0.0.1. */
  public int port() {
    return port;
  }

  /** Deploys the WAR at {@code contextPath} ("" is the root context) with these parameters. */
  public void deploy(String contextPath, Path war, Map<String, String> contextParameters)
      throws Exception {
    call("deploy", contextPath, war.toAbsolutePath().toString(), Map.copyOf(contextParameters));
  }

  /** The deployed webapp's class loader. */
  public ClassLoader webappClassLoader() throws Exception {
    return (ClassLoader) call("webappClassLoader");
  }

  /** The class loader of the gateway's servlet class, or null when no servlet is registered. */
  public ClassLoader servletClassLoader() throws Exception {
    return (ClassLoader) call("servletClassLoader");
  }

  /** Undeploys the webapp; nothing happens when none is deployed. */
  public void undeploy() throws Exception {
    call("undeploy");
  }

  /** True while a webapp is deployed. */
  public boolean deployed() throws Exception {
    return (Boolean) call("deployed");
  }

  public String describe() {
    try {
      return (String) call("describe");
    } catch (Exception e) {
      return kind + " (" + e + ")";
    }
  }

  /** Stops the container; idempotent. */
  @Override
  public void close() throws Exception {
    if (stopped) {
      return;
    }
    stopped = true;
    try {
      call("stop");
    } finally {
      try {
        loader.close();
      } catch (IOException e) {
        // test teardown
      }
    }
  }

  private Object call(String method, Object... args) throws Exception {
    ClassLoader old = Thread.currentThread().getContextClassLoader();
    Thread.currentThread().setContextClassLoader(loader);
    try {
      return invoke(server, method, args);
    } finally {
      Thread.currentThread().setContextClassLoader(old);
    }
  }

  private static Object invoke(Object target, String name, Object... args) throws Exception {
    for (Method m : target.getClass().getMethods()) {
      if (m.getName().equals(name) && m.getParameterCount() == args.length) {
        try {
          return m.invoke(target, args);
        } catch (InvocationTargetException e) {
          Throwable cause = e.getCause();
          if (cause instanceof Exception ex) {
            throw ex;
          }
          if (cause instanceof Error err) {
            throw err;
          }
          throw e;
        }
      }
    }
    throw new NoSuchMethodException(target.getClass().getName() + "." + name);
  }

  @Override
  public String toString() {
    return kind + " on 127.0.0.1:" + port;
  }
}
