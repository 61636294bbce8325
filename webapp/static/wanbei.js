/* wanbei.js — the map's core: fetch each layer once, draw it, popups, legend. Defines `wanbei`.
 *
 * Modules (each file extends window.wanbei; the page loads them in this order):
 *   wanbei.js     the namespace, layers and drawing (this file)
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
 * "big point layers" below). Text from the data is always set with
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
  wanbei.sourceNode = sourceNode;

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

  // --- big point layers: lean payload, one canvas -------------------------------------------------
  // A point layer above CANVAS_ABOVE features comes from /api/lean/<id>.json (layers/lean.py):
  // ids, coordinates and the properties the map styles and filters on, in columns. Its features
  // become light objects {id, properties} in entry.data.features (so the filters, counts and
  // tables read them as any other) and are drawn by one LeanCanvas: the points in view, in one
  // pass per style, hit-tested on click and hover. A popup fetches the whole feature (itemUrl:
  // the OGC API's item, or the localized item of the page's language). The export's image
  // paints the same points again (wanbei.paintLeanView). Clustering is not offered for such a
  // layer.

  wanbei.LEAN_TYPE = "wanbei.lean";

  function column(spec, i) {
    return spec.list ? spec.list[i] : spec.values[spec.codes[i]];
  }

  function decodeLean(data) {
    var n = data.ids.length, names = Object.keys(data.properties || {});
    var cols = names.map(function (k) { return data.properties[k]; });
    var features = new Array(n);
    for (var i = 0; i < n; i++) {
      var props = {};
      for (var k = 0; k < names.length; k++) props[names[k]] = column(cols[k], i);
      features[i] = { type: "Feature", id: data.ids[i], properties: props };
    }
    return {
      n: n,
      lon: Float64Array.from(data.lon, function (v) { return v === null ? NaN : v; }),
      lat: Float64Array.from(data.lat, function (v) { return v === null ? NaN : v; }),
      features: features,
      index: null, // feature id -> position (built on first use)
      shown: new Uint8Array(n),
      flags: new Uint8Array(n),
      px: null, py: null, projectedWith: null, // zoom-0 pixel coordinates in the view's datum
      full: {}, // position -> the whole feature, once fetched for a popup
    };
  }

  var DIM = 1, UNDATED = 2, FOCUS = 4;

  function flagsOf(extra) {
    var f = 0;
    if (!extra) return f;
    if (extra.indexOf("wb-dim") >= 0) f |= DIM;
    if (extra.indexOf("wb-undated") >= 0) f |= UNDATED;
    if (/(^| )wb-focus( |$)/.test(extra)) f |= FOCUS;
    return f;
  }

  function leanPosition(lean, featureId) {
    if (!lean.index) {
      lean.index = new Map();
      lean.features.forEach(function (f, i) { lean.index.set(String(f.id), i); });
    }
    return lean.index.get(String(featureId));
  }

  function leanLatLng(lean, i) {
    var p = wanbei.view.project(lean.lon[i], lean.lat[i]);
    return L.latLng(p[1], p[0]);
  }

  // The whole feature for a popup: the OGC API's item (canonical, Simplified Chinese) on a
  // zh-Hans page; on an English or Traditional page the map's localized item
  // (/api/layers/<id>/items/<fid>.json?lang=), with the data version of the layer's URL.
  function itemUrl(cfg, featureId) {
    if (cfg.lang && cfg.lang !== "zh-Hans") {
      var version = new URL(wanbei.url(cfg.url)).searchParams.get("v");
      return wanbei.url("api/layers/" + encodeURIComponent(cfg.id) + "/items/" +
        encodeURIComponent(featureId) + ".json?lang=" + encodeURIComponent(cfg.lang) +
        (version ? "&v=" + encodeURIComponent(version) : ""));
    }
    return wanbei.url("ogc/collections/" + encodeURIComponent(cfg.id) + "/items/" +
      encodeURIComponent(featureId) + "?f=json");
  }

  // Open the popup of position i: the whole feature is fetched (once, see itemUrl).
  function openLeanPopup(entry, i, latlng) {
    var cfg = entry.cfg, lean = entry.lean, feature = lean.features[i];
    var popup = L.popup({ maxWidth: 360 }).setLatLng(latlng || leanLatLng(lean, i));
    var show = function (full) { popup.setContent(popupFor(cfg, full)); };
    if (lean.full[i]) {
      show(lean.full[i]);
    } else {
      popup.setContent(el("div", "wb-popup wb-popup-loading", wanbei.t("加载中…")));
      fetch(itemUrl(cfg, feature.id), { headers: { Accept: "application/geo+json" } })
        .then(function (response) {
          if (!response.ok) throw new Error("HTTP " + response.status);
          return response.json();
        })
        .then(function (full) {
          lean.full[i] = full;
          show(full);
        })
        .catch(function (err) {
          popup.setContent(el("div", "wb-popup wb-popup-error",
            "“" + cfg.title_zh + "” " + wanbei.t("加载失败") + ": " + err.message));
        });
    }
    popup.openOn(wanbei.map);
    return popup;
  }

  // A stand-in for the Leaflet layer of a drawn lean feature (wanbei.featureLayer).
  function leanHandle(entry, i) {
    return {
      lean: true,
      feature: entry.lean.features[i],
      getLatLng: function () { return leanLatLng(entry.lean, i); },
      openPopup: function () { openLeanPopup(entry, i); },
    };
  }

  // One canvas that draws every shown point of one lean layer that is in view.
  var LeanCanvas = L.Canvas.extend({
    initialize: function (entry, options) {
      L.Canvas.prototype.initialize.call(this, options);
      this._entry = entry;
      this.on("update", this._paint, this);
    },

    // A canvas added again (its layer shown again) is a new, blank one: paint it.
    onRemove: function () {
      this._paintedKey = null;
      L.Canvas.prototype.onRemove.call(this);
    },

    // No Leaflet paths live here: Leaflet's path drawing (which clears the canvas) is off.
    _updatePaths: function () {},
    _redraw: function () {},
    _draw: function () {},

    _paint: function () {
      if (!this._map || !this._ctx) return;
      var entry = this._entry, map = this._map, b = this._bounds;
      projectLean(entry.lean, map.options.crs);
      var scale = map.options.crs.scale(map.getZoom()) / map.options.crs.scale(0);
      this._ctx.clearRect(b.min.x, b.min.y, b.max.x - b.min.x, b.max.y - b.min.y);
      this._drawn = paintLean(entry, this._ctx, scale, map.getPixelOrigin(), b,
                              window.devicePixelRatio || 1);
      entry.painted = this._drawn.i.length;
      entry.paints = (entry.paints || 0) + 1;
    },

    // Size, place and paint the canvas, unless it already shows this view as it is.
    _update: function () {
      var map = this._map;
      if (map._animatingZoom && this._bounds) return;
      var size = map.getSize(), p = this.options.padding;
      var min = map.containerPointToLayerPoint(size.multiplyBy(-p)).round();
      var key = [min.x, min.y, size.x, size.y, map.getZoom(), this._dirty].join(" ");
      if (key === this._paintedKey) return;
      this._paintedKey = key;
      L.Canvas.prototype._update.call(this);
    },

    // Repaint (the filters, focus or datum changed); the canvas keeps its place.
    repaint: function () {
      this._dirty = (this._dirty || 0) + 1;
      if (this._map && this._ctx) {
        this._update();
      }
    },

    // The position of the topmost drawn point under a layer point, or -1.
    _hit: function (point) {
      var d = this._drawn;
      if (!d) return -1;
      var style = this._entry.cfg.style;
      var r = (style.radius || 5) + (style.weight || 1) / 2 + 2, r2 = r * r;
      for (var k = d.i.length - 1; k >= 0; k--) {
        var dx = d.x[k] - point.x, dy = d.y[k] - point.y;
        if (dx * dx + dy * dy <= r2) return d.i[k];
      }
      return -1;
    },

    _onClick: function (e) {
      var map = this._map;
      var hit = e.type === "click" && !map._draggableMoved(map);
      var i = hit ? this._hit(map.mouseEventToLayerPoint(e)) : -1;
      L.Canvas.prototype._onClick.call(this, e); // the map's own click (closes other popups)
      if (i < 0) return;
      var entry = this._entry;
      openLeanPopup(entry, i, leanLatLng(entry.lean, i));
      emit("wanbei:click", { layer: entry.cfg.id, feature: entry.lean.features[i] });
    },

    _onMouseMove: function (e) {
      var map = this._map;
      if (!map || map._animatingZoom || (map.dragging && map.dragging.moving())) return;
      var i = this._hit(map.mouseEventToLayerPoint(e));
      if (i === this._hovered) return;
      this._hovered = i;
      this._container.classList.toggle("leaflet-interactive", i >= 0);
      this._tooltip(i);
    },

    _handleMouseOut: function () {
      this._hovered = -1;
      if (this._container) this._container.classList.remove("leaflet-interactive");
      this._tooltip(-1);
    },

    _tooltip: function (i) {
      var entry = this._entry, map = this._map;
      if (this._tip) {
        map.removeLayer(this._tip);
        this._tip = null;
      }
      var name = i >= 0 ? entry.lean.features[i].properties[entry.cfg.tooltip] : null;
      if (name === null || name === undefined || name === "") return;
      this._tip = L.tooltip({ direction: "top", offset: [0, -6], className: "wb-lean-tip" })
        .setLatLng(leanLatLng(entry.lean, i))
        .setContent(el("span", null, name));
      this._tip.addTo(map);
    },
  });

  // Zoom-0 pixel coordinates of every point in the current datum (again when it changes).
  function projectLean(lean, crs) {
    var project = wanbei.view.project;
    if (lean.projectedWith === project && lean.px) return;
    lean.px = new Float64Array(lean.n);
    lean.py = new Float64Array(lean.n);
    for (var i = 0; i < lean.n; i++) {
      var x = lean.lon[i], y = lean.lat[i];
      if (isNaN(x) || isNaN(y)) { lean.px[i] = NaN; continue; }
      var p = project(x, y);
      var q = crs.latLngToPoint(L.latLng(p[1], p[0]), 0);
      lean.px[i] = q.x;
      lean.py[i] = q.y;
    }
    lean.projectedWith = project;
  }

  // Paint the shown points of a lean layer that fall in `box` (at zoom-0 pixels × `scale` −
  // `origin`) on ctx, one sprite per style (sprites of `ratio` device pixels per unit), the
  // dimmed first and the focused last; returns where each drawn point is ({x, y, i}).
  function paintLean(entry, ctx, scale, origin, box, ratio) {
    var lean = entry.lean, cfg = entry.cfg;
    // styles: [variant index][flags] -> positions, drawn dimmed first and focused last
    var groups = {}, keys = [];
    var drawnX = [], drawnY = [], drawnI = [];
    var variants = cfg.variants || [];
    var radius = Math.max(cfg.style.radius || 5, 2) + (cfg.style.weight || 1);
    for (var i = 0; i < lean.n; i++) {
      if (!lean.shown[i]) continue;
      var x = lean.px[i] * scale - origin.x, y = lean.py[i] * scale - origin.y;
      if (!(x >= box.min.x - radius && x <= box.max.x + radius && y >= box.min.y - radius &&
            y <= box.max.y + radius)) continue;
      var v = variants.length ? variantIndex(cfg, lean.features[i].properties) : -1;
      var key = (v + 1) * 8 + lean.flags[i];
      if (!groups[key]) { groups[key] = []; keys.push(key); }
      groups[key].push(x, y);
      drawnX.push(x);
      drawnY.push(y);
      drawnI.push(i);
    }
    var rank = function (key) {
      var f = key % 8;
      return (f & DIM ? 0 : 2) + (f & FOCUS ? 1 : 0);
    };
    keys.sort(function (a, c) { return rank(a) - rank(c) || a - c; });
    keys.forEach(function (key) {
      var v = Math.floor(key / 8) - 1, f = key % 8;
      var style = Object.assign({}, cfg.style, v >= 0 ? variants[v].style : {});
      paintGroup(ctx, groups[key], style, f, ratio);
    });
    return { x: Float64Array.from(drawnX), y: Float64Array.from(drawnY),
             i: Uint32Array.from(drawnI) };
  }

  // Paint the shown points of a visible lean layer that are in the map's view on ctx, in the
  // map container's coordinates, as its canvas draws them (the export's image: export.js);
  // `ratio` is the device pixels per unit of ctx. Returns how many points were painted.
  wanbei.paintLeanView = function (id, ctx, ratio) {
    var entry = wanbei.entries[id], map = wanbei.map;
    if (!entry || !entry.lean || !map.hasLayer(entry.group)) return 0;
    var crs = map.options.crs, size = map.getSize();
    projectLean(entry.lean, crs);
    var scale = crs.scale(map.getZoom()) / crs.scale(0);
    // container point = layer point + the map pane's offset
    var origin = map.getPixelOrigin().add(map.containerPointToLayerPoint([0, 0]));
    var box = L.bounds([0, 0], [size.x, size.y]);
    return paintLean(entry, ctx, scale, origin, box, ratio).i.length;
  };

  function variantIndex(cfg, props) {
    for (var i = 0; i < cfg.variants.length; i++) {
      var v = cfg.variants[i];
      if (props && String(props[v.prop]) === v.value) return i;
    }
    return -1;
  }

  // One point of a style, drawn once on a small canvas and then copied for every point (one
  // path of 100,000 circles takes the rasteriser seconds; 100,000 copies of an image do not).
  var sprites = {};

  function spriteFor(style, flags, ratio) {
    var key = JSON.stringify(style) + "|" + flags + "|" + ratio;
    if (sprites[key]) return sprites[key];
    var r = style.radius || 5, w = (style.weight || 1) + (flags & FOCUS ? 1 : 0);
    var half = Math.ceil(r + w / 2 + 1), size = 2 * half;
    var canvas = document.createElement("canvas");
    canvas.width = canvas.height = Math.ceil(size * ratio);
    var ctx = canvas.getContext("2d");
    ctx.scale(ratio, ratio);
    ctx.globalAlpha = flags & DIM ? 0.15 : 1;
    ctx.beginPath();
    ctx.arc(half, half, r, 0, 2 * Math.PI);
    var base = ctx.globalAlpha;
    if (style.fill !== false) {
      var fillOpacity = style.fillOpacity === undefined ? 0.2 : style.fillOpacity;
      ctx.fillStyle = style.fillColor || style.color || "#3388ff";
      ctx.globalAlpha = base * (flags & UNDATED ? 0.2 : fillOpacity);
      ctx.fill();
    }
    if (style.stroke !== false && w > 0) {
      ctx.strokeStyle = style.color || "#3388ff";
      ctx.lineWidth = w;
      ctx.globalAlpha = base * (style.opacity === undefined ? 1 : style.opacity);
      if (flags & UNDATED) ctx.setLineDash([2, 3]);
      ctx.stroke();
    }
    sprites[key] = { canvas: canvas, half: half, size: size };
    return sprites[key];
  }

  // Copy the sprite of a style at every point of xy (whole pixels: a plain copy, and a point on
  // the pixel of one already drawn in the same style is skipped).
  function paintGroup(ctx, xy, style, flags, ratio) {
    var sprite = spriteFor(style, flags, ratio);
    var img = sprite.canvas, h = sprite.half, size = sprite.size;
    var scaled = img.width !== size, seen = new Set();
    for (var k = 0; k < xy.length; k += 2) {
      var x = Math.round(xy[k]) - h, y = Math.round(xy[k + 1]) - h, key = x * 1e6 + y;
      if (seen.has(key)) continue;
      seen.add(key);
      if (scaled) ctx.drawImage(img, x, y, size, size);
      else ctx.drawImage(img, x, y);
    }
  }

  // Filter and style every feature of a lean layer through the current view, then paint.
  function drawLean(entry) {
    var cfg = entry.cfg, lean = entry.lean, group = entry.group, view = wanbei.view;
    var shown = 0;
    for (var i = 0; i < lean.n; i++) {
      var f = lean.features[i];
      var ok = !isNaN(lean.lon[i]) && view.filter(cfg, f);
      lean.shown[i] = ok ? 1 : 0;
      if (!ok) continue;
      shown += 1;
      lean.flags[i] = flagsOf(view.classes(cfg, f));
    }
    if (!entry.canvas) entry.canvas = new LeanCanvas(entry, { pane: cfg.pane, padding: 0.2 });
    if (!group.hasLayer(entry.canvas)) {
      group.clearLayers();
      group.addLayer(entry.canvas);
    } else {
      entry.canvas.repaint();
    }
    entry.features = {};
    entry.cluster = null;
    entry.shown = shown;
    var clustered = cfg.geometry === "point" && view.cluster(cfg);
    wanbei.notify(clustered
      ? wanbei.t("“{layer}”有 {n} 个要素,不聚合显示", { layer: cfg.title_zh, n: lean.n })
      : "", "lean-cluster-" + cfg.id);
  }

  function restyleLean(entry) {
    var cfg = entry.cfg, lean = entry.lean;
    for (var i = 0; i < lean.n; i++) {
      if (lean.shown[i]) lean.flags[i] = flagsOf(wanbei.view.classes(cfg, lean.features[i]));
    }
    if (entry.canvas) entry.canvas.repaint();
  }

  // Draw (again) one loaded layer through the current view.
  function draw(id) {
    var entry = wanbei.entries[id];
    if (!entry || !entry.data) return;
    if (entry.lean) return drawLean(entry);
    var cfg = entry.cfg, group = entry.group;
    var renderer = rendererFor(entry);
    group.clearLayers();
    entry.features = {};
    var shown = 0;
    var project = wanbei.view.project;
    var layer = L.geoJSON(entry.data, {
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
      if (entry.lean) return restyleLean(entry);
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
          entry.lean = decodeLean(data);
          data = { type: "FeatureCollection", features: entry.lean.features };
        }
        entry.data = data;
        draw(cfg.id);
        finished(cfg, { count: data.features.length, loaded: true, error: null });
      })
      .catch(function (err) {
        status(map).appendChild(el("div", null, "“" + cfg.title_zh + "” " + wanbei.t("加载失败") + ": " + err.message));
        finished(cfg, { count: 0, loaded: false, error: String(err.message) });
      });
  };

  // The drawn Leaflet layer of one feature (undefined when it is filtered out).
  wanbei.featureLayer = function (layerId, featureId) {
    var entry = wanbei.entries[layerId];
    if (entry && entry.lean) {
      var i = leanPosition(entry.lean, featureId);
      return i !== undefined && entry.lean.shown[i] ? leanHandle(entry, i) : undefined;
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
    if (sub.getLatLng) {
      map.flyTo(sub.getLatLng(), Math.max(map.getZoom(), 9), { duration: 0.6 });
    } else {
      map.flyToBounds(sub.getBounds(), { maxZoom: 9, duration: 0.6, padding: [40, 40] });
    }
    map.once("moveend", open);
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
    wanbei.legend = cfg;
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
