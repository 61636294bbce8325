/* arcs.js — each pairing drawn as its own arc: wanbei.arcs (sets wanbei.view.shape).
 *
 * The pairings run side by side from 上海/杭州/宁波/苏州 to 皖北: drawn straight they merge into
 * one bundle. Here each is drawn as a quadratic curve from the helping end to the helped end,
 * bent to one side by a share of its length; the bend of each is chosen, in a fixed order
 * (city pairs first, then by id), as the first of BENDS that keeps the curve at least SPACING
 * away from the curves already chosen (else the one farthest from them). The bends are worked
 * out in Web Mercator at zoom 0, so the arcs keep their shape at every zoom. Only the drawing
 * changes: the data, downloads and distances stay the straight (geodesic) pair.
 */
(function (wanbei) {
  "use strict";

  var CURVED = { pairings: true };
  // the apex's distance from the chord, as a share of the chord's length
  var BENDS = [0.08, -0.08, 0.15, -0.15, 0.04, -0.04, 0.22, -0.22];
  var STEPS = 32;
  // zoom-0 pixels: 14 px at zoom 7, the first view's zoom at 1366×800
  var SPACING = 14 / 128;
  var SAMPLES = [0.3, 0.5, 0.7];
  var memo = typeof WeakMap === "function" ? new WeakMap() : null;

  function toPoint(c) { return L.CRS.EPSG3857.latLngToPoint(L.latLng(c[1], c[0]), 0); }
  function toCoord(p) {
    var ll = L.CRS.EPSG3857.pointToLatLng(p, 0);
    return [Math.round(ll.lng * 1e6) / 1e6, Math.round(ll.lat * 1e6) / 1e6];
  }

  function ends(feature) {
    var g = feature.geometry;
    if (!g || g.type !== "LineString" || g.coordinates.length < 2) return null;
    return [g.coordinates[0], g.coordinates[g.coordinates.length - 1]];
  }

  // The curve from a to b (zoom-0 points) whose apex lies `bend` × |ab| left of the chord.
  function curve(a, b, bend, steps) {
    var dx = b.x - a.x, dy = b.y - a.y;
    var len = Math.sqrt(dx * dx + dy * dy);
    // the control point is twice as far from the chord as the apex of a quadratic curve
    var k = 2 * bend * len;
    var nx = len ? dy / len : 0, ny = len ? -dx / len : 0;
    var c = L.point((a.x + b.x) / 2 + nx * k, (a.y + b.y) / 2 + ny * k);
    var out = [];
    for (var i = 0; i <= steps; i++) {
      var t = i / steps, u = 1 - t;
      out.push(L.point(u * u * a.x + 2 * u * t * c.x + t * t * b.x,
                       u * u * a.y + 2 * u * t * c.y + t * t * b.y));
    }
    return out;
  }

  function distance(p, line) {
    var best = Infinity;
    for (var i = 1; i < line.length; i++) {
      best = Math.min(best, L.LineUtil.pointToSegmentDistance(p, line[i - 1], line[i]));
    }
    return best;
  }

  function clearance(candidate, placed) {
    var worst = Infinity;
    SAMPLES.forEach(function (t) {
      var p = candidate[Math.round(t * (candidate.length - 1))];
      placed.forEach(function (line) { worst = Math.min(worst, distance(p, line)); });
    });
    return worst;
  }

  function byId(a, b) {
    var x = String(a.id), y = String(b.id);
    return x < y ? -1 : x > y ? 1 : 0;
  }

  // feature id -> bend, for one layer's features
  function bends(features) {
    var out = {}, placed = [];
    features.filter(ends).slice().sort(function (a, b) {
      var ca = (a.properties || {}).level === "city" ? 0 : 1;
      var cb = (b.properties || {}).level === "city" ? 0 : 1;
      return ca - cb || byId(a, b);
    }).forEach(function (f) {
      var e = ends(f), a = toPoint(e[0]), b = toPoint(e[1]);
      var best = null, bestRoom = -1;
      for (var i = 0; i < BENDS.length; i++) {
        var room = placed.length ? clearance(curve(a, b, BENDS[i], 8), placed) : Infinity;
        if (room >= SPACING) { best = BENDS[i]; break; }
        if (room > bestRoom) { bestRoom = room; best = BENDS[i]; }
      }
      out[f.id] = best;
      placed.push(curve(a, b, best, 16));
    });
    return out;
  }

  function shaped(data) {
    var chosen = bends(data.features);
    return {
      type: "FeatureCollection",
      features: data.features.map(function (f) {
        if (!(f.id in chosen)) return f;
        var e = ends(f);
        var coords = curve(toPoint(e[0]), toPoint(e[1]), chosen[f.id], STEPS).map(toCoord);
        // the ends exactly as given (no rounding at the places' seats)
        coords[0] = e[0];
        coords[coords.length - 1] = e[1];
        return { type: "Feature", id: f.id, properties: f.properties,
                 geometry: { type: "LineString", coordinates: coords } };
      }),
    };
  }

  // The G60 band lies under every other line (it is drawn with the last layer).
  function bandToBack() {
    var e = wanbei.entries.corridor;
    if (!e || !e.features) return;
    Object.keys(e.features).forEach(function (id) {
      var sub = e.features[id];
      if (sub && sub.feature && (sub.feature.properties || {}).kind === "line" && sub._map) {
        sub.bringToBack();
      }
    });
  }
  document.addEventListener("wanbei:layer", bandToBack);
  document.addEventListener("wanbei:drawn", bandToBack);
  document.addEventListener("wanbei:basemap", bandToBack);

  wanbei.arcs = {
    // the drawn copy of a layer's data: the pairings curved, every other layer as it is
    shape: function (cfg, data) {
      if (!CURVED[cfg.id] || !data || !data.features) return data;
      if (memo && memo.has(data)) return memo.get(data);
      var out = shaped(data);
      if (memo) memo.set(data, out);
      return out;
    },
    curve: curve,
    bends: bends,
  };
  wanbei.view.shape = wanbei.arcs.shape;
})(window.wanbei);
