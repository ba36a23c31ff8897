package org.farmwatch.publish;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Properties;
import java.util.regex.Pattern;
import org.farmwatch.util.FarmwatchException;

/** What {@link ReportPage} inlines besides the data: Leaflet from its webjar, and the page's own style and script. */
final class ReportAssets {

    private static final String WEBJAR = "META-INF/resources/webjars/leaflet/";
    private static final String WEBJAR_POM = "META-INF/maven/org.webjars.npm/leaflet/pom.properties";
    private static final Pattern SOURCE_MAP = Pattern.compile("(?m)^\\s*(//|/\\*)# sourceMappingURL=.*$");

    private ReportAssets() {}

    /** Leaflet's script and style from the webjar, made safe to inline. */
    record Leaflet(String js, String css) {

        private static volatile Leaflet loaded;

        /** Reads the webjar once; a missing webjar fails every call, not just the first. */
        static Leaflet get() {
            Leaflet l = loaded;
            if (l == null) {
                String version = webjarVersion();
                l = new Leaflet(inlineable(resource(version, "leaflet.js"), "script"),
                        inlineable(resource(version, "leaflet.css"), "style"));
                loaded = l;
            }
            return l;
        }

        private static String webjarVersion() {
            try (InputStream in = ReportAssets.class.getClassLoader().getResourceAsStream(WEBJAR_POM)) {
                if (in != null) {
                    Properties props = new Properties();
                    props.load(in);
                    return props.getProperty("version", "1.9.4");
                }
            } catch (IOException e) {
                // fall back to the version the pom names
            }
            return "1.9.4";
        }

        private static String resource(String version, String name) {
            String path = WEBJAR + version + "/dist/" + name;
            try (InputStream in = ReportAssets.class.getClassLoader().getResourceAsStream(path)) {
                if (in == null) {
                    throw new FarmwatchException(FarmwatchException.Kind.INTERNAL,
                            "Leaflet is not on the classpath: missing " + path + " (org.webjars.npm:leaflet)");
                }
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new FarmwatchException(FarmwatchException.Kind.INTERNAL, "cannot read " + path, e);
            }
        }

        /**
         * Drops the source-map comment (the browser would try to fetch the map when its tools are
         * open) and breaks any closing tag of the element the text will sit in.
         */
        private static String inlineable(String text, String element) {
            String t = SOURCE_MAP.matcher(text).replaceAll("");
            return Pattern.compile("</(" + element + ")", Pattern.CASE_INSENSITIVE).matcher(t).replaceAll("<\\\\/$1");
        }
    }

