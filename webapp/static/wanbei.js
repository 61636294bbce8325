/* wanbei.js — the map's core: fetch each layer once, draw it, popups, legend. Defines `wanbei`.
 *
 * Modules (each file extends window.wanbei; the page loads them in this order):
 *   wanbei.js     the namespace, layers and drawing (this file)
 *   lean.js       wanbei.lean: big point layers, drawn lean on one canvas
 *   coords.js     wanbei.coords: WGS84 ⇄ GCJ-02
 *   basemaps.js   wanbei.basemaps: offline / OSM / Tianditu / Gaode, and the datum overlays use
 *   furniture.js  wanbei.furniture: fullscreen, whole network, cursor coordinates, mini map,
 *                 clustering
 *   officials.js  wanbei.initOfficials: focus a pair, search, filters, year slider, statistics,
 *                 the URL; calls the other modules' init
 *   export.js     wanbei.exporter: PNG and A4 PDF of the current view
 *   permalink.js  wanbei.initPermalink: the URL follows the view (centre, zoom, layers, lang)
 *   embed.js      the embeddable map (/embed) and the embed builder of the main map
 *
 * Each layer's GeoJSON is fetched once and kept; `wanbei.redraw()` draws it again through the
 * current view: `view.project` (WGS84 → the basemap's datum), `view.filter` (filters and years)
 * and `view.classes` (focus, dimming, undated). A point layer with more than CANVAS_ABOVE
 * features comes lean instead (/api/lean/<id>.json: ids, points and the properties the view
 * reads) and is drawn on one canvas; its popups are fetched when opened, from the OGC API on a
 * zh-Hans page, from /api/layers/<id>/items/<fid>.json?lang= in the other languages (see
 * lean.js). Text from the data is always set with
 * textContent (never innerHTML), so names and sources show as text whatever they contain.
 */
