/* labels.js — the map's names, placed without collisions: wanbei.labels.
 *
 * Both ends of every drawn pairing get a label (上海·闵行, 淮南; in the page's language: the
 * layer data is localized); on a map narrower than DETAIL_WIDTH (a phone, a small embed) only the
 * city pairs', and while a pair is focused only its own. Labels are placed greedily after every draw, zoom and move: the
 * ends of city pairs first, then county pairs; each takes the first free spot of CANDIDATES
 * around its place (nearest first; past NEAR a thin leader line joins it to its place), free
 * meaning inside the map, clear of the labels already placed, of every drawn dot and of the
 * map's controls. A label with no spot clear of the labels placed before it and of the
 * controls is left out (`wb-label-dropped`: the more important names keep their room, as on a
 * 360×400 column); one that can only touch a dot takes the least covered spot and is marked
 * `wb-label-crowded`.
 * The G60 band is named on itself, where there is room. The basemap's names (Leaflet tooltips of the boundaries, wanbei.js) then give way: one that
 * would touch a pair label, a dot or an earlier name is moved a little (Leaflet's tooltip
 * offset) or, failing that, hidden (`wb-yield`); a prefecture already named by a pair label
 * is hidden too. Pair labels carry the classes of Leaflet's tooltips and `wb-label`, so the PNG
 * export writes them like the basemap's names; their leader lines are paths of the overlay pane.
 */
