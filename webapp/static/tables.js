/* tables.js — the tables beside the map: wanbei.tables.
 *
 * The pairings, parks and projects as tables in a collapsible panel next to the map (under it
 * on narrow screens), filled in the browser from the layers the map has already loaded
 * (`wanbei.entries[id].data.features`, in the page's language), so that:
 * - the rows are the features the map draws: the same predicate (`wanbei.view.filter`: pair,
 *   province, sector, status, years) and, while a pair is focused, only its features (those
 *   `wanbei.view.classes` does not dim); they follow the `wanbei:drawn`, `wanbei:focus`,
 *   `wanbei:filter` and `wanbei:layer` events;
 * - choosing a row (click, or Enter/Space on its button; Tab reaches the table, the arrow keys,
 *   Home/End and PageUp/PageDown move between rows) flies to its feature, opens its popup and
 *   highlights it while the row is selected; clicking a feature on the map (`wanbei:click`)
 *   selects its row, turning to its page and scrolling it into view;
 * - it scales: only one page of rows (wanbei.tables.PAGE) is built, whatever the layer's size,
 *   and the rows are computed only while the panel is open. A big layer drawn lean (wanbei.js)
 *   carries few properties: its columns are those it has, its pair's name comes from the
 *   pair's id, and its points (on a canvas, without an element to mark) get a highlight ring;
 * - columns sort by their header buttons (text by the page language's collation, numbers as
 *   numbers).
 * Text from the data is set with textContent only. Words go through `wanbei.t`
 * (templates/_messages.html).
 */