(function (global) {
  "use strict";

  var wanbei = {
    layers: {}, // id -> {count, loaded, error}
    expected: 0,
    groups: [], // [{group, id}]
    map: null,
    entries: {}, // id -> {cfg, group, data, features: {featureId: Leaflet layer}, shown}
    view: {
      project: function (lon, lat) { return [lon, lat]; },
      filter: function () { return true; },
      classes: function () { return ""; },
      cluster: function () { return null; },
      // the geometry a layer is drawn with (arcs.js curves the pairings); the data stays as is
      shape: function (cfg, data) { return data; },
    },
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

  wanbei.dom = { el: el, svg: svg };

  // An interface word in the page's language: the page lists them (templates/_messages.html,
  // translated by the app's message catalogs); a word it does not list stays Chinese. Each
  // `{name}` in it is replaced by `values[name]`: wanbei.t("{n} 年", {n: 2030}).
  var messages = null;
  wanbei.t = function (zh, values) {
    if (messages === null) {
      var node = document.getElementById("wb-messages");
      messages = node ? JSON.parse(node.getAttribute("data-messages")) : {};
    }
    var out = Object.prototype.hasOwnProperty.call(messages, zh) ? messages[zh] : zh;
    if (!values) return out;
    return out.replace(/\{(\w+)\}/g, function (whole, name) {
      return Object.prototype.hasOwnProperty.call(values, name) ? String(values[name]) : whole;
    });
  };

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
    var extra = wanbei.view.classes(cfg, feature);
    if (extra) cls += " " + extra;
    style.className = cls;
    style.pane = cfg.pane;
    return style;
  }
  wanbei.styleFor = styleFor;

  // An amount in 亿元 (100 million yuan) as the page's language writes it: "21.6 亿元"; in English
  // in billions or millions of yuan ("2.16 billion yuan"), as layers.i18n.money does.
  wanbei.money = function (yi) {
    if (document.documentElement.lang === "en") {
      var yuan = yi * 1e8, billions = yuan >= 1e9;
      var n = (billions ? yuan / 1e9 : yuan / 1e6).toLocaleString("en", { maximumFractionDigits: 2 });
      return n + (billions ? " billion yuan" : " million yuan");
    }
    return wanbei.t("{n} 亿元", { n: yi.toLocaleString("zh-CN") });
  };

  function formatValue(cfg, field, value) {
    var labels = cfg.values[field.name];
    if (labels && Object.prototype.hasOwnProperty.call(labels, value)) {
      return labels[value];
    }
    if (field.kind === "money" && typeof value === "number") return wanbei.money(value);
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
  wanbei.sourceNode = sourceNode;

  function popupFor(cfg, feature) {
    var props = feature.properties || {};
    var box = el("div", "wb-popup");
    box.appendChild(el("div", "wb-popup-layer", cfg.title));
    var table = el("table");
    cfg.popup.forEach(function (field) {
      var value = props[field.name];
      var missing = value === null || value === undefined || value === "";
      if (missing && !field.unknown) return;
      var tr = el("tr");
      tr.appendChild(el("th", null, field.label));
      var td = el("td");
      if (missing) {
        td.appendChild(el("span", "wb-unknown", field.unknown));
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
  wanbei.popupFor = popupFor;

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
    if (style.arrow === false) return; // an undirected line of a directed layer (the G60 band)
    var angle = bearing(a, b);
    var head = el("div", "wb-arrow-head");
    head.style.transform = "rotate(" + angle.toFixed(1) + "deg)";
    head.style.borderLeftColor = style.color;
    var extra = wanbei.view.classes(cfg, feature);
    var icon = L.divIcon({ className: "wb-arrow wb-arrow-" + cfg.id + (extra ? " " + extra : ""),
                           html: head, iconSize: [12, 12], iconAnchor: [6, 6] });
    var marker = L.marker(mid, { icon: icon, interactive: false, keyboard: false });
    marker.wbArrow = { angle: angle, color: style.color, feature: feature };
    layer.wbArrow = marker;
    group.addLayer(marker);
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
      ctl.onAdd = function () {
        var box = el("div", "wb-status");
        box.setAttribute("role", "status");
        return box;
      };
      ctl.addTo(map);
      map._wanbeiStatus = ctl.getContainer();
    }
    return map._wanbeiStatus;
  }

  // Show a message in the status box at the bottom left; `key` replaces an earlier one.
  wanbei.notify = function (text, key) {
    var box = status(wanbei.map);
    var old = key ? box.querySelector("[data-key='" + key + "']") : null;
    if (old) old.remove();
    if (!text) return;
    var line = el("div", null, text);
    if (key) line.setAttribute("data-key", key);
    box.appendChild(line);
  };

  function emit(name, detail) {
    document.dispatchEvent(new CustomEvent(name, { detail: detail }));
  }
  wanbei.emit = emit;

  // Someone who asks for less motion (the system's "reduce motion" setting) gets the map's
  // flights as jumps: the same view, at once. `options` of setView, fitBounds, flyTo…
  var still = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)");
  wanbei.motion = function (options) {
    return still && still.matches ? Object.assign({}, options, { animate: false }) : options;
  };

  function finished(cfg, record) {
    wanbei.layers[cfg.id] = record;
    emit("wanbei:layer", { id: cfg.id });
    var done = Object.keys(wanbei.layers).filter(function (k) {
      return wanbei.layers[k].loaded || wanbei.layers[k].error;
    }).length;
    if (done === wanbei.expected) {
      document.documentElement.setAttribute("data-wanbei-ready", "1");
      emit("wanbei:ready", {});
    }
  }

  // URLs of the map's config are relative to map.js (in a static export, a page one folder
  // down loads ../map.js): resolve them against that script, not the page.
  wanbei.url = function (url) {
    return new URL(url, wanbei.base || document.baseURI).href;
  };

  // A promise of the JSON at `url` (resolved by wanbei.url); an HTTP error rejects it.
  wanbei.getJSON = function (url) {
    return fetch(wanbei.url(url), { headers: { Accept: "application/json" } }).then(function (r) {
      if (!r.ok) throw new Error(url + ": HTTP " + r.status);
      return r.json();
    });
  };

  wanbei.initMap = function (map) {
    wanbei.map = map;
    wanbei.base = (document.currentScript && document.currentScript.src) || document.baseURI;
    map.createPane("basemap").style.zIndex = 250;
    map.getContainer().classList.add("wb-map");
    var update = function () {
      map.getContainer().classList.toggle("wb-show-labels", map.getZoom() >= 7);
    };
    map.on("zoomend", update);
    update();
    map.attributionControl.setPrefix(false);
    map.on("overlayadd overlayremove", function () { wanbei.syncLegend(map); });
  };

  // A point layer with more features than this is drawn on one canvas instead of one SVG node
  // per point (100,000 SVG nodes take seconds to build and to pan); the shipped data stays SVG.
  wanbei.CANVAS_ABOVE = 2000;

  function rendererFor(entry) {
    if (entry.cfg.geometry !== "point" || entry.data.features.length <= wanbei.CANVAS_ABOVE) {
      return null;
    }
    if (!entry.canvas) entry.canvas = L.canvas({ pane: entry.cfg.pane, padding: 0.2 });
    return entry.canvas;
  }


  // Draw (again) one loaded layer through the current view.
  function draw(id) {
    var entry = wanbei.entries[id];
    if (!entry || !entry.data) return;
    if (entry.lean) return wanbei.lean.draw(entry);
    var cfg = entry.cfg, group = entry.group;
    var renderer = rendererFor(entry);
    group.clearLayers();
    entry.features = {};
    var shown = 0;
    var project = wanbei.view.project;
    var layer = L.geoJSON(wanbei.view.shape(cfg, entry.data), {
      filter: function (feature) { return wanbei.view.filter(cfg, feature); },
      coordsToLatLng: function (c) {
        var p = project(c[0], c[1]);
        return L.latLng(p[1], p[0]);
      },
      style: function (feature) { return styleFor(cfg, feature); },
      pointToLayer: function (feature, latlng) {
        var style = styleFor(cfg, feature);
        if (renderer) style.renderer = renderer;
        return L.circleMarker(latlng, style);
      },
      onEachFeature: function (feature, sub) {
        shown += 1;
        if (feature.id !== undefined) entry.features[feature.id] = sub;
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
        sub.on("click", function () { emit("wanbei:click", { layer: cfg.id, feature: feature }); });
      },
    });
    var cluster = cfg.geometry === "point" ? wanbei.view.cluster(cfg) : null;
    if (cluster) {
      cluster.addLayers(layer.getLayers());
      group.addLayer(cluster);
    } else {
      group.addLayer(layer);
    }
    entry.cluster = cluster;
    entry.shown = shown;
  }

  // Draw again the given layers (all loaded ones by default) and tell the modules.
  wanbei.redraw = function (ids) {
    (ids || Object.keys(wanbei.entries)).forEach(draw);
    emit("wanbei:drawn", {});
  };

  // The classes `view.classes` may return: restyle() takes them off before setting the new ones.
  wanbei.VIEW_CLASSES = ["wb-focus", "wb-dim", "wb-focus-area", "wb-undated"];

  function setViewClasses(node, extra) {
    if (!node) return;
    wanbei.VIEW_CLASSES.forEach(function (c) { node.classList.remove(c); });
    extra.split(" ").forEach(function (c) { if (c) node.classList.add(c); });
  }

  // Set the view's classes again on what is drawn, without drawing it again.
  wanbei.restyle = function () {
    Object.keys(wanbei.entries).forEach(function (id) {
      var entry = wanbei.entries[id];
      if (!entry.data) return;
      if (entry.lean) return wanbei.lean.restyle(entry);
      entry.data.features.forEach(function (feature) {
        var sub = entry.features[feature.id];
        if (!sub) return;
        sub.options.className = styleFor(entry.cfg, feature).className;
        var extra = wanbei.view.classes(entry.cfg, feature);
        setViewClasses(sub.getElement && sub.getElement(), extra);
        if (sub.wbArrow) setViewClasses(sub.wbArrow.getElement(), extra);
      });
    });
  };

  wanbei.loadLayer = function (map, group, cfg) {
    wanbei.expected += 1;
    wanbei.layers[cfg.id] = { count: 0, loaded: false, error: null };
    wanbei.groups.push({ group: group, id: cfg.id });
    wanbei.entries[cfg.id] = { cfg: cfg, group: group, data: null, features: {}, shown: 0 };
    fetch(wanbei.url(cfg.url), { headers: { Accept: "application/geo+json" } })
      .then(function (response) {
        if (!response.ok) throw new Error("HTTP " + response.status);
        return response.json();
      })
      .then(function (data) {
        var entry = wanbei.entries[cfg.id];
        if (data && data.type === wanbei.LEAN_TYPE) {
          entry.lean = wanbei.lean.decode(data);
          data = { type: "FeatureCollection", features: entry.lean.features };
        }
        entry.data = data;
        draw(cfg.id);
        finished(cfg, { count: data.features.length, loaded: true, error: null });
      })
      .catch(function (err) {
        status(map).appendChild(el("div", null, "“" + cfg.title + "” " + wanbei.t("加载失败") + ": " + err.message));
        finished(cfg, { count: 0, loaded: false, error: String(err.message) });
      });
  };

  // The drawn Leaflet layer of one feature (undefined when it is filtered out).
  wanbei.featureLayer = function (layerId, featureId) {
    var entry = wanbei.entries[layerId];
    if (entry && entry.lean) {
      var i = wanbei.lean.position(entry.lean, featureId);
      return i !== undefined && entry.lean.shown[i] ? wanbei.lean.handle(entry, i) : undefined;
    }
    return entry ? entry.features[featureId] : undefined;
  };

  // Fly to one drawn feature and open its popup (inside a cluster: zoom until it shows).
  wanbei.openFeature = function (layerId, featureId) {
    var map = wanbei.map, entry = wanbei.entries[layerId];
    var sub = wanbei.featureLayer(layerId, featureId);
    if (!sub) return false;
    var group = entry.group;
    if (!map.hasLayer(group)) map.addLayer(group);
    var open = function () { sub.openPopup(); };
    if (entry.cluster && entry.cluster.hasLayer(sub)) {
      // markercluster's zoomToShowLayer waits for an icon, which circle markers have not:
      // fly there, then spread the cluster that still holds the point (if any).
      var cluster = entry.cluster;
      open = function () {
        var parent = cluster.getVisibleParent(sub);
        if (parent && parent !== sub && parent.spiderfy) {
          cluster.once("spiderfied", function () { sub.openPopup(); });
          parent.spiderfy();
        } else {
          sub.openPopup();
        }
      };
    }
    var how = wanbei.motion({ maxZoom: 9, duration: 0.6, padding: [40, 40] });
    if (sub.getLatLng) map.flyTo(sub.getLatLng(), Math.max(map.getZoom(), 9), how);
    else map.flyToBounds(sub.getBounds(), how);
    // a jump (wanbei.motion) has landed already; a flight lands at its moveend
    if (how.animate === false) open();
    else map.once("moveend", open);
    return true;
  };

  // Show one layer (if hidden) and fit the map to what it draws.
  wanbei.showLayer = function (layerId) {
    var map = wanbei.map, entry = wanbei.entries[layerId];
    if (!entry) return false;
    if (!map.hasLayer(entry.group)) map.addLayer(entry.group);
    var bounds = null;
    entry.group.eachLayer(function (layer) {
      var b = layer.getBounds ? layer.getBounds() : null;
      if (b && b.isValid()) bounds = bounds ? bounds.extend(b) : L.latLngBounds(b.getSouthWest(), b.getNorthEast());
    });
    if (bounds) wanbei.fitFree(bounds, { maxZoom: 9, duration: 0.6 }, true);
    emit("wanbei:show-layer", { id: layerId });
    return true;
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
        "stroke-dasharray": s.dashArray || "none",
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

  // A legend row's words: its name, and the explanation after the name's colon (shown by the
  // legend's "more" button, so that the legend stays short and the map keeps its room).
  function legendText(title) {
    var span = el("span", "wb-legend-text");
    var m = /^([^:：]{1,40}?)([:：])(.+)$/.exec(title);
    if (!m) {
      span.textContent = title;
      return span;
    }
    span.appendChild(el("span", "wb-legend-name", m[1]));
    span.appendChild(el("span", "wb-legend-more", m[2] + m[3]));
    return span;
  }

  wanbei.addLegend = function (map, cfg) {
    wanbei.legend = cfg;
    var ctl = L.control({ position: "bottomright" });
    ctl.onAdd = function () {
      var box = el("div", "wb-legend leaflet-bar");
      box.setAttribute("role", "region");
      box.setAttribute("aria-label", cfg.title);
      box.appendChild(el("div", "wb-legend-title", cfg.title));
      var rows = el("div", "wb-legend-rows");
      box.appendChild(rows);
      cfg.items.forEach(function (item) {
        var row = el("div", "wb-legend-row");
        row.setAttribute("data-layer", item.layer);
        row.appendChild(swatch(item));
        row.appendChild(legendText(item.title));
        rows.appendChild(row);
      });
      // the style a feature without a date takes while a year filter is on (officials.js)
      var undated = el("div", "wb-legend-row wb-legend-undated");
      undated.appendChild(swatch({ geometry: "point", style: { radius: 5, color: "#555", weight: 1.5,
                                                             fillColor: "#555", fillOpacity: 0.2,
                                                             dashArray: "2 3" } }));
      undated.appendChild(el("span", "wb-legend-text", wanbei.t("无日期(筛选年份时空心/虚线)")));
      rows.appendChild(undated);
      if (box.querySelector(".wb-legend-more")) {
        var more = el("button", "wb-legend-toggle", wanbei.t("更多说明"));
        more.type = "button";
        more.setAttribute("aria-expanded", "false");
        more.addEventListener("click", function (e) {
          L.DomEvent.stop(e);
          var open = box.classList.toggle("wb-legend-explained");
          more.setAttribute("aria-expanded", open ? "true" : "false");
        });
        rows.appendChild(more);  // in the rows' grid: no line of its own
      }
      L.DomEvent.disableClickPropagation(box);
      return box;
    };
    ctl.addTo(map);
    map._wanbeiLegend = ctl.getContainer();
    wanbei.syncLegend(map);
  };

  global.wanbei = wanbei;
})(window);
