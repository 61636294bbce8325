/* lean.js — big point layers: wanbei.lean (loaded after wanbei.js).
 *
 * A point layer above wanbei.CANVAS_ABOVE features comes from /api/lean/<id>.json
 * (layers/lean.py) and is drawn on one canvas by a LeanCanvas; wanbei.js calls
 * wanbei.lean.decode/draw/restyle/position/handle for such a layer.
 */
(function (wanbei) {
  "use strict";

  var el = wanbei.dom.el;

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
    var show = function (full) { popup.setContent(wanbei.popupFor(cfg, full)); };
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
            "“" + cfg.title + "” " + wanbei.t("加载失败") + ": " + err.message));
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
      wanbei.emit("wanbei:click", { layer: entry.cfg.id, feature: entry.lean.features[i] });
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
      ? wanbei.t("“{layer}”有 {n} 个要素,不聚合显示", { layer: cfg.title, n: lean.n })
      : "", "lean-cluster-" + cfg.id);
  }

  function restyleLean(entry) {
    var cfg = entry.cfg, lean = entry.lean;
    for (var i = 0; i < lean.n; i++) {
      if (lean.shown[i]) lean.flags[i] = flagsOf(wanbei.view.classes(cfg, lean.features[i]));
    }
    if (entry.canvas) entry.canvas.repaint();
  }

  wanbei.lean = {
    decode: decodeLean,
    draw: drawLean,
    restyle: restyleLean,
    position: leanPosition,
    handle: leanHandle,
  };
})(window.wanbei);
