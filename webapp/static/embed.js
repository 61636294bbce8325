/* embed.js — the embeddable map (/embed) and the embed builder of the main map.
 *
 * On /embed (body.wb-embed): `controls=` picks the controls that show, `title=` the title (set
 * as text), the link to the full map follows the view (same URL without the embed-only keys),
 * and the page posts its height to the embedding window ({type: "wanbei:embed-height",
 * height}) for embed-resize.js.
 * On the main map (#wb-embed-open): a dialog to pick the options, preview /embed in an iframe
 * and copy the <iframe> code (and, optionally, the resize snippet).
 */
(function (wanbei) {
  "use strict";

  var EMBED_ONLY = ["controls", "title"];
  var FILTER_KEYS = ["f_pair", "province", "sector", "status", "from", "to", "cluster"];
  // what each control of `controls=` shows
  var CONTROL_PARTS = {
    zoom: [".leaflet-control-zoom"],
    layers: [".leaflet-control-layers"],
    legend: [".wb-legend"],
    scale: [".leaflet-control-scale", ".wb-cursor"],
    fullscreen: [".wb-tools"],
    search: [".wb-embed-search"],
    basemaps: [".wb-basemaps"],
    link: ["#wb-full-map"],
  };

  function $(id) { return document.getElementById(id); }

  // --- the embedded map -------------------------------------------------------------------------

  function fullMapLink() {
    var a = $("wb-full-map");
    if (!a) return;
    var base = a.getAttribute("data-base");
    if (!base) {
      base = a.getAttribute("href").split("?")[0];
      a.setAttribute("data-base", base);
    }
    var p = new URLSearchParams(window.location.search);
    EMBED_ONLY.forEach(function (k) { p.delete(k); });
    var qs = p.toString();
    a.setAttribute("href", base + (qs ? "?" + qs : ""));
  }

  function applyControls(p) {
    var declared = document.body.getAttribute("data-embed-controls").split(",");
    var defaults = ["zoom", "layers", "legend", "scale", "fullscreen", "link"];
    var shown = p.has("controls") ? p.get("controls").split(",").filter(Boolean) : defaults;
    declared.forEach(function (name) {
      var on = shown.indexOf(name) >= 0;
      (CONTROL_PARTS[name] || []).forEach(function (sel) {
        document.querySelectorAll(sel).forEach(function (node) {
          node.classList.toggle("wb-off", !on);
          if (node.hasAttribute("hidden") && on) node.removeAttribute("hidden");
        });
      });
    });
    document.body.setAttribute("data-controls", shown.join(","));
  }

  // The height the embed asks for: its header (and search box) and a map three quarters as
  // tall as it is wide (at least MAP_MIN): a map has no height of its own, so the frame's width
  // decides it, whatever height the portal's iframe first had.
  var MAP_MIN = 260;

  function naturalHeight() {
    var above = 0;
    document.querySelectorAll(".wb-embed-bar, .wb-embed-search").forEach(function (node) {
      if (!node.hidden && !node.classList.contains("wb-off")) above += node.offsetHeight;
    });
    return Math.ceil(above + Math.max(MAP_MIN, Math.round(window.innerWidth * 0.75)));
  }

  function postHeight() {
    if (window.parent === window) return;
    window.parent.postMessage({ type: "wanbei:embed-height", height: naturalHeight() }, "*");
  }

  function initEmbed() {
    var p = new URLSearchParams(window.location.search);
    var title = p.get("title");
    if (title) {
      $("wb-embed-title").textContent = title;
      document.title = title;
    }
    applyControls(p);
    fullMapLink();
    document.addEventListener("wanbei:url", fullMapLink);
    postHeight();
    if (window.ResizeObserver) new ResizeObserver(postHeight).observe(document.body);
    window.addEventListener("load", postHeight);
    document.documentElement.setAttribute("data-wanbei-embed", "1");
  }

  // --- the builder ------------------------------------------------------------------------------

  function builderUrl(form) {
    var p = new URLSearchParams();
    var map = wanbei.map;
    var checked = function (name) {
      return Array.prototype.filter.call(form.querySelectorAll("input[name='" + name + "']"),
        function (i) { return i.checked; }).map(function (i) { return i.value; });
    };
    var layers = checked("layers");
    var allLayers = form.querySelectorAll("input[name='layers']").length;
    if (layers.length !== allLayers) p.set("layers", layers.join(","));
    p.set("controls", checked("controls").join(","));
    if (form.elements.view.checked && map) {
      var c = map.getCenter();
      var w = wanbei.basemaps ? wanbei.basemaps.toWgs84(c.lng, c.lat) : [c.lng, c.lat];
      p.set("center", w[1].toFixed(5) + "," + w[0].toFixed(5));
      p.set("zoom", String(Math.round(map.getZoom())));
    }
    var pair = wanbei.officials && wanbei.officials.focused();
    if (form.elements.pair.checked && pair) p.set("pair", pair);
    var basemap = wanbei.basemaps && wanbei.basemaps.current();
    if (basemap && basemap.id !== "offline") p.set("basemap", basemap.id);
    // the filters of the main map (officials.js keeps them in its URL)
    var current = new URLSearchParams(window.location.search);
    FILTER_KEYS.forEach(function (k) { if (current.get(k)) p.set(k, current.get(k)); });
    p.set("lang", form.elements.lang.value);
    var title = form.elements.title.value.trim();
    if (title) p.set("title", title);
    var base = new URL(form.getAttribute("data-embed-url"), window.location.href);
    return base.href + "?" + p.toString();
  }

  function attr(value) {
    return String(value).replace(/&/g, "&amp;").replace(/"/g, "&quot;").replace(/</g, "&lt;");
  }

  function builderCode(form, url) {
    var width = Math.max(320, parseInt(form.elements.width.value, 10) || 640);
    var height = Math.max(240, parseInt(form.elements.height.value, 10) || 480);
    var title = form.elements.title.value.trim() || form.getAttribute("data-default-title");
    var code = '<iframe src="' + attr(url) + '" title="' + attr(title) + '" width="' + width +
      '" height="' + height + '" style="border:0;max-width:100%" loading="lazy"' +
      ' referrerpolicy="strict-origin-when-cross-origin" data-wanbei-embed></iframe>';
    if (form.elements.resize.checked) {
      var snippet = new URL(form.getAttribute("data-resize-url"), window.location.href).href;
      code += '\n<script src="' + attr(snippet) + '" defer></' + 'script>';
    }
    return code;
  }

  function initBuilder() {
    var open = $("wb-embed-open"), dialog = $("wb-embed-dialog");
    var form = $("wb-embed-form"), frame = $("wb-embed-preview"), out = $("wb-embed-code");
    var timer = null;
    var update = function () {
      var url = builderUrl(form);
      out.value = builderCode(form, url);
      clearTimeout(timer);
      timer = setTimeout(function () { if (frame.getAttribute("src") !== url) frame.src = url; }, 300);
    };
    open.addEventListener("click", function () {
      form.elements.lang.value = document.documentElement.lang || "zh-Hans";
      if (dialog.showModal) dialog.showModal(); else dialog.setAttribute("open", "");
      update();
    });
    form.addEventListener("input", update);
    form.addEventListener("change", update);
    form.addEventListener("submit", function (e) { e.preventDefault(); });
    $("wb-embed-close").addEventListener("click", function () { dialog.close(); });
    // the preview shows what the resize snippet does: with it, the frame takes the height the
    // embed asks for (the same checks as embed-resize.js); without it, the height given
    window.addEventListener("message", function (event) {
      if (event.source !== frame.contentWindow || event.origin !== window.location.origin) return;
      var data = event.data;
      if (!data || data.type !== "wanbei:embed-height" || typeof data.height !== "number") return;
      frame.setAttribute("data-asked-height", String(Math.round(data.height)));
      showHeight();
    });
    var showHeight = function () {
      var asked = parseInt(frame.getAttribute("data-asked-height"), 10);
      var on = form.elements.resize.checked && asked >= 150 && asked <= 5000;
      frame.style.height = on ? asked + "px" : "";
    };
    form.addEventListener("change", showHeight);
    $("wb-embed-copy").addEventListener("click", function () {
      var status = $("wb-embed-copied");
      var done = function () { status.textContent = status.getAttribute("data-done"); };
      out.select();
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(out.value).then(done, function () {
          if (document.execCommand("copy")) done();
        });
      } else if (document.execCommand("copy")) {
        done();
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (document.body.classList.contains("wb-embed")) initEmbed();
    if ($("wb-embed-open")) initBuilder();
  });

  wanbei.embed = { postHeight: postHeight };
})(window.wanbei);
