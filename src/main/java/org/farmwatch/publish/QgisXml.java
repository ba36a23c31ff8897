package org.farmwatch.publish;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import javax.xml.parsers.DocumentBuilder;
import javax.xml.parsers.DocumentBuilderFactory;
import javax.xml.parsers.ParserConfigurationException;
import javax.xml.transform.OutputKeys;
import javax.xml.transform.Transformer;
import javax.xml.transform.TransformerException;
import javax.xml.transform.TransformerFactory;
import javax.xml.transform.dom.DOMSource;
import javax.xml.transform.stream.StreamResult;
import org.gdal.osr.SpatialReference;
import org.locationtech.jts.geom.Envelope;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.xml.sax.SAXException;

/** The XML pieces of a QGIS project ({@link QgisProject}): elements, CRSs, extents, parsing and writing. */
final class QgisXml {
    private QgisXml() {}

    /** A QGIS {@code spatialrefsys}: the authority code when there is one (what QGIS reads first), and WKT. */
    static void srs(Element parent, SpatialReference srs) {
        Element s = add(parent, "spatialrefsys");
        s.setAttribute("nativeFormat", "Wkt");
        SpatialReference id = srs.Clone();
        String name = id.GetAuthorityName(null);
        String code = id.GetAuthorityCode(null);
        if (name == null || code == null) {
            try {
                id.AutoIdentifyEPSG();
                name = id.GetAuthorityName(null);
                code = id.GetAuthorityCode(null);
            } catch (RuntimeException e) {
                name = null;
                code = null;
            }
        }
        String[] wkt = new String[1];
        srs.ExportToWkt(wkt, new java.util.Vector<>(List.of("FORMAT=WKT2_2019", "MULTILINE=NO")));
        text(s, "wkt", wkt[0] == null ? srs.ExportToWkt() : wkt[0]);
        String proj4;
        try {
            proj4 = srs.ExportToProj4();
        } catch (RuntimeException e) {
            proj4 = "";
        }
        text(s, "proj4", proj4 == null ? "" : proj4.trim());
        if (name != null && code != null) {
            text(s, "srid", code);
            text(s, "authid", name + ":" + code);
        }
        String desc = srs.GetName();
        text(s, "description", desc == null ? "" : desc);
        text(s, "geographicflag", srs.IsGeographic() == 1 ? "true" : "false");
    }

    static void extent(Element parent, String name, Envelope e) {
        Element x = add(parent, name);
        text(x, "xmin", num(e.getMinX()));
        text(x, "ymin", num(e.getMinY()));
        text(x, "xmax", num(e.getMaxX()));
        text(x, "ymax", num(e.getMaxY()));
    }

    /** Only plain relative paths inside the output folder: the project must move with it. */
    static String num(double v) {
        return java.math.BigDecimal.valueOf(v).toPlainString();
    }

    static Element add(Element parent, String name) {
        Element e = parent.getOwnerDocument().createElement(name);
        parent.appendChild(e);
        return e;
    }

    static Element text(Element parent, String name, String value) {
        Element e = add(parent, name);
        e.setTextContent(value);
        return e;
    }

    static DocumentBuilder builder() {
        try {
            DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
            f.setFeature("http://apache.org/xml/features/nonvalidating/load-external-dtd", false);
            f.setExpandEntityReferences(false);
            return f.newDocumentBuilder();
        } catch (ParserConfigurationException e) {
            throw new IllegalStateException(e);
        }
    }

    static Document newDocument() {
        return builder().newDocument();
    }

    static Document parse(String xml) {
        try {
            return builder().parse(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)));
        } catch (SAXException | IOException e) {
            throw new IllegalStateException("QgisStyle produced unparsable QML: " + e.getMessage(), e);
        }
    }

    static byte[] serialize(Document doc) {
        try {
            Transformer t = TransformerFactory.newInstance().newTransformer();
            t.setOutputProperty(OutputKeys.ENCODING, "UTF-8");
            t.setOutputProperty(OutputKeys.INDENT, "yes");
            t.setOutputProperty("{http://xml.apache.org/xslt}indent-amount", "1");
            t.setOutputProperty(OutputKeys.DOCTYPE_PUBLIC, "http://mrcc.com/qgis.dtd");
            t.setOutputProperty(OutputKeys.DOCTYPE_SYSTEM, "SYSTEM");
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            t.transform(new DOMSource(doc), new StreamResult(out));
            return out.toByteArray();
        } catch (TransformerException e) {
            throw new IllegalStateException(e);
        }
    }}
