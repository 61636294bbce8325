/* furniture.js — map furniture: wanbei.furniture.
 *
 * Fullscreen (the Fullscreen API on the map and its panel), zoom to the whole network, cursor
 * coordinates (always WGS84, whatever the basemap's datum), a mini map (a second small L.map of
 * the offline provinces with the main view's rectangle; click it to move there) and clustering
 * of the park and project points (markercluster, served by the app; off by default, `?cluster=1`).
 */
(function (wanbei) {
  "use strict";

  var el = wanbei.dom.el;
  // The layers grouped when clustering is on: those whose config says `cluster` (geo/spec.toml).
  function clustered() {
    return Object.keys(wanbei.entries).filter(function (id) { return wanbei.entries[id].cfg.cluster; });
  }
  var state = { map: null, bounds: null, clustering: false };

  // Small line icons (24×24, drawn with the current colour): no icon font is needed.
  var ICONS = {
    home: "M4 11 L12 4 L20 11 M6 10 V20 H18 V10",
    fullscreen: "M4 9 V4 H9 M15 4 H20 V9 M20 15 V20 H15 M9 20 H4 V15",
  };

  function icon(name) {
    var box = wanbei.dom.svg("svg", { width: 18, height: 18, viewBox: "0 0 24 24",
                                      "aria-hidden": "true" });
    if (name === "cluster") {
      [[8, 9, 4], [16, 8, 3], [12, 16, 4]].forEach(function (c) {
        box.appendChild(wanbei.dom.svg("circle", { cx: c[0], cy: c[1], r: c[2], fill: "none",
                                                  stroke: "currentColor", "stroke-width": 2 }));
      });
    } else {
      box.appendChild(wanbei.dom.svg("path", { d: ICONS[name], fill: "none", stroke: "currentColor",
                                              "stroke-width": 2, "stroke-linejoin": "round" }));
    }
    return box;
  }

  function button(name, title, onClick) {
    var b = el("button", "wb-tool wb-tool-" + name);
    b.appendChild(icon(name));
    b.type = "button";
    b.title = title;
    b.setAttribute("aria-label", title);
    b.addEventListener("click", function (e) { L.DomEvent.stop(e); onClick(b); });
    return b;
  }

  function fullscreenTarget() {
    return document.querySelector(".wb-main") || state.map.getContainer();
  }

  function toolbar(map) {
    var ctl = L.control({ position: "topleft" });
    ctl.onAdd = function () {
      var bar = el("div", "wb-tools leaflet-bar");
      bar.appendChild(button("home", wanbei.t("显示全部结对网络"), function () { wanbei.furniture.home(); }));
      if (document.fullscreenEnabled) {
        var fs = button("fullscreen", wanbei.t("全屏"), function () { wanbei.furniture.toggleFullscreen(); });
        fs.classList.add("wb-fullscreen");
        fs.setAttribute("aria-pressed", "false");
        document.addEventListener("fullscreenchange", function () {
          fs.setAttribute("aria-pressed", document.fullscreenElement ? "true" : "false");
          map.invalidateSize();
        });
        bar.appendChild(fs);
      }
      var cl = button("cluster", wanbei.t("聚合重叠的园区与项目点"), function () {
        wanbei.furniture.setClustering(!state.clustering);
      });
      cl.classList.add("wb-cluster-toggle");
      cl.setAttribute("aria-pressed", "false");
      bar.appendChild(cl);
      L.DomEvent.disableClickPropagation(bar);
      return bar;
    };
    ctl.addTo(map);
    return ctl.getContainer();
  }

  function fmt(v, pos, neg) {
    return Math.abs(v).toFixed(4) + "°" + (v >= 0 ? pos : neg);
  }

  function cursor(map) {
    var ctl = L.control({ position: "bottomleft" });
    ctl.onAdd = function () {
      var box = el("div", "wb-cursor");
      box.setAttribute("aria-live", "off");
      return box;
    };
    ctl.addTo(map);
    var box = ctl.getContainer();
    map.on("mousemove", function (e) {
      var p = wanbei.basemaps ? wanbei.basemaps.toWgs84(e.latlng.lng, e.latlng.lat)
        : [e.latlng.lng, e.latlng.lat];
      box.textContent = fmt(p[0], "E", "W") + "  " + fmt(p[1], "N", "S") + " (WGS84)";
    });
    map.on("mouseout", function () { box.textContent = ""; });
    return box;
  }

  function minimap(map) {
    var ctl = L.control({ position: "bottomleft" });
    var mini = null, rect = null;
    ctl.onAdd = function () {
      var box = el("div", "wb-minimap");
      box.setAttribute("aria-hidden", "true");
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      return box;
    };
    ctl.addTo(map);
    var box = ctl.getContainer();
    mini = L.map(box, {
      attributionControl: false, zoomControl: false, dragging: false, scrollWheelZoom: false,
      doubleClickZoom: false, boxZoom: false, keyboard: false, touchZoom: false,
      zoomSnap: 0.25,
    });
    // The mini map follows the main one, three zoom levels out, with the main view as a box.
    var follow = function () {
      mini.setView(map.getCenter(), Math.max(map.getZoom() - 3, 2), { animate: false });
      rect.setBounds(map.getBounds());
    };
    rect = L.rectangle(map.getBounds(), { className: "wb-mini-view", interactive: false,
                                          weight: 1.5, color: "#c62828", fillOpacity: 0.1 });
    mini.setView(map.getCenter(), Math.max(map.getZoom() - 3, 2));
    rect.addTo(mini);
    mini.on("click", function (e) { map.panTo(e.latlng); });
    map.on("moveend zoomend resize", follow);
    function drawBoundaries() {
      var entry = wanbei.entries.boundaries;
      if (!entry || !entry.data) return;
      L.geoJSON(entry.data, {
        filter: function (f) { return f.properties.level !== "county"; },
        interactive: false,
        style: function (f) {
          var prov = f.properties.level === "province";
          var land = f.properties.level === "neighbour" ? "#e6e3da" : "#f6f3ea";
          return { className: "wb-mini", color: prov ? "#777" : "#bbb", weight: prov ? 1 : 0.5,
                   fillColor: land, fillOpacity: 1 };
        },
      }).addTo(mini);
      rect.bringToFront();
    }
    if (wanbei.entries.boundaries && wanbei.entries.boundaries.data) drawBoundaries();
    document.addEventListener("wanbei:layer", function (e) {
      if (e.detail.id === "boundaries") drawBoundaries();
    });
    return mini;
  }

  function clusterGroup(cfg) {
    return L.markerClusterGroup({
      maxClusterRadius: 36,
      showCoverageOnHover: false,
      spiderfyOnMaxZoom: true,
      animate: false,
      iconCreateFunction: function (cluster) {
        var n = cluster.getChildCount();
        return L.divIcon({
          html: el("span", null, String(n)),
          className: "wb-cluster wb-cluster-" + cfg.id,
          iconSize: [28, 28],
        });
      },
    });
  }

  wanbei.furniture = {
    init: function (map, cfg) {
      state.map = map;
      state.bounds = cfg.network_bounds;
      toolbar(map);
      cursor(map);
      state.minimap = minimap(map);
    },
    // the whole network, inside the part of the map no control covers
    home: function (options) {
      if (wanbei.fitFree) wanbei.fitFree(state.bounds, options);
      else state.map.fitBounds(state.bounds, options);
    },
    toggleFullscreen: function () {
      if (document.fullscreenElement) return document.exitFullscreen();
      return fullscreenTarget().requestFullscreen();
    },
    clustering: function () { return state.clustering; },
    setClustering: function (on) {
      state.clustering = !!on;
      wanbei.view.cluster = function (cfg) {
        return state.clustering && cfg.cluster ? clusterGroup(cfg) : null;
      };
      var b = document.querySelector(".wb-cluster-toggle");
      if (b) b.setAttribute("aria-pressed", state.clustering ? "true" : "false");
      wanbei.redraw(clustered());
      wanbei.emit("wanbei:cluster", { on: state.clustering });
    },
    minimap: function () { return state.minimap; },
  };
})(window.wanbei);