    static final String PAGE_CSS = """
            body { margin: 0; font: 14px/1.45 "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif;
                   color: #1b1f23; background: #f6f7f8; }
            header { padding: 10px 16px 6px; background: #24475c; color: #fff; }
            h1 { margin: 0; font-size: 20px; } h1 .en { font-weight: normal; font-size: 15px; opacity: .85; }
            .meta { margin: 2px 0 0; font-size: 13px; }
            main { padding: 10px 16px 24px; }
            h2 { font-size: 16px; margin: 4px 0 6px; } h3 { font-size: 14px; margin: 12px 0 4px; }
            .next { display: flex; gap: 18px; align-items: flex-start; background: #fffbe6; border: 1px solid #e6d58a;
                    border-radius: 4px; padding: 6px 12px; margin-bottom: 10px; font-size: 13px; }
            .next .facts { display: flex; flex-direction: column; gap: 2px; flex: 0 0 auto; white-space: nowrap; }
            .next .facts b { font-size: 17px; }
            .next h2 { font-size: 14px; margin: 0 0 2px; }
            .next ol { margin: 0; padding-left: 20px; columns: 2; column-gap: 28px; }
            .next .en, .hint .en { color: #555; margin-left: 4px; }
            .next code { font-size: 12px; background: #f3efd9; padding: 0 3px; }
            .work { display: flex; gap: 14px; align-items: stretch; }
            .work .parcels { flex: 1 1 62%; min-width: 0; margin-top: 0; }
            .map { flex: 1 1 38%; height: 74vh; min-height: 380px; background: #dde3e6;
                   border: 1px solid #b9c2c8; position: sticky; top: 6px; }
            .summary { display: flex; flex-wrap: wrap; gap: 6px 24px; margin-top: 14px; }
            .summary h2 { flex-basis: 100%; }
            .summary table { width: auto; }
            .codes { margin-top: 14px; font-size: 12px; color: #555; }
            @media (max-width: 900px) { .work, .next { flex-direction: column; } .map { height: 60vh; width: 100%; } }
            table { border-collapse: collapse; background: #fff; }
            th, td { border: 1px solid #d4d9dd; padding: 3px 6px; text-align: left; vertical-align: top; }
            td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
            .kv th { font-weight: normal; background: #eef2f4; }
            .counts { width: 100%; font-size: 13px; }
            .counts th { background: #eef2f4; }
            .swatch { display: inline-block; width: 12px; height: 12px; margin-right: 6px; vertical-align: -1px;
                      border: 1px solid rgba(0,0,0,.3); }
            .scenes { margin-top: 10px; font-size: 12px; } .scenes ul { margin: 4px 0; padding-left: 18px; }
            .parcels { margin-top: 16px; } .hint { margin: 0 0 6px; color: #333; font-size: 13px; }
            .hint .note { color: #666; font-size: 12px; }
            .table-wrap { overflow: auto; max-height: 66vh; border: 1px solid #d4d9dd; }
            #parcels { font-size: 13px; min-width: 100%; }
            #parcels thead th { position: sticky; top: 0; z-index: 2; background: #e4eaee; cursor: pointer;
                                user-select: none; font-size: 12px; min-width: 4em; overflow-wrap: anywhere; }
            #parcels td { font-size: 12.5px; }
            #parcels th[aria-sort="ascending"]::after { content: " ▲"; }
            #parcels th[aria-sort="descending"]::after { content: " ▼"; }
            #parcels tbody tr { cursor: pointer; }
            #parcels tbody tr:hover { background: #f0f6fa; }
            #parcels tbody tr.selected { background: #fff3c4; }
            #parcels tr.non_agricultural td:first-child { border-left: 4px solid #e31a1c; }
            #parcels tr.non_grain td:first-child { border-left: 4px solid #ff7f00; }
            #parcels tr.other td:first-child { border-left: 4px solid #969696; }
            td.chips { white-space: nowrap; padding: 2px; }
            .chipbox { position: relative; display: inline-block; width: 96px; height: 96px; margin-right: 3px;
                       vertical-align: top; }
            .chip { display: block; border: 1px solid #999; image-rendering: pixelated; box-sizing: border-box; }
            .chipbox svg.patch { position: absolute; left: 0; top: 0; width: 96px; height: 96px; pointer-events: none; }
            .chipbox path { fill: none; stroke: #ffff00; stroke-width: 1.6px; vector-effect: non-scaling-stroke;
                            stroke-linejoin: round; }
            .chipbox path.halo { stroke: #000; stroke-width: 3.4px; stroke-opacity: .7; }
            .chipbox .cap { position: absolute; left: 1px; bottom: 1px; font-size: 10px; line-height: 12px;
                            background: rgba(255,255,255,.8); padding: 0 2px; }
            .legend { background: rgba(255,255,255,.9); padding: 4px 8px; border-radius: 4px; font-size: 12px;
                      line-height: 18px; }
            .map-message { padding: 12px; color: #8a1c1c; }
            """;

