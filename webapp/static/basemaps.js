/* basemaps.js — the basemap control: wanbei.basemaps.
 *
 * The offline basemap is the boundaries layer (drawn from the app's own data, no request to
 * another origin); the others are tile layers whose URLs come from layers/map.py. A basemap has
 * a datum: with a GCJ-02 one (Gaode) every overlay is drawn again shifted to GCJ-02
 * (wanbei.view.project), so that it sits on the right street; with the others, in WGS84. The data
 * itself (downloads, API) stays WGS84: only the drawing moves.
 */
(function (wanbei) {
  "use strict";

  var el = wanbei.dom.el;
  var state = { map: null, specs: [], byId: {}, current: null, tiles: [], control: null,
                drawnIn: "wgs84" };

  function boundaries() {
    var entry = wanbei.entries.boundaries;
    return entry ? entry.group : null;
  }

  function setOfflineShown(shown) {
    var group = boundaries(), map = state.map;
    if (!group) return;
    if (shown && !map.hasLayer(group)) map.addLayer(group);
    if (!shown && map.hasLayer(group)) map.removeLayer(group);
    wanbei.syncLegend(map);
  }

  function set(id) {
    var spec = state.byId[id];
    if (!spec) throw new Error("unknown basemap " + id);
    var map = state.map, previous = state.current;
    if (previous === spec) return;
    state.tiles.forEach(function (t) { map.removeLayer(t); });
    state.tiles = [];
    if (previous && previous.attribution) map.attributionControl.removeAttribution(previous.attribution);
    spec.tiles.forEach(function (t, i) {
      var layer = L.tileLayer(t.url, {
        subdomains: t.subdomains || "abc",
        maxZoom: spec.max_zoom,
        className: "wb-tiles wb-tiles-" + spec.id,
        // only the first layer carries the attribution
        attribution: i === 0 ? spec.attribution : "",
      });
      layer.addTo(map);
      layer.bringToBack();
      state.tiles.push(layer);
    });
    if (!spec.tiles.length && spec.attribution) map.attributionControl.addAttribution(spec.attribution);
    map.getContainer().classList.toggle("wb-basemap-tiles", spec.tiles.length > 0);
    map.getContainer().setAttribute("data-basemap", spec.id);
    setOfflineShown(spec.id === "offline");
    state.current = spec;
    wanbei.view.project = wanbei.coords.toDatum(spec.crs);
    // layers drawn before (in another datum) are drawn again; those still loading will use it
    if (spec.crs !== state.drawnIn) {
      state.drawnIn = spec.crs;
      wanbei.redraw();
    }
    if (state.control) {
      var input = state.control.querySelector("input[value='" + spec.id + "']");
      if (input) input.checked = true;
    }
    wanbei.emit("wanbei:basemap", { id: spec.id, crs: spec.crs });
  }

  function control(map) {
    var ctl = L.control({ position: "topright" });
    ctl.onAdd = function () {
      var box = el("fieldset", "wb-basemaps leaflet-bar");
      box.appendChild(el("legend", null, wanbei.t("底图")));
      state.specs.forEach(function (spec) {
        var label = el("label");
        var input = el("input");
        input.type = "radio";
        input.name = "wb-basemap";
        input.value = spec.id;
        input.addEventListener("change", function () { if (input.checked) set(spec.id); });
        label.appendChild(input);
        label.appendChild(document.createTextNode(" " + spec.title));
        box.appendChild(label);
      });
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      return box;
    };
    ctl.addTo(map);
    return ctl.getContainer();
  }

  wanbei.basemaps = {
    init: function (map, specs, initial) {
      state.map = map;
      // the attributions come in the page's language (layers.map.basemap_config)
      state.specs = specs.slice();
      state.specs.forEach(function (s) { state.byId[s.id] = s; });
      state.control = control(map);
      set(state.byId[initial] ? initial : specs[0].id);
      // the boundaries layer may arrive after the basemap was chosen
      document.addEventListener("wanbei:layer", function (e) {
        if (e.detail.id === "boundaries") setOfflineShown(state.current.id === "offline");
      });
    },
    set: set,
    current: function () { return state.current; },
    // (lon, lat) of the map (in the basemap's datum) -> WGS84
    toWgs84: function (lon, lat) { return wanbei.coords.fromDatum(state.current.crs)(lon, lat); },
    tileLayers: function () { return state.tiles.slice(); },
  };
})(window.wanbei);
