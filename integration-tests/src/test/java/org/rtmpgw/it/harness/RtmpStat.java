package org.rtmpgw.it.harness;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import javax.xml.XMLConstants;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;
import org.xml.sax.SAXException;

/**
 * One snapshot of nginx-rtmp's {@code rtmp_stat all} XML.
 *
 * <p>Shape (Debian's libnginx-mod-rtmp 1.2.2, which reports {@code nginx_rtmp_version} 1.1.4):
 * {@code rtmp/naccepted} counts accepted TCP connections since start; {@code
 * rtmp/server/application[name]/live/stream[name]} holds one {@code client} element per publisher
 * or player of that stream (a publisher carries {@code <publishing/>}), plus {@code <publishing/>}
 * and {@code <meta>} on the stream once a publisher sent data and codec headers. {@code nclients}
 * appears both per stream and per application, so summing it double-counts; a connection that has
 * not yet issued publish/play is not listed anywhere.
 */
public final class RtmpStat {

  /** A live stream as listed under {@code application/live}. */
  public record Stream(
      String application, String name, boolean publishing, boolean hasMeta, int clients) {}

  private final String xml;
  private final Document document;

  private RtmpStat(String xml, Document document) {
    this.xml = xml;
    this.document = document;
  }

  public static RtmpStat parse(String xml) throws IOException {
    try {
      DocumentBuilderFactory factory = DocumentBuilderFactory.newInstance();
      factory.setFeature(XMLConstants.FEATURE_SECURE_PROCESSING, true);
      factory.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
      factory.setExpandEntityReferences(false);
      DocumentBuilder builder = factory.newDocumentBuilder();
      Document document =
          builder.parse(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)));
      return new RtmpStat(xml, document);
    } catch (ParserConfigurationException | SAXException e) {
      throw new IOException("unparseable rtmp_stat XML: " + e.getMessage() + "\n" + xml, e);
    }
  }

  /**
   * RTMP clients currently publishing or playing, in all applications: the number of {@code
   * <client>} elements.
   */
  public int clients() {
    return document.getElementsByTagName("client").getLength();
  }

  /**
   * TCP connections accepted since nginx started ({@code naccepted}); includes the readiness probe
   * of {@link NginxRtmp#start()}.
   */
  public long acceptedConnections() {
    Element root = document.getDocumentElement();
    return Long.parseLong(childText(root, "naccepted").orElse("0"));
  }

  /** Every live stream of every application. */
  public List<Stream> streams() {
    List<Stream> streams = new ArrayList<>();
    for (Element app : elements(document.getElementsByTagName("application"))) {
      String appName = childText(app, "name").orElse("");
      for (Element live : children(app, "live")) {
        for (Element stream : children(live, "stream")) {
          streams.add(
              new Stream(
                  appName,
                  childText(stream, "name").orElse(""),
                  !children(stream, "publishing").isEmpty(),
                  !children(stream, "meta").isEmpty(),
                  children(stream, "client").size()));
        }
      }
    }
    return streams;
  }

  public Optional<Stream> stream(String application, String name) {
    return streams().stream()
        .filter(s -> s.application().equals(application) && s.name().equals(name))
        .findFirst();
  }

  /** The raw XML, for messages. */
  public String xml() {
    return xml;
  }

  private static Optional<String> childText(Element parent, String tag) {
    List<Element> found = children(parent, tag);
    return found.isEmpty() ? Optional.empty() : Optional.of(found.get(0).getTextContent().strip());
  }

  private static List<Element> children(Element parent, String tag) {
    List<Element> result = new ArrayList<>();
    for (Node n = parent.getFirstChild(); n != null; n = n.getNextSibling()) {
      if (n instanceof Element e && e.getTagName().equals(tag)) {
        result.add(e);
      }
    }
    return result;
  }

  private static List<Element> elements(NodeList list) {
    List<Element> result = new ArrayList<>(list.getLength());
    for (int i = 0; i < list.getLength(); i++) {
      result.add((Element) list.item(i));
    }
    return result;
  }

  @Override
  public String toString() {
    return "RtmpStat{clients=" + clients() + " streams=" + streams() + "}";
  }
}
