/* permalink.js — the URL follows the view: wanbei.initPermalink and wanbei.permalink.
 *
 * Keys (besides those of officials.js: pair, basemap, filters): `center=lat,lon` and `zoom=`
 * (WGS84, whatever the basemap's datum), `bbox=minlon,minlat,maxlon,maxlat` (read only: the
 * view is then written back as center and zoom), `layers=` (the visible overlays, when they
 * differ from the default) and `lang=`. The server has checked them (a bad one is a 400), so a
 * link opens the view it was copied from. Each write replaces the history entry and emits
 * `wanbei:url`; the language links of the page follow.
 */
(function (wanbei) {
  "use strict";

  var state = { map: null, started: false, hasView: false };

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

  // Apply the view of the URL; called by map.js after the layers and the tools are set up.
  wanbei.initPermalink = function (map) {
    state.map = map;
    var p = params();
    if (p.get("bbox")) {
      var b = numbers(p.get("bbox"));
      map.fitBounds(L.latLngBounds(toMap(b[0], b[1]), toMap(b[2], b[3])), { animate: false });
      state.hasView = true;
    } else if (p.get("center") && p.get("zoom")) {
      var c = numbers(p.get("center"));
      map.setView(toMap(c[1], c[0]), parseInt(p.get("zoom"), 10), { animate: false });
      state.hasView = true;
    }
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