(function (wanbei) {
  "use strict";

  var el = wanbei.dom.el;
  var NEAR = 12;
  var DETAIL_WIDTH = 720; // px: a narrower map (phone, small embed) names the city pairs' ends // px from the place beyond which a label gets a leader line
  var DISTANCES = [6, 12, 22, 34, 48, 64, 84];
  var DIRECTIONS = [[1, 0], [-1, 0], [1, -1], [1, 1], [-1, -1], [-1, 1], [0, -1], [0, 1]];
  var PAD = 2; // px kept free around a label
  var NUDGES = [[0, 0], [0, -12], [0, 12], [-24, 0], [24, 0], [0, -22], [0, 22]];
  var state = { map: null, pane: null, leaders: null, nodes: {}, band: null, placed: [],
                scheduled: false };

  function entry(id) {
    var e = wanbei.entries[id];
    return e && e.data && state.map.hasLayer(e.group) ? e : null;
  }

  function overlaps(a, b) {
    return a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
  }

  function overlapArea(a, b) {
    var w = Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x);
    var h = Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y);
    return w > 0 && h > 0 ? w * h : 0;
  }

  function grow(box, by) {
    return { x: box.x - by, y: box.y - by, w: box.w + 2 * by, h: box.h + 2 * by };
  }

  // The rectangle of a DOM node in the map container's pixels.
  function rectOf(node, origin) {
    var r = node.getBoundingClientRect();
    return { x: r.left - origin.left, y: r.top - origin.top, w: r.width, h: r.height };
  }

  // Every drawn dot (circle markers of the shown layers) and the map's controls.
  function obstacles(origin, skip) {
    var map = state.map, out = [];
    Object.keys(wanbei.entries).forEach(function (id) {
      var e = entry(id);
      if (!e || e.lean || id === skip) return;
      Object.keys(e.features).forEach(function (fid) {
        var sub = e.features[fid];
        if (!(sub instanceof L.CircleMarker) || !sub._map) return;
        var p = map.latLngToContainerPoint(sub.getLatLng()), r = sub.getRadius() + 1;
        out.push({ x: p.x - r, y: p.y - r, w: 2 * r, h: 2 * r });
      });
    });
    map.getContainer().querySelectorAll(".leaflet-control").forEach(function (node) {
      if (node.offsetParent === null) return;
      var r = rectOf(node, origin);
      r.control = true;  // a label never lies under a control (a dot it may touch)
      out.push(r);
    });
    return out;
  }

  // The ends of the drawn pairings: one label per place and name, city pairs first. While a
  // pair is focused only its own ends are named; on a narrow map only the city pairs' ends.
  function ends() {
    var e = entry("pairings");
    if (!e) return [];
    var byKey = {}, out = [];
    var overview = state.map.getSize().x < DETAIL_WIDTH;
    e.data.features.forEach(function (f) {
      var sub = e.features[f.id];
      if (!sub || !sub.getLatLngs) return;
      var p = f.properties || {}, latlngs = sub.getLatLngs();
      var classes = wanbei.view.classes(e.cfg, f);
      var dim = /\bwb-dim\b/.test(classes);
      if (dim || (overview && p.level !== "city" && !/\bwb-focus\b/.test(classes))) return;
      var rank = p.level === "city" ? 0 : 2;
      [["helping", latlngs[0]], ["helped", latlngs[latlngs.length - 1]]].forEach(function (side) {
        var code = p[side[0] + "_adcode"], text = p[side[0] + "_short_zh"];
        if (!text || !side[1]) return;
        var key = code + "|" + text;
        var label = byKey[key];
        if (!label) {
          label = byKey[key] = { key: key, adcode: String(code), text: String(text),
                                 role: side[0], latlng: side[1], rank: rank };
          out.push(label);
        } else {
          label.rank = Math.min(label.rank, rank);
        }
        if (side[0] === "helped") label.rank = Math.min(label.rank, rank + 1);
      });
    });
    return out.sort(function (a, b) { return a.rank - b.rank; });
  }

  function nodeFor(label) {
    var node = state.nodes[label.key];
    if (!node) {
      node = el("div", "leaflet-tooltip wb-label wb-label-pair", label.text);
      node.setAttribute("data-adcode", label.adcode);
      node.setAttribute("aria-hidden", "true"); // the names are in the popups and tables
      state.pane.appendChild(node);
      state.nodes[label.key] = node;
    }
    node.classList.toggle("wb-label-helping", label.role === "helping");
    node.classList.toggle("wb-label-helped", label.role !== "helping");
    node.classList.remove("wb-label-crowded");
    return node;
  }

  function candidates(anchor, w, h) {
    var out = [];
    DISTANCES.forEach(function (d) {
      DIRECTIONS.forEach(function (dir) {
        var dx = dir[0], dy = dir[1], diag = dx && dy ? 0.75 : 1;
        var x = dx > 0 ? anchor.x + d * diag : dx < 0 ? anchor.x - d * diag - w : anchor.x - w / 2;
        var y = dy > 0 ? anchor.y + d * diag : dy < 0 ? anchor.y - d * diag - h : anchor.y - h / 2;
        out.push({ x: x, y: y, w: w, h: h, d: d });
      });
    });
    return out;
  }

  function placePairs(origin, size, blocked) {
    var map = state.map, placed = [];
    var inside = { x: 2, y: 2, w: size.x - 4, h: size.y - 4 };
    var labels = ends();
    var keep = {};
    labels.forEach(function (label) {
      var node = nodeFor(label);
      keep[label.key] = true;
      node.style.visibility = "hidden";
      node.style.display = "block";
      var w = node.offsetWidth, h = node.offsetHeight;
      var anchor = map.latLngToContainerPoint(label.latlng);
      // hard: outside the map, over a label placed before or under a control; soft: over a dot
      var best = null, bestHard = Infinity, bestSoft = Infinity;
      var options = candidates(anchor, w, h);
      for (var i = 0; i < options.length; i++) {
        var box = options[i], padded = grow(box, PAD);
        var out = !(box.x >= inside.x && box.y >= inside.y && box.x + w <= inside.x + inside.w &&
                    box.y + h <= inside.y + inside.h);
        var hard = out ? 1e6 : 0, soft = 0;
        placed.forEach(function (other) {
          hard += overlapArea(box, other.box);
          soft += overlapArea(padded, other.box) * 10;  // its margin, kept where there is room
        });
        blocked.forEach(function (other) {
          if (other.control) hard += overlapArea(box, other);
          else soft += overlapArea(padded, other);
        });
        if (hard < bestHard || (hard === bestHard && soft < bestSoft)) {
          best = box; bestHard = hard; bestSoft = soft;
        }
        if (!hard && !soft) break;
      }
      node.classList.toggle("wb-label-dropped", bestHard > 0);
      if (bestHard > 0) {
        // no room clear of the names placed before (the more important ones) and the controls:
        // this name is left out rather than drawn over them
        node.style.display = "none";
        node.style.visibility = "";
        return;
      }
      var lp = map.containerPointToLayerPoint(L.point(best.x, best.y));
      L.DomUtil.setPosition(node, lp);
      node.style.visibility = "";
      node.classList.toggle("wb-label-crowded", bestSoft > 0);
      placed.push({ key: label.key, adcode: label.adcode, text: label.text, role: label.role,
                    anchor: { x: anchor.x, y: anchor.y }, box: best, crowded: bestSoft > 0 });
    });
    Object.keys(state.nodes).forEach(function (key) {
      if (!keep[key]) { state.nodes[key].remove(); delete state.nodes[key]; }
    });
    return placed;
  }

  // The G60 band's name (the layer's title) on the band: at the middle of the segment nearest
  // its middle that has room (else at a quarter of a segment), else not shown. Returns its box
  // (or null).
  function placeBand(size, placed, blocked) {
    var e = entry("corridor"), node = state.band;
    var line = null;
    if (e) {
      Object.keys(e.features).forEach(function (id) {
        var sub = e.features[id];
        if (sub._map && sub.feature && (sub.feature.properties || {}).kind === "line") line = sub;
      });
    }
    if (!line) {
      if (node) node.style.display = "none";
      return null;
    }
    if (!node) {
      node = state.band = el("div", "leaflet-tooltip wb-label wb-label-band");
      node.setAttribute("aria-hidden", "true");
      state.pane.appendChild(node);
    }
    node.textContent = e.cfg.title;
    node.style.display = "block";
    node.style.visibility = "hidden";
    var w = node.offsetWidth, h = node.offsetHeight, map = state.map;
    var pts = line.getLatLngs().map(function (ll) { return map.latLngToContainerPoint(ll); });
    // candidates: the middle, then the quarters, of each segment, the middle segments first
    var mids = [];
    for (var i = 1; i < pts.length; i++) {
      [0.5, 0.25, 0.75].forEach(function (t, j) {
        var p = pts[i - 1].multiplyBy(1 - t).add(pts[i].multiplyBy(t));
        mids.push({ p: p, rank: Math.abs(i - pts.length / 2) + j * pts.length });
      });
    }
    mids.sort(function (a, b) { return a.rank - b.rank; });
    var taken = placed.map(function (q) { return grow(q.box, PAD); }).concat(blocked);
    for (var k = 0; k < mids.length; k++) {
      var box = { x: mids[k].p.x - w / 2, y: mids[k].p.y - h / 2, w: w, h: h };
      var inside = box.x >= 2 && box.y >= 2 && box.x + w <= size.x - 2 && box.y + h <= size.y - 2;
      if (inside && !taken.some(function (t) { return overlaps(box, t); })) {
        L.DomUtil.setPosition(node, map.containerPointToLayerPoint(L.point(box.x, box.y)));
        node.style.visibility = "";
        return box;
      }
    }
    node.style.display = "none";
    return null;
  }

  // A thin line from each place to its label when the label sits away from it.
  function drawLeaders(placed) {
    var map = state.map;
    state.leaders.clearLayers();
    placed.forEach(function (p) {
      var b = p.box;
      var nx = Math.max(b.x, Math.min(p.anchor.x, b.x + b.w));
      var ny = Math.max(b.y, Math.min(p.anchor.y, b.y + b.h));
      var dx = nx - p.anchor.x, dy = ny - p.anchor.y;
      if (Math.sqrt(dx * dx + dy * dy) < NEAR) return;
      state.leaders.addLayer(L.polyline(
        [map.containerPointToLatLng(L.point(p.anchor.x, p.anchor.y)),
         map.containerPointToLatLng(L.point(nx, ny))],
        { className: "wb-leader", interactive: false, weight: 1,
          color: "#555", opacity: 0.8 }));
    });
  }

  // The basemap's names give way to the pair labels, the dots and each other.
  function yieldBasemap(origin, size, placed, blocked) {
    var e = wanbei.entries.boundaries;
    if (!e || !e.data) return;
    var named = {};
    placed.forEach(function (p) { named[p.adcode] = true; });
    var taken = placed.map(function (p) { return grow(p.box, PAD); });
    var dots = blocked;
    e.data.features.forEach(function (f) {
      var sub = e.features[f.id], tip = sub && sub.getTooltip && sub.getTooltip();
      var node = tip && tip.getElement && tip.getElement();
      if (!node) return;
      node.classList.remove("wb-yield");
      if (tip.options.offset.x || tip.options.offset.y) {
        tip.options.offset = L.point(0, 0);
        tip.update();
      }
      if (getComputedStyle(node).display === "none") return;
      if (named[(f.properties || {}).adcode]) {
        node.classList.add("wb-yield");
        return;
      }
      var rect = rectOf(node, origin);
      for (var i = 0; i < NUDGES.length; i++) {
        var box = { x: rect.x + NUDGES[i][0], y: rect.y + NUDGES[i][1], w: rect.w, h: rect.h };
        var inside = box.x >= 0 && box.y >= 0 && box.x + box.w <= size.x && box.y + box.h <= size.y;
        var clear = inside && !taken.some(function (t) { return overlaps(box, t); }) &&
                    !dots.some(function (t) { return overlaps(box, t); });
        if (clear) {
          if (i > 0) {
            tip.options.offset = L.point(NUDGES[i][0], NUDGES[i][1]);
            tip.update();
          }
          taken.push(box);
          return;
        }
      }
      node.classList.add("wb-yield");
    });
  }

  function layout() {
    state.scheduled = false;
    var map = state.map;
    if (!map || !map._loaded) return;
    var origin = map.getContainer().getBoundingClientRect();
    var size = map.getSize();
    var blocked = obstacles(origin);
    var placed = placePairs(origin, size, blocked);
    drawLeaders(placed);
    // the band's name may lie over the corridor's own member dots, which it names
    var band = placeBand(size, placed, obstacles(origin, "corridor"));
    yieldBasemap(origin, size, placed, band ? blocked.concat([band]) : blocked);
    state.placed = placed;
    map.getContainer().setAttribute("data-labels", String(placed.length));
    wanbei.emit("wanbei:labels", { count: placed.length });
  }

  function schedule() {
    if (state.scheduled || !state.map) return;
    state.scheduled = true;
    (window.requestAnimationFrame || setTimeout)(layout);
  }

  function init(map) {
    state.map = map;
    state.pane = map.createPane("wbLabels");
    state.pane.style.zIndex = 620; // above the arrows (markers, 600), below the tooltips (650)
    state.pane.style.pointerEvents = "none";
    state.pane.classList.add("leaflet-zoom-hide");
    state.leaders = L.layerGroup().addTo(map);
    map.on("zoomend moveend resize overlayadd overlayremove", schedule);
  }

  function onChange() {
    if (!state.map && wanbei.map) init(wanbei.map);
    schedule();
  }
  // a focus or a filter restyles the map without drawing it again: the labels follow at once
  var restyle = wanbei.restyle;
  wanbei.restyle = function () {
    restyle.apply(wanbei, arguments);
    if (state.map) layout();
  };
  document.addEventListener("wanbei:layer", onChange);
  document.addEventListener("wanbei:drawn", onChange);
  document.addEventListener("wanbei:basemap", onChange);

  wanbei.labels = {
    layout: layout,
    schedule: schedule,
    // what was placed last: [{key, adcode, text, role, anchor, box, crowded}] (for tests)
    placed: function () { return state.placed.slice(); },
  };
})(window.wanbei);
