/* permalink.js — the URL follows the view: wanbei.initPermalink and wanbei.permalink.
 *
 * Keys (besides those of officials.js: pair, basemap, filters): `center=lat,lon` and `zoom=`
 * (WGS84, whatever the basemap's datum), `bbox=minlon,minlat,maxlon,maxlat` (read only: the
 * view is then written back as center and zoom), `layers=` (the visible overlays, when they
 * differ from the default) and `lang=`. The server has checked them (a bad one is a 400), so a
 * link opens the view it was copied from. Each write replaces the history entry and emits
 * `wanbei:url`; the language links of the page follow.
 *
 * The view of a link stays exactly the link's while nobody moves the map: Leaflet measures its
 * container only when told (invalidateSize), and each time it is told it drops the exact centre
 * it was given and works the centre out again from whole pixels (up to half a pixel off: 1.2e-4°
 * at zoom 9). The page's layout can change after the map is made (the header wraps differently
 * as buttons and words of the page's language take their width, the panels open), and Leaflet
 * itself invalidates on every window resize event. So the map's size follows its container (a
 * ResizeObserver), and until the first move that is not ours the link's view is applied again
 * after each change of size or window resize, on the layout as it is then.
 */
(function (wanbei) {
  "use strict";

  // view: the view the URL named ({center} or {bounds}, and zoom), kept until the map moves
  var state = { map: null, started: false, hasView: false, view: null, applying: false,
                applied: 0 };

  function params() { return new URLSearchParams(window.location.search); }

  function overlays() {
    return wanbei.groups.filter(function (g) {
      return wanbei.entries[g.id] && wanbei.entries[g.id].cfg.pane !== "basemap";
    });
  }

  function numbers(raw) { return raw.split(",").map(Number); }

  // WGS84 (lon, lat) -> a Leaflet LatLng in the current basemap's datum
  function toMap(lon, lat) {
    var p = wanbei.view.project(lon, lat);
    return L.latLng(p[1], p[0]);
  }

  function toWgs84(latlng) {
    var p = wanbei.basemaps ? wanbei.basemaps.toWgs84(latlng.lng, latlng.lat)
                            : [latlng.lng, latlng.lat];
    return { lon: p[0], lat: p[1] };
  }

  function urlWith(p) {
    var qs = p.toString();
    return window.location.pathname + (qs ? "?" + qs : "") + window.location.hash;
  }

  // Each language link keeps its own target (`?lang=` here; in a static export the page of
  // that language, e.g. ../en/, which names no `lang`) and carries the view to it.
  function syncLangLinks() {
    document.querySelectorAll("a[data-lang]").forEach(function (a) {
      if (!a.hasAttribute("data-wb-lang-href")) a.setAttribute("data-wb-lang-href", a.getAttribute("href"));
      var target = new URL(a.getAttribute("data-wb-lang-href"), window.location.href);
      var p = params();
      p.delete("lang");
      if (target.searchParams.has("lang")) p.set("lang", a.getAttribute("data-lang"));
      var qs = p.toString();
      a.setAttribute("href", target.pathname + (qs ? "?" + qs : ""));
    });
  }

  function write() {
    if (!state.started) return;
    var map = state.map, p = params();
    var c = toWgs84(map.getCenter());
    p.delete("bbox");
    p.set("center", c.lat.toFixed(5) + "," + c.lon.toFixed(5));
    p.set("zoom", String(Math.round(map.getZoom())));
    var groups = overlays();
    var on = groups.filter(function (g) { return map.hasLayer(g.group); }).map(function (g) { return g.id; });
    var defaults = groups.filter(function (g) { return wanbei.entries[g.id].cfg.show; })
      .map(function (g) { return g.id; });
    if (on.join(",") === defaults.join(",")) p.delete("layers");
    else p.set("layers", on.join(","));
    history.replaceState(null, "", urlWith(p));
    wanbei.emit("wanbei:url", {});
  }

  // Show the URL's view on the map as it is laid out now, exactly: a reset view keeps the centre
  // it is given (without `reset`, Leaflet pans to a nearby centre by whole pixels).
  function applyView() {
    var v = state.view, map = state.map;
    state.applying = true;
    state.applied += 1;
    try {
      if (v.bounds) {
        map.fitBounds(L.latLngBounds(toMap(v.bounds[0], v.bounds[1]), toMap(v.bounds[2], v.bounds[3])),
                      { animate: false, reset: true });
      } else {
        map.setView(toMap(v.center[1], v.center[0]), v.zoom, { animate: false, reset: true });
      }
    } finally {
      state.applying = false;
    }
  }

  // The container's size changed (the layout moved, not the window): tell Leaflet, and keep the
  // URL's view while it stands (otherwise Leaflet keeps the centre, as on a window resize).
  function followSize() {
    var map = state.map, el = map.getContainer(), size = map.getSize();
    if (el.clientWidth === size.x && el.clientHeight === size.y) return;
    var applied = state.applied;
    map.invalidateSize({ pan: !state.view });
    // (Leaflet fires "resize" only when the centre moves by a whole pixel)
    if (state.view && state.applied === applied) applyView();
  }

  function keepSize(map) {
    map.on("resize", function () { if (state.view) applyView(); });
    // Leaflet's own window-resize handler invalidates in the next frame, even when the size is
    // the same (it then forgets the exact centre): apply the URL's view after it.
    window.addEventListener("resize", function () {
      if (!state.view) return;
      requestAnimationFrame(function () { if (state.view) applyView(); });
    });
    map.on("movestart zoomstart", function () { if (!state.applying) state.view = null; });
    if (window.ResizeObserver) new ResizeObserver(followSize).observe(map.getContainer());
  }

  // Apply the view of the URL; called by map.js after the layers and the tools are set up.
  wanbei.initPermalink = function (map) {
    state.map = map;
    var p = params();
    if (p.get("bbox")) {
      state.view = { bounds: numbers(p.get("bbox")) };
    } else if (p.get("center") && p.get("zoom")) {
      state.view = { center: numbers(p.get("center")), zoom: parseInt(p.get("zoom"), 10) };
    }
    // the layout as it is now (it may have changed since the map was made)
    var el = map.getContainer(), size = map.getSize();
    if (el.clientWidth !== size.x || el.clientHeight !== size.y) map.invalidateSize({ pan: !state.view });
    if (state.view) {
      applyView();
      state.hasView = true;
    }
    keepSize(map);
    if (p.has("layers")) {
      var want = p.get("layers").split(",").filter(Boolean);
      overlays().forEach(function (g) {
        if (want.indexOf(g.id) >= 0) map.addLayer(g.group);
        else map.removeLayer(g.group);
      });
    }
    state.started = true;
    map.on("moveend overlayadd overlayremove", write);
    document.addEventListener("wanbei:url", syncLangLinks);
    syncLangLinks();
  };

  wanbei.permalink = {
    // whether the URL named a view (then focusing the URL's pair does not fly there)
    hasView: function () { return state.hasView; },
    write: write,
    params: params,
  };
})(window.wanbei);
