/* fallback.js — an online basemap that cannot load gives way to the offline one.
 *
 * When a tile basemap (OSM, Gaode, Tianditu) is chosen, its first tiles are watched: if
 * FAILED_TILES of them fail before any loads, or none has loaded after WAIT_MS (no internet
 * can mean no answer at all), the page says so in the status box and switches to the offline
 * basemap (wanbei.basemaps.set("offline")): the boundaries come back and the URL no longer
 * names the failed basemap (officials.js writes it on "wanbei:basemap").
 */
(function (wanbei) {
  "use strict";

  var FAILED_TILES = 3;
  var WAIT_MS = 8000;
  var NOTICE_MS = 15000;
  var watch = null; // {id, timer, failed, loaded}

  function stop() {
    if (!watch) return;
    clearTimeout(watch.timer);
    watch.layers.forEach(function (layer) { layer.off("tileload tileerror", watch.handler); });
    watch = null;
  }

  function giveUp(id) {
    stop();
    var current = wanbei.basemaps.current();
    if (!current || current.id !== id) return;
    wanbei.notify(wanbei.t("底图无法加载,已改用离线底图"), "basemap-fallback");
    var map = wanbei.map;
    if (map) map.getContainer().setAttribute("data-basemap-failed", id);
    wanbei.basemaps.set("offline");
    setTimeout(function () { wanbei.notify("", "basemap-fallback"); }, NOTICE_MS);
  }

  function start(id) {
    stop();
    var layers = wanbei.basemaps.tileLayers();
    if (id === "offline" || !layers.length) return;
    watch = { id: id, failed: 0, loaded: 0, layers: layers };
    watch.handler = function (e) {
      if (!watch) return;
      if (e.type === "tileload") {
        watch.loaded += 1;
        stop(); // it works: nothing more to watch
      } else {
        watch.failed += 1;
        if (watch.failed >= FAILED_TILES && !watch.loaded) giveUp(id);
      }
    };
    layers.forEach(function (layer) { layer.on("tileload tileerror", watch.handler); });
    watch.timer = setTimeout(function () {
      if (watch && !watch.loaded) giveUp(id);
    }, WAIT_MS);
  }

  document.addEventListener("wanbei:basemap", function (e) { start(e.detail.id); });

  wanbei.fallback = { FAILED_TILES: FAILED_TILES, WAIT_MS: WAIT_MS, watching: function () {
    return watch ? watch.id : null;
  } };
})(window.wanbei);