(function (wanbei) {
  "use strict";

  var el = wanbei.dom.el;
  // The layers shown as tables and their columns (the popup and /table have them all) are the
  // spec's: a layer's `table` (geo/spec.toml), in its config.
  function tableLayers() {
    return Object.keys(wanbei.entries).filter(function (id) {
      return (wanbei.entries[id].cfg.table || []).length > 0;
    });
  }

  var state = {
    layer: null, // the first of tableLayers() once the layers are known
    rows: [], // the features shown, in order
    page: 0,
    active: 0, // the row of the page that Tab reaches (roving tabindex)
    sort: null, // {name, dir: 1 | -1}
    selected: null, // {layer, id}
    reveal: false, // turn to the selected row's page at the next refresh
    restart: false, // the filters or the focus changed: back to the first page
    open: false,
    scheduled: false,
    highlighted: null, // the highlighted SVG element
    ring: null, // a ring drawn around a point that has no element of its own (canvas, cluster)
    collator: null,
  };

  function $(id) { return document.getElementById(id); }

  // A word of the page's language, with {name} placeholders filled from `values`.
  function say(zh, values) { return wanbei.t(zh, values || {}); }

  function number(n) { return Number(n).toLocaleString(document.documentElement.lang || "zh-CN"); }

  // --- columns and cells ------------------------------------------------------------------------

  function has(props, name) { return Object.prototype.hasOwnProperty.call(props || {}, name); }

  // The pair's name of a feature that carries only its pairing_id (a big layer's lean payload,
  // see wanbei.js): the name another layer gives that pair (the parks, in the page's language).
  var pairNames = null;

  function pairName(id) {
    if (pairNames === null) {
      var names = {};
      Object.keys(wanbei.entries).forEach(function (lid) {
        var e = wanbei.entries[lid];
        if (!e.data || e.lean) return;
        e.data.features.forEach(function (f) {
          var p = f.properties || {};
          if (p.pairing_id && p.pairing_name_zh) names[p.pairing_id] = p.pairing_name_zh;
        });
      });
      if (!Object.keys(names).length) return undefined;
      pairNames = names;
    }
    return pairNames[id];
  }

  function valueOf(props, name) {
    if (name === "pairing_name_zh" && !has(props, name) && has(props, "pairing_id")) {
      return pairName(props.pairing_id);
    }
    return (props || {})[name];
  }

  // The layer's columns: those of COLUMNS its features carry (a lean payload carries few).
  function columnsOf(cfg) {
    var byName = {};
    cfg.popup.forEach(function (f) { byName[f.name] = f; });
    var names = (cfg.table && cfg.table.length ? cfg.table : null) || cfg.popup.filter(function (f) {
      return f.kind !== "source";
    }).slice(0, 4).map(function (f) { return f.name; });
    var e = wanbei.entries[cfg.id], first = e && e.data && e.data.features[0];
    var props = first ? first.properties || {} : null;
    return names.filter(function (n) {
      if (!byName[n]) return false;
      if (!props || has(props, n)) return true;
      return n === "pairing_name_zh" && has(props, "pairing_id");
    }).map(function (n) { return byName[n]; });
  }

  function missing(value) { return value === null || value === undefined || value === ""; }

  // The text of one cell: the layer's value labels (in the page's language), numbers formatted.
  function cellText(cfg, field, props) {
    var value = valueOf(props, field.name);
    if (missing(value)) return { text: field.unknown || "", unknown: !!field.unknown };
    var labels = (cfg.values || {})[field.name];
    if (labels && Object.prototype.hasOwnProperty.call(labels, value)) {
      return { text: labels[value], unknown: false };
    }
    if (field.kind === "number" && typeof value === "number") {
      return { text: number(value), unknown: false };
    }
    if (field.kind === "money" && typeof value === "number") {
      return { text: wanbei.money(value), unknown: false };
    }
    return { text: String(value), unknown: false };
  }

  function sortKey(cfg, field, feature) {
    var value = valueOf(feature.properties, field.name);
    if (missing(value)) return null;
    if (typeof value === "number") return value;
    return cellText(cfg, field, feature.properties).text;
  }

  // --- rows -------------------------------------------------------------------------------------

  function entry() { return wanbei.entries[state.layer]; }

  // The features of the current layer the map shows: filtered as the map filters them and,
  // while a pair is focused, only the pair's (the map dims the others).
  function visibleFeatures(e) {
    var cfg = e.cfg, view = wanbei.view;
    return e.data.features.filter(function (f) {
      if (!view.filter(cfg, f)) return false;
      var classes = " " + view.classes(cfg, f) + " ";
      return classes.indexOf(" wb-dim ") < 0;
    });
  }

  function sortRows(cfg, rows) {
    if (!state.sort) return rows;
    var field = columnsOf(cfg).filter(function (f) { return f.name === state.sort.name; })[0];
    if (!field) return rows;
    var dir = state.sort.dir, collator = state.collator;
    var keyed = rows.map(function (f, i) { return { f: f, k: sortKey(cfg, field, f), i: i }; });
    keyed.sort(function (a, b) {
      if (a.k === null || b.k === null) {
        // missing values last, whichever the direction
        return (a.k === null) - (b.k === null) || a.i - b.i;
      }
      var c = typeof a.k === "number" && typeof b.k === "number"
        ? a.k - b.k : collator.compare(String(a.k), String(b.k));
      return c * dir || a.i - b.i;
    });
    return keyed.map(function (x) { return x.f; });
  }

  function indexOfSelected() {
    var s = state.selected;
    if (!s || s.layer !== state.layer) return -1;
    for (var i = 0; i < state.rows.length; i++) {
      if (String(state.rows[i].id) === String(s.id)) return i;
    }
    return -1;
  }

  function pages() { return Math.max(1, Math.ceil(state.rows.length / wanbei.tables.PAGE)); }

  // --- rendering --------------------------------------------------------------------------------

  function focusedPairName() {
    var officials = wanbei.officials;
    var id = officials && officials.focused ? officials.focused() : null;
    if (!id) return null;
    var pairings = wanbei.entries.pairings;
    var found = pairings && pairings.data && pairings.data.features.filter(function (f) {
      return String(f.id) === String(id);
    })[0];
    if (!found) return id;
    var p = found.properties || {};
    return p.helping_name_zh + " → " + p.helped_name_zh;
  }

  function renderHead(cfg) {
    var tr = el("tr");
    columnsOf(cfg).forEach(function (field) {
      var th = el("th");
      th.scope = "col";
      var sorted = state.sort && state.sort.name === field.name ? state.sort.dir : 0;
      th.setAttribute("aria-sort", sorted === 1 ? "ascending" : sorted === -1 ? "descending" : "none");
      var b = el("button", "wb-tsort", field.label);
      b.type = "button";
      b.setAttribute("data-sort", field.name);
      b.appendChild(el("span", "wb-tsort-mark", sorted === 1 ? " ▲" : sorted === -1 ? " ▼" : ""));
      b.addEventListener("click", function () { sortBy(field.name); });
      th.appendChild(b);
      tr.appendChild(th);
    });
    $("wb-tables-head").replaceChildren(tr);
  }

  function renderRow(cfg, columns, feature, i) {
    var tr = el("tr");
    tr.setAttribute("data-id", String(feature.id));
    var selected = state.selected && state.selected.layer === cfg.id &&
      String(state.selected.id) === String(feature.id);
    if (selected) tr.classList.add("wb-selected");
    columns.forEach(function (field, j) {
      var cell = cellText(cfg, field, feature.properties);
      var node = cell.unknown ? el("span", "wb-unknown", cell.text) : document.createTextNode(cell.text);
      if (j === 0) {
        var th = el("th");
        th.scope = "row";
        var b = el("button", "wb-trow");
        b.type = "button";
        b.tabIndex = i === state.active ? 0 : -1;
        if (selected) b.setAttribute("aria-current", "true");
        b.appendChild(node);
        th.appendChild(b);
        tr.appendChild(th);
      } else {
        var td = el("td");
        td.appendChild(node);
        tr.appendChild(td);
      }
    });
    return tr;
  }

  function render() {
    var e = entry(), body = $("wb-tables-body");
    var cfg = e ? e.cfg : null;
    var caption = $("wb-tables-caption");
    var pairName = focusedPairName();
    caption.textContent = (cfg ? cfg.title : "") +
      (pairName ? " · " + say("聚焦结对:{pair}", { pair: pairName }) : "");
    if (!cfg || !e.data) {
      $("wb-tables-head").replaceChildren();
      body.replaceChildren();
      $("wb-tables-status").textContent = e && wanbei.layers[e.cfg.id] && wanbei.layers[e.cfg.id].error
        ? say("加载失败") : say("加载中…");
      $("wb-tables-prev").disabled = true;
      $("wb-tables-next").disabled = true;
      return;
    }
    renderHead(cfg);
    var columns = columnsOf(cfg), size = wanbei.tables.PAGE;
    var from = state.page * size, to = Math.min(state.rows.length, from + size);
    if (state.active >= to - from) state.active = 0;
    var rows = [];
    for (var i = from; i < to; i++) rows.push(renderRow(cfg, columns, state.rows[i], i - from));
    if (!rows.length) {
      var tr = el("tr"), td = el("td", "wb-unknown", say("无符合条件的要素"));
      td.colSpan = columns.length;
      tr.appendChild(td);
      rows.push(tr);
    }
    var hadFocus = body.contains(document.activeElement);
    body.replaceChildren.apply(body, rows);
    if (hadFocus) focusActive();
    body.setAttribute("data-layer", cfg.id);
    $("wb-tables-prev").disabled = state.page === 0;
    $("wb-tables-next").disabled = state.page >= pages() - 1;
    var n = state.rows.length;
    $("wb-tables-range").textContent = n
      ? say("第 {from}–{to} 行,共 {n} 行", { from: number(from + 1), to: number(to), n: number(n) })
      : say("共 {n} 行", { n: 0 });
    $("wb-tables-status").textContent = say("{title}:{n} 行", { title: cfg.title, n: number(n) });
  }

  // Compute the rows again (after the map's filters, focus or data changed) and draw the page.
  function refresh() {
    state.scheduled = false;
    if (!state.open) {
      // nothing to show: the rows are computed when the panel opens (a big layer's are many)
      return;
    }
    var e = entry();
    if (e && e.data) {
      state.rows = sortRows(e.cfg, visibleFeatures(e));
    } else {
      state.rows = [];
    }
    var at = indexOfSelected();
    if (state.restart) {
      // other rows: from the first page (unless a click on the map asks for its row's page)
      state.page = 0;
      state.active = 0;
      state.restart = false;
    }
    if (state.reveal && at >= 0) {
      state.page = Math.floor(at / wanbei.tables.PAGE);
      state.active = at % wanbei.tables.PAGE;
    }
    state.page = Math.min(state.page, pages() - 1);
    render();
    highlight();
    if (state.reveal && at >= 0) {
      var row = rowNode(at % wanbei.tables.PAGE);
      if (row) row.scrollIntoView({ block: "nearest" });
    }
    state.reveal = false;
    wanbei.emit("wanbei:tables", { layer: state.layer, rows: state.rows.length, page: state.page });
  }

  // Many events come at once (a filter redraws and emits twice): refresh once after them.
  function schedule() {
    if (state.scheduled) return;
    state.scheduled = true;
    setTimeout(refresh, 0);
  }

  function rowNode(i) {
    return $("wb-tables-body").querySelectorAll("tr[data-id]")[i] || null;
  }

  // --- selection and the map --------------------------------------------------------------------

  function clearHighlight() {
    if (state.highlighted) state.highlighted.classList.remove("wb-highlight");
    state.highlighted = null;
    if (state.ring) state.ring.remove();
    state.ring = null;
  }

  // Mark the selected row's feature on the map (drawn again by every redraw: marked again).
  function highlight() {
    clearHighlight();
    var s = state.selected;
    if (!s || !state.open) return;
    var sub = wanbei.featureLayer(s.layer, s.id);
    if (!sub) return;
    var node = sub.getElement && sub.getElement();
    if (node && node.isConnected) {
      node.classList.add("wb-highlight");
      state.highlighted = node;
    } else if (sub.getLatLng) {
      // a point on a canvas or inside a cluster: a ring of its own
      var map = wanbei.map;
      if (!map.getPane("wb-highlight")) {
        var pane = map.createPane("wb-highlight");
        pane.style.zIndex = 640;
        pane.style.pointerEvents = "none";
        state.renderer = L.svg({ pane: "wb-highlight" });
      }
      state.ring = L.circleMarker(sub.getLatLng(), {
        pane: "wb-highlight", renderer: state.renderer, radius: 13, interactive: false,
        className: "wb-highlight-ring",
      }).addTo(map);
    }
  }

  // Mark the selected row on the page as it is (keyboard focus stays where it is).
  function markSelected() {
    var s = state.selected;
    $("wb-tables-body").querySelectorAll("tr[data-id]").forEach(function (tr, i) {
      var on = !!s && s.layer === state.layer && tr.getAttribute("data-id") === String(s.id);
      tr.classList.toggle("wb-selected", on);
      var b = tr.querySelector(".wb-trow");
      if (on) b.setAttribute("aria-current", "true");
      else b.removeAttribute("aria-current");
      b.tabIndex = i === state.active ? 0 : -1;
    });
  }

  function choose(id) {
    state.selected = { layer: state.layer, id: id };
    var at = indexOfSelected();
    if (at >= 0 && Math.floor(at / wanbei.tables.PAGE) === state.page) {
      state.active = at % wanbei.tables.PAGE;
    }
    markSelected();
    highlight();
    wanbei.openFeature(state.layer, id);
    wanbei.emit("wanbei:row", { layer: state.layer, id: id });
  }

  function onMapClick(ev) {
    var layer = ev.detail.layer, feature = ev.detail.feature;
    if (tableLayers().indexOf(layer) < 0 || feature.id === undefined) return;
    state.selected = { layer: layer, id: feature.id };
    if (layer !== state.layer) setLayer(layer, { keepSelection: true });
    state.reveal = true;
    schedule();
  }

  // --- controls ---------------------------------------------------------------------------------

  function setLayer(id, options) {
    if (tableLayers().indexOf(id) < 0) return false;
    state.layer = id;
    state.page = 0;
    state.active = 0;
    state.sort = null;
    $("wb-tables-layer").value = id;
    if (!(options && options.keepSelection) && state.selected && state.selected.layer !== id) {
      state.selected = null;
    }
    schedule();
    return true;
  }

  function sortBy(name) {
    var s = state.sort;
    state.sort = s && s.name === name ? (s.dir === 1 ? { name: name, dir: -1 } : null)
      : { name: name, dir: 1 };
    state.page = 0;
    state.active = 0;
    state.reveal = true;
    refresh();
    var b = document.querySelector("#wb-tables-head [data-sort='" + name + "']");
    if (b) b.focus();
  }

  function turn(page, focusRow) {
    var p = Math.max(0, Math.min(page, pages() - 1));
    if (p === state.page && focusRow === undefined) return;
    state.page = p;
    state.active = focusRow === "last"
      ? Math.max(0, Math.min(wanbei.tables.PAGE, state.rows.length - p * wanbei.tables.PAGE) - 1)
      : 0;
    render();
    if (focusRow !== undefined) focusActive();
  }

  function focusActive() {
    var row = rowNode(state.active);
    var b = row && row.querySelector(".wb-trow");
    if (b) b.focus();
  }

  function moveTo(i) {
    var buttons = $("wb-tables-body").querySelectorAll(".wb-trow");
    if (!buttons.length) return;
    i = Math.max(0, Math.min(i, buttons.length - 1));
    buttons.forEach(function (b, j) { b.tabIndex = j === i ? 0 : -1; });
    state.active = i;
    buttons[i].focus();
  }

  function onKey(ev) {
    var b = ev.target.closest && ev.target.closest(".wb-trow");
    if (!b) return;
    var count = $("wb-tables-body").querySelectorAll(".wb-trow").length;
    var i = state.active, last = state.page >= pages() - 1;
    if (ev.key === "ArrowDown") {
      if (i < count - 1) moveTo(i + 1);
      else if (!last) turn(state.page + 1, "first");
    } else if (ev.key === "ArrowUp") {
      if (i > 0) moveTo(i - 1);
      else if (state.page > 0) turn(state.page - 1, "last");
    } else if (ev.key === "Home") {
      moveTo(0);
    } else if (ev.key === "End") {
      moveTo(count - 1);
    } else if (ev.key === "PageDown") {
      if (!last) turn(state.page + 1, "first");
    } else if (ev.key === "PageUp") {
      if (state.page > 0) turn(state.page - 1, "first");
    } else {
      return;
    }
    ev.preventDefault();
  }

  function setOpen(open) {
    var panel = $("wb-tables"), toggle = $("wb-tables-toggle");
    var changed = state.open !== !!open;
    state.open = !!open;
    panel.hidden = !state.open;
    if (toggle) toggle.setAttribute("aria-expanded", state.open ? "true" : "false");
    // the map is narrower (or wider) now: let it know (the view is not touched otherwise)
    if (changed && wanbei.map) wanbei.map.invalidateSize();
    if (state.open) refresh();
    else clearHighlight();
  }

  function bind() {
    var select = $("wb-tables-layer");
    select.replaceChildren();
    if (state.layer === null) state.layer = tableLayers()[0] || null;
    tableLayers().forEach(function (id) {
      var e = wanbei.entries[id];
      if (!e) return;
      var o = el("option", null, e.cfg.title);
      o.value = id;
      select.appendChild(o);
    });
    select.value = state.layer;
    select.addEventListener("change", function () { setLayer(select.value); });
    $("wb-tables-prev").addEventListener("click", function () { turn(state.page - 1); });
    $("wb-tables-next").addEventListener("click", function () { turn(state.page + 1); });
    var body = $("wb-tables-body");
    body.addEventListener("click", function (ev) {
      var tr = ev.target.closest("tr[data-id]");
      if (tr) choose(tr.getAttribute("data-id"));
    });
    body.addEventListener("keydown", onKey);
    var toggle = $("wb-tables-toggle");
    if (toggle) toggle.addEventListener("click", function () { setOpen(!state.open); });
    var close = $("wb-tables-close");
    if (close) {
      close.addEventListener("click", function () {
        setOpen(false);
        if (toggle) toggle.focus();
      });
    }
    document.addEventListener("wanbei:drawn", schedule);
    document.addEventListener("wanbei:layer", function () {
      pairNames = null;
      schedule();
    });
    ["wanbei:focus", "wanbei:filter"].forEach(function (name) {
      document.addEventListener(name, function () {
        state.restart = true;
        schedule();
      });
    });
    document.addEventListener("wanbei:click", onMapClick);
  }

  function init() {
    if (!$("wb-tables") || !wanbei.map || state.started) return;
    state.started = true;
    state.collator = new Intl.Collator(document.documentElement.lang || "zh-CN", { numeric: true });
    bind();
    setOpen(!$("wb-tables").hidden);
  }

  wanbei.tables = {
    PAGE: 50,
    init: init,
    open: setOpen,
    isOpen: function () { return state.open; },
    setLayer: setLayer,
    layer: function () { return state.layer; },
    // the ids of all the rows (every page), in order
    rowIds: function () { return state.rows.map(function (f) { return String(f.id); }); },
    page: function () { return state.page; },
    pages: pages,
    selected: function () { return state.selected ? Object.assign({}, state.selected) : null; },
    // select a row as a click on it does (turning to its page)
    choose: function (layer, id) {
      if (layer !== state.layer && !setLayer(layer)) return false;
      state.selected = { layer: layer, id: id };
      state.reveal = true;
      refresh();
      choose(id);
      return true;
    },
    sortBy: sortBy,
    refresh: refresh,
  };

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else setTimeout(init, 0);
})(window.wanbei);
