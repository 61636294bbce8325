/* layout.js — room for the map: wanbei.layout and wanbei.freeArea.
 *
 * - The layer list, the legend and the basemap list fold into one small button each (a
 *   disclosure: aria-expanded). They start folded in /embed and when the window is narrower
 *   than NARROW px; a person's choice is kept for the page's life.
 * - wanbei.freeArea(map): the padding that keeps a fitted view (a focused pair, a layer, a popup
 *   panned into view) out from under the controls, measured from where they are.
 * - Popups pan into that free area (autoPan padding), and are never wider than the map allows.
 * - The side panel starts closed on a narrow window; the header's menu button (narrow windows)
 *   shows the header's other tools.
 * - Keyboard: opening a panel moves focus into it; the map's features are not each a tab stop
 *   (the tables serve them); the focus ring shows for keyboard use only (CSS :focus-visible).
 */
(function (wanbei) {
  "use strict";

  var el = wanbei.dom.el;
  var NARROW = 720;
  var MARGIN = 16;

  function narrow() { return window.innerWidth < NARROW; }
  function embedded() { return document.body.classList.contains("wb-embed"); }

  // --- folding controls -----------------------------------------------------------------------

  function fold(container, title, folded) {
    if (!container || container.querySelector(":scope > .wb-fold")) return null;
    var button = el("button", "wb-fold");
    button.type = "button";
    button.appendChild(el("span", "wb-fold-title", title));
    button.appendChild(el("span", "wb-fold-mark"));
    button.querySelector(".wb-fold-mark").setAttribute("aria-hidden", "true");
    container.insertBefore(button, container.firstChild);
    container.classList.add("wb-foldable");
    var set = function (isFolded) {
      container.classList.toggle("wb-folded", isFolded);
      button.setAttribute("aria-expanded", isFolded ? "false" : "true");
    };
    button.addEventListener("click", function (e) {
      L.DomEvent.stop(e);
      set(!container.classList.contains("wb-folded"));
      wanbei.emit("wanbei:fold", { folded: container.classList.contains("wb-folded") });
    });
    L.DomEvent.disableClickPropagation(container);
    set(folded);
    return button;
  }

  function foldControls(map) {
    var folded = embedded() || narrow();
    var box = map.getContainer();
    var layers = box.querySelector(".leaflet-control-layers");
    if (layers) {
      // Leaflet's own hover-to-open button is not used: the list opens with our button
      layers.classList.add("leaflet-control-layers-expanded");
      fold(layers, wanbei.t("图层"), folded);
    }
    fold(box.querySelector(".wb-legend"), wanbei.t("图例"), folded);
    var basemaps = box.querySelector(".wb-basemaps");
    if (basemaps) {
      var legend = basemaps.querySelector("legend");
      fold(basemaps, legend ? legend.textContent : wanbei.t("底图"), folded);
    }
  }

  // --- the free area ---------------------------------------------------------------------------

  function rectOf(corner, box) {
    if (!corner) return { w: 0, h: 0 };
    var w = 0, h = 0;
    Array.prototype.forEach.call(corner.children, function (c) {
      var r = c.getBoundingClientRect();
      if (!r.width || !r.height) return;
      var s = window.getComputedStyle(c);
      if (s.display === "none" || s.visibility === "hidden") return;
      // how far into the map this control reaches from its corner
      var right = corner.classList.contains("leaflet-right");
      var bottom = corner.classList.contains("leaflet-bottom");
      w = Math.max(w, right ? box.right - r.left : r.right - box.left);
      h = Math.max(h, bottom ? box.bottom - r.top : r.bottom - box.top);
    });
    return { w: w, h: h };
  }

  // The padding {topLeft: [x, y], bottomRight: [x, y]} that leaves the largest rectangle of the
  // map no control covers: each corner's controls are kept out either sideways or up/down.
  wanbei.freeArea = function (map) {
    map = map || wanbei.map;
    var c = map.getContainer(), box = c.getBoundingClientRect();
    // (the map's own corners: the mini map inside one has corners too)
    var corners = map._controlCorners || {};
    var q = function (name) { return rectOf(corners[name], box); };
    var tl = q("topleft"), tr = q("topright"), bl = q("bottomleft"), br = q("bottomright");
    var best = null;
    for (var k = 0; k < 16; k++) {
      // bit set: the corner is avoided sideways; clear: up/down
      var side = [k & 1, k & 2, k & 4, k & 8];
      var left = Math.max(side[0] ? tl.w : 0, side[2] ? bl.w : 0);
      var right = Math.max(side[1] ? tr.w : 0, side[3] ? br.w : 0);
      var top = Math.max(side[0] ? 0 : tl.h, side[1] ? 0 : tr.h);
      var bottom = Math.max(side[2] ? 0 : bl.h, side[3] ? 0 : br.h);
      var w = box.width - left - right, h = box.height - top - bottom;
      // a free area too thin to show anything is worth nothing
      var area = w > 80 && h > 80 ? w * h : 0;
      if (!best || area > best.area) best = { area: area, left: left, right: right, top: top, bottom: bottom };
    }
    if (!best.area) best = { left: 0, right: 0, top: 0, bottom: 0 };
    return {
      topLeft: [best.left + MARGIN, best.top + MARGIN],
      bottomRight: [best.right + MARGIN, best.bottom + MARGIN],
    };
  };

  // Fit `bounds` into the free area, at a quarter zoom step (whole steps leave the network a
  // level too small); `fly` animates. Zooming by hand snaps back to whole steps.
  wanbei.fitFree = function (bounds, options, fly) {
    var map = wanbei.map, pad = wanbei.freeArea(map);
    var snap = map.options.zoomSnap;
    map.options.zoomSnap = 0.25;
    try {
      var o = wanbei.motion(Object.assign({ paddingTopLeft: pad.topLeft,
                                            paddingBottomRight: pad.bottomRight }, options || {}));
      if (fly) map.flyToBounds(bounds, o);
      else map.fitBounds(bounds, o);
    } finally {
      map.options.zoomSnap = snap;
    }
  };

  // Popups pan into the free area, and fit the map's width.
  function popups() {
    var adjust = L.Popup.prototype._adjustPan;
    L.Popup.include({
      _adjustPan: function () {
        if (this._map && this.options.autoPan) {
          var pad = wanbei.freeArea(this._map);
          this.options.autoPanPaddingTopLeft = L.point(pad.topLeft);
          this.options.autoPanPaddingBottomRight = L.point(pad.bottomRight);
        }
        return adjust.apply(this, arguments);
      },
    });
    var onAdd = L.Popup.prototype.onAdd;
    L.Popup.include({
      // no wider and no taller than the free area (a long popup scrolls): it can then be
      // panned clear of every control (the wrapper adds about 45 px to the content's width)
      onAdd: function (map) {
        if (!this._wbMax) this._wbMax = { width: this.options.maxWidth, height: this.options.maxHeight };
        var size = map.getSize(), pad = wanbei.freeArea(map);
        var freeW = size.x - pad.topLeft[0] - pad.bottomRight[0];
        var freeH = size.y - pad.topLeft[1] - pad.bottomRight[1];
        this.options.maxWidth = Math.max(160, Math.min(this._wbMax.width || 300, freeW - 50));
        var tall = Math.max(120, freeH - 50);
        this.options.maxHeight = this._wbMax.height ? Math.min(this._wbMax.height, tall) : tall;
        return onAdd.apply(this, arguments);
      },
    });
  }

  // --- the header and the panels ---------------------------------------------------------------

  // Move focus into a panel that was just opened (its heading, or its first control).
  function focusInto(panel) {
    if (!panel || panel.hidden) return;
    var target = panel.querySelector("h2, h3") || panel.querySelector("button, select, input, a");
    if (!target) return;
    if (!target.hasAttribute("tabindex") && /^H\d$/.test(target.tagName)) {
      target.setAttribute("tabindex", "-1");
    }
    target.focus({ preventScroll: false });
  }

  function panels(map) {
    var toggle = document.getElementById("wb-panel-toggle");
    var panel = document.getElementById("wb-panel");
    if (toggle && panel) {
      if (narrow()) {
        document.body.classList.add("wb-panel-hidden");
        toggle.setAttribute("aria-expanded", "false");
        map.invalidateSize();
      }
      toggle.addEventListener("click", function () {
        // officials.js has toggled the class already
        if (!document.body.classList.contains("wb-panel-hidden")) focusInto(panel);
      });
      // on a narrow window the panel lies over the map: Escape closes it, focus goes back
      panel.addEventListener("keydown", function (e) {
        if (e.key === "Escape" && narrow() && !document.body.classList.contains("wb-panel-hidden")) {
          toggle.click();
          toggle.focus();
        }
      });
    }
    var tablesToggle = document.getElementById("wb-tables-toggle");
    var tables = document.getElementById("wb-tables");
    if (tablesToggle && tables) {
      tablesToggle.addEventListener("click", function () {
        setTimeout(function () { focusInto(tables); }, 0);
      });
    }
    var menu = document.getElementById("wb-menu"), menuToggle = document.getElementById("wb-menu-toggle");
    if (menu && menuToggle) {
      var setMenu = function (open) {
        menu.classList.toggle("wb-menu-open", open);
        menuToggle.setAttribute("aria-expanded", open ? "true" : "false");
      };
      menuToggle.addEventListener("click", function () {
        var open = !menu.classList.contains("wb-menu-open");
        setMenu(open);
        if (open) {
          var first = menu.querySelector("button, a, summary");
          if (first) first.focus();
        }
      });
      menu.addEventListener("keydown", function (e) {
        if (e.key === "Escape" && menu.classList.contains("wb-menu-open")) {
          setMenu(false);
          menuToggle.focus();
        }
      });
      // a tool chosen from the menu closes it
      menu.addEventListener("click", function (e) {
        if (e.target.closest("button, a")) setMenu(false);
      });
      document.addEventListener("click", function (e) {
        if (!menu.contains(e.target) && e.target !== menuToggle && !menuToggle.contains(e.target)) {
          setMenu(false);
        }
      });
    }
  }

  // --- keyboard --------------------------------------------------------------------------------

  var FEATURE = ".leaflet-interactive, .leaflet-marker-icon";

  // The drawn features are not tab stops: Tab goes from the skip link to the map's controls.
  function untabbable(root) {
    root.querySelectorAll(FEATURE).forEach(function (node) { node.setAttribute("tabindex", "-1"); });
  }

  function keyboard(map) {
    var pane = map.getPane("mapPane");
    untabbable(pane);
    new MutationObserver(function (changes) {
      changes.forEach(function (c) {
        c.addedNodes.forEach(function (n) {
          if (n.nodeType !== 1) return;
          if (n.matches && n.matches(FEATURE)) {
            n.setAttribute("tabindex", "-1");
          }
          untabbable(n);
        });
      });
    }).observe(pane, { childList: true, subtree: true });
    var skip = document.getElementById("wb-skip");
    if (skip) {
      skip.addEventListener("click", function (e) {
        e.preventDefault();
        var first = map.getContainer().querySelector(".leaflet-control-container button, " +
          ".leaflet-control-container a[href], .leaflet-control-container input");
        (first || map.getContainer()).focus();
      });
    }
  }

  wanbei.layout = {
    NARROW: NARROW,
    // called by initOfficials once the map and its controls are made, before the permalink
    // applies the URL's view: a page without one starts on the whole network, fitted into the
    // room the (folded or open) controls leave
    init: function (map) {
      foldControls(map);
      panels(map);
      keyboard(map);
      var p = new URLSearchParams(window.location.search);
      var named = p.get("bbox") || (p.get("center") && p.get("zoom"));
      if (!named && wanbei.furniture) wanbei.furniture.home({ animate: false });
    },
    fold: fold,
    focusInto: focusInto,
  };

  popups();
})(window.wanbei);