    /** The page's script: plain ES5 so that older browsers on inspectors' laptops run it too. */
    static final String PAGE_JS = """
            (function () {
              'use strict';
              var mapEl = document.getElementById('map');
              var table = document.getElementById('parcels');
              var cfg = JSON.parse(document.getElementById('fw-config').textContent);
              var collator = (window.Intl && Intl.Collator)
                  ? new Intl.Collator('zh-CN', {numeric: true})
                  : {compare: function (a, b) { return a < b ? -1 : a > b ? 1 : 0; }};

              // ---- the map ----
              var map = L.map(mapEl, {attributionControl: false, minZoom: 2, maxZoom: 20, zoomSnap: 0.25});
              var byId = {};
              var selectedLayer = null;
              var imageBounds = null;
              if (cfg.image) {
                imageBounds = L.latLngBounds(cfg.image.bounds);
                L.imageOverlay(cfg.image.url, imageBounds, {interactive: false, alt: '背景影像 background image'})
                    .addTo(map);
              }
              function colour(type) {
                return cfg.colors[type] || cfg.colors.other;
              }
              function style(feature) {
                var c = colour(feature.properties && feature.properties.change_type);
                return {color: c, weight: 2, opacity: 1, fillColor: c, fillOpacity: 0.25};
              }
              function line(parent, text) {
                var div = document.createElement('div');
                div.textContent = text;
                parent.appendChild(div);
              }
              function tooltip(props) {
                var el = document.createElement('div');
                var b = document.createElement('b');
                b.textContent = String(props.parcel_id);
                el.appendChild(b);
                line(el, (props.township || '') + ' · ' + (cfg.labels[props.change_type] || props.change_type || ''));
                if (props.changed_area_mu != null) {
                  line(el, props.changed_area_mu + ' 亩 mu · ' + props.changed_area_m2 + ' m²');
                }
                if (props.from_classes || props.to_classes) {
                  line(el, (props.from_classes || '?') + ' → ' + (props.to_classes || '?'));
                }
                return el;
              }
              var parcels = null;
              try {
                parcels = L.geoJSON(JSON.parse(document.getElementById('fw-geojson').textContent), {
                  style: style,
                  onEachFeature: function (feature, layer) {
                    var props = feature.properties || {};
                    if (props.parcel_id == null) {
                      return;
                    }
                    var id = String(props.parcel_id);
                    byId[id] = layer;
                    layer.bindTooltip(tooltip(props), {sticky: true});
                    layer.on('click', function () { select(id, false); });
                  }
                }).addTo(map);
              } catch (e) {
                var msg = document.createElement('div');
                msg.className = 'map-message';
                msg.textContent = '地图数据无法读取 The map data could not be read: ' + e.message;
                mapEl.appendChild(msg);
              }
              var legend = L.control({position: 'bottomright'});
              legend.onAdd = function () {
                var el = L.DomUtil.create('div', 'legend');
                Object.keys(cfg.labels).forEach(function (code) {
                  var row = document.createElement('div');
                  var sw = document.createElement('span');
                  sw.className = 'swatch';
                  sw.style.background = colour(code);
                  row.appendChild(sw);
                  row.appendChild(document.createTextNode(cfg.labels[code]));
                  el.appendChild(row);
                });
                return el;
              };
              legend.addTo(map);
              var parcelBounds = parcels && parcels.getLayers().length ? parcels.getBounds() : null;
              if (parcelBounds && parcelBounds.isValid()) {
                map.fitBounds(parcelBounds, {padding: [24, 24], maxZoom: 18});
              } else if (imageBounds) {
                map.fitBounds(imageBounds);
              } else {
                map.setView([35, 105], 4);
              }

              // ---- linking rows and parcels ----
              function rowOf(id) {
                var rows = table.tBodies[0].rows;
                for (var i = 0; i < rows.length; i++) {
                  if (rows[i].getAttribute('data-parcel') === id) {
                    return rows[i];
                  }
                }
                return null;
              }
              function select(id, fromTable) {
                var rows = table.querySelectorAll('tbody tr.selected');
                for (var i = 0; i < rows.length; i++) {
                  rows[i].classList.remove('selected');
                }
                var row = rowOf(id);
                if (row) {
                  row.classList.add('selected');
                  if (!fromTable) {
                    row.scrollIntoView({block: 'nearest'});
                  }
                }
                if (selectedLayer && parcels) {
                  parcels.resetStyle(selectedLayer);
                }
                selectedLayer = byId[id] || null;
                if (selectedLayer) {
                  selectedLayer.setStyle({weight: 4, fillOpacity: 0.1});
                  selectedLayer.bringToFront();
                }
                if (fromTable) {
                  if (selectedLayer && selectedLayer.getBounds) {
                    map.fitBounds(selectedLayer.getBounds(), {padding: [40, 40], maxZoom: 18});
                  } else if (row && row.hasAttribute('data-lat')) {
                    map.setView([parseFloat(row.getAttribute('data-lat')), parseFloat(row.getAttribute('data-lon'))], 17);
                  }
                  mapEl.scrollIntoView({block: 'nearest'});
                }
              }
              function onRow(e) {
                var row = e.target.closest('tbody tr');
                if (row && (e.type === 'click' || e.key === 'Enter')) {
                  select(row.getAttribute('data-parcel'), true);
                }
              }
              table.tBodies[0].addEventListener('click', onRow);
              table.tBodies[0].addEventListener('keydown', onRow);

              // ---- sorting ----
              var headers = table.tHead.rows[0].cells;
              function sortBy(col) {
                var th = headers[col];
                var ascending = th.getAttribute('aria-sort') !== 'ascending';
                var numeric = th.getAttribute('data-type') === 'num';
                for (var i = 0; i < headers.length; i++) {
                  if (headers[i].hasAttribute('aria-sort')) {
                    headers[i].setAttribute('aria-sort', 'none');
                  }
                }
                th.setAttribute('aria-sort', ascending ? 'ascending' : 'descending');
                var body = table.tBodies[0];
                var keyed = Array.prototype.map.call(body.rows, function (row, index) {
                  var cell = row.cells[col];
                  var v = numeric ? cell.getAttribute('data-v') : cell.textContent;
                  return {row: row, index: index, key: numeric ? (v === '' || v === null ? NaN : parseFloat(v)) : v};
                });
                keyed.sort(function (a, b) {
                  var d;
                  if (numeric) {
                    // Blanks go last whichever way the column is sorted.
                    if (isNaN(a.key) || isNaN(b.key)) {
                      return isNaN(a.key) === isNaN(b.key) ? a.index - b.index : (isNaN(a.key) ? 1 : -1);
                    }
                    d = a.key - b.key;
                  } else {
                    d = collator.compare(a.key, b.key);
                  }
                  return (ascending ? d : -d) || a.index - b.index;
                });
                var frag = document.createDocumentFragment();
                keyed.forEach(function (k) { frag.appendChild(k.row); });
                body.appendChild(frag);
              }
              Array.prototype.forEach.call(headers, function (th, col) {
                if (!th.hasAttribute('data-type')) {
                  return;
                }
                th.addEventListener('click', function () { sortBy(col); });
                th.addEventListener('keydown', function (e) {
                  if (e.key === 'Enter' || e.key === ' ') {
                    e.preventDefault();
                    sortBy(col);
                  }
                });
              });
              mapEl.setAttribute('data-ready', 'true');
            })();
            """;
}
