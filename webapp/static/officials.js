/* officials.js — the officials' tools: wanbei.initOfficials and wanbei.officials.
 *
 * - Focus a pair: click a city (or a pairing, park, project…) or pick a pair in the list; its
 *   features are highlighted and the rest dimmed; the panel shows the pair's summary from
 *   /api/pairs.json (built by the server once per data version). `?pair=` records it.
 * - Search (Chinese, English, pinyin, initials) over the index of /api/search.json; picking a
 *   result flies to the feature and opens its popup.
 * - Filters: pair, province of the helping side, sector, status, year range; the year slider
 *   (2021–2030, with play) is the end of the range: the map shows what existed by that year.
 *   A feature's year is the earliest of its layer's `timeline` properties; a feature with none
 *   is "undated": always shown, drawn hollow while a year filter is on, and counted apart.
 *   Layers without a timeline (places, boundaries) are timeless. Counts and the download links
 *   follow the filters (as far as the downloads' equality filters can express them).
 *   The sector filter's value is canonical in every language (the data's Simplified Chinese,
 *   as the downloads and the server's `sector=` take it); its options are labelled as the
 *   features of the page's language carry the sector (`cfg.sectors`: canonical -> label), and a
 *   feature passes when its sector is the label of the chosen value. The Traditional form old
 *   zh-Hant links carry (`cfg.sector_aliases`) is read as its canonical value.
 * - Statistics: the server's SVG charts, and a link to /stats.
 * It also starts the basemaps, the furniture and the exporter with their parts of the config.
 */
(function (wanbei) {
  "use strict";

  var el = wanbei.dom.el;
  var ALL = "";
  var NONE = "__none__"; // the sector filter's value for "sector unknown"
  // The basemap of a page that declares none (the page declares them in data-basemaps).
  var OFFLINE = { id: "offline", title: wanbei.t("离线行政区划"), crs: "wgs84", tiles: [],
                  attribution: "", max_zoom: 14 };

  var state = {
    map: null,
    cfg: null,
    pairs: [], // summaries
    byId: {}, // pair id -> summary
    byAdcode: {},
    featurePairs: {}, // layer -> feature id -> [pair ids]
    focus: null,
    filter: { pair: ALL, province: ALL, sector: ALL, status: ALL, from: 2021, to: 2030 },
    years: [2021, 2030],
    lean: {}, // layers drawn lean: a feature's pair comes from its pairing_id
    sectors: {}, // canonical sector -> as the features in the page's language carry it
    sectorAliases: {}, // an old link's form of a sector -> the canonical sector
    playing: null,
    ready: { pairs: false, search: false, layers: false },
  };

  function $(id) { return document.getElementById(id); }

  // Whether the page has the tools' panel (the map page has; a page embedding only the map
  // may not: then focus, filters and search work from code and the URL, without controls).
  function hasPanel() { return !!$("wb-panel"); }

  var getJSON = wanbei.getJSON;

  // "a(b)" in the page's language
  function paren(a, b) { return wanbei.t("{a}({b})", { a: a, b: b }); }

  // --- feature facts ----------------------------------------------------------------------------

  function yearOf(cfg, feature) {
    var props = feature.properties || {}, best = null;
    (cfg.timeline || []).forEach(function (name) {
      var v = props[name];
      if (v === null || v === undefined || v === "") return;
      var m = /^(\d{4})/.exec(String(v));
      if (m) {
        var y = parseInt(m[1], 10);
        if (best === null || y < best) best = y;
      }
    });
    return best;
  }

  function timeFiltered() {
    var f = state.filter;
    return f.from > state.years[0] || f.to < state.years[1];
  }

  function pairsOf(layerId, feature) {
    if (state.lean[layerId]) {
      var pid = (feature.properties || {}).pairing_id, byPairing = state.featurePairs.pairings;
      return (pid && byPairing && byPairing[pid]) || [];
    }
    var byLayer = state.featurePairs[layerId];
    return (byLayer && byLayer[feature.id]) || [];
  }

  // The pair ids the pair and province filters allow; null when they allow all.
  function allowedPairs() {
    var f = state.filter;
    if (f.pair === ALL && f.province === ALL) return null;
    var allowed = {};
    state.pairs.forEach(function (p) {
      if (f.pair !== ALL && p.id !== f.pair) return;
      if (f.province !== ALL && p.helping.province_adcode !== f.province) return;
      allowed[p.id] = true;
    });
    return allowed;
  }

  function has(props, name) {
    return Object.prototype.hasOwnProperty.call(props || {}, name);
  }

  // The sector as the features of the page's language carry it (a value the config does not
  // know is its own label).
  function sectorLabel(value) {
    return has(state.sectors, value) ? state.sectors[value] : value;
  }

  // The canonical value of a sector given in another form (an old link's Traditional text, or
  // the label of an option); NONE and ALL as they are.
  function canonicalSector(value) {
    if (value === ALL || value === NONE || has(state.sectors, value)) return value;
    if (has(state.sectorAliases, value)) return state.sectorAliases[value];
    var found = Object.keys(state.sectors).filter(function (k) {
      return state.sectors[k] === value;
    });
    return found.length ? found[0] : value;
  }

  function passes(cfg, feature, allowed) {
    if (cfg.pane === "basemap") return true;
    var f = state.filter, props = feature.properties || {};
    if (allowed) {
      var ok = pairsOf(cfg.id, feature).some(function (p) { return allowed[p]; });
      if (!ok) return false;
    }
    if (f.sector !== ALL && has(props, "sector")) {
      var empty = props.sector === null || props.sector === "";
      var match = f.sector === NONE ? empty : !empty && props.sector === sectorLabel(f.sector);
      if (!match) return false;
    }
    if (f.status !== ALL && has(props, "status") && props.status !== f.status) return false;
    if (timeFiltered() && cfg.timeline && cfg.timeline.length) {
      var y = yearOf(cfg, feature);
      if (y !== null && (y < f.from || y > f.to)) return false;
    }
    return true;
  }

  function classesFor(cfg, feature) {
    var out = [];
    if (timeFiltered() && cfg.timeline && cfg.timeline.length && yearOf(cfg, feature) === null) {
      out.push("wb-undated");
    }
    var focus = state.focus;
    if (focus) {
      var ids = focus.sets[cfg.id] || {};
      if (cfg.pane === "basemap") {
        if (ids[feature.id]) out.push("wb-focus-area");
      } else {
        var inPair = state.lean[cfg.id]
          ? pairsOf(cfg.id, feature).indexOf(focus.pair.id) >= 0 : ids[feature.id];
        out.push(inPair ? "wb-focus" : "wb-dim");
      }
    }
    return out.join(" ");
  }

  // --- focus ------------------------------------------------------------------------------------

  function setsOf(pair) {
    var sets = {};
    Object.keys(pair.features).forEach(function (layer) {
      sets[layer] = {};
      pair.features[layer].forEach(function (id) { sets[layer][id] = true; });
    });
    return sets;
  }

  function focus(pairId, options) {
    options = options || {};
    var pair = pairId ? state.byId[pairId] : null;
    if (pairId && !pair) {
      wanbei.notify(wanbei.t("未知的结对: {id}", { id: pairId }), "focus");
      return false;
    }
    state.focus = pair ? { pair: pair, sets: setsOf(pair) } : null;
    wanbei.restyle();
    var container = state.map.getContainer();
    if (pair) container.setAttribute("data-focus", pair.id);
    else container.removeAttribute("data-focus");
    if (hasPanel()) {
      $("wb-pair-select").value = pair ? pair.id : ALL;
      wanbei.summary.render(pair, summaryTools);
    }
    if (pair && options.fly !== false && pair.bounds) {
      fitPair(pair, true);
    }
    writeURL();
    wanbei.emit("wanbei:focus", { pair: pair ? pair.id : null });
    return true;
  }

  // Fit the map to a pair's two ends inside the part of the map no control covers
  // (wanbei.freeArea: the legend, layer list and tools are measured where they are).
  function fitPair(pair, fly) {
    if (!pair || !pair.bounds) return;
    wanbei.fitFree(pair.bounds, fly ? { maxZoom: 9, duration: 0.6 } : { maxZoom: 9 }, fly);
  }

  var summaryTools = {
    focus: function (id) { return focus(id); },
    fit: function (pair) { fitPair(pair, true); },
    setFilter: function (changes) { return setFilter(changes); },
    pick: function (layer, id) { return pick(layer, id); },
  };

  function pairForClick(layer, feature) {
    var props = feature.properties || {};
    if (layer === "places" || layer === "boundaries") return state.byAdcode[props.adcode] || null;
    var pairs = pairsOf(layer, feature);
    return pairs.length ? pairs[0] : null;
  }


  // --- filters ----------------------------------------------------------------------------------

  function option(select, value, text) {
    var o = el("option", null, text);
    o.value = value;
    select.appendChild(o);
    return o;
  }

  function fillFilters() {
    if (!hasPanel()) return;
    var fp = $("wb-f-pair"), fprov = $("wb-f-province"), fsec = $("wb-f-sector");
    var fst = $("wb-f-status"), sel = $("wb-pair-select");
    [fp, fprov, fsec, fst].forEach(function (s) { s.replaceChildren(); option(s, ALL, wanbei.t("全部")); });
    sel.replaceChildren();
    option(sel, ALL, wanbei.t("— 未选择 —"));
    state.pairs.forEach(function (p) {
      option(fp, p.id, p.label_zh);
      option(sel, p.id, p.label_zh);
    });
    state.provinces.forEach(function (p) { option(fprov, p.adcode, p.name_zh); });
    var sectors = {}, statuses = {};
    Object.keys(wanbei.entries).forEach(function (id) {
      var entry = wanbei.entries[id];
      if (!entry.data || entry.cfg.pane === "basemap") return;
      entry.data.features.forEach(function (f) {
        var props = f.properties || {};
        if (has(props, "sector")) sectors[props.sector || NONE] = true;
        if (has(props, "status") && props.status) {
          statuses[id] = statuses[id] || {};
          statuses[id][props.status] = true;
        }
      });
    });
    // one option per canonical sector the features carry, labelled in the page's language
    var options = {};
    Object.keys(state.sectors).forEach(function (s) {
      if (sectors[state.sectors[s]]) options[s] = state.sectors[s];
    });
    Object.keys(sectors).forEach(function (label) {
      if (label === NONE) options[NONE] = wanbei.t("未知");
      else if (!has(options, canonicalSector(label))) options[label] = label;
    });
    Object.keys(options).sort().forEach(function (s) { option(fsec, s, options[s]); });
    Object.keys(statuses).forEach(function (layerId) {
      var cfg = wanbei.entries[layerId].cfg;
      var group = el("optgroup");
      group.label = cfg.title;
      var labels = (cfg.values && cfg.values.status) || {};
      Object.keys(statuses[layerId]).forEach(function (code) {
        var o = el("option", null, labels[code] || code);
        o.value = code;
        group.appendChild(o);
      });
      fst.appendChild(group);
    });
    syncInputs();
  }

  function syncInputs() {
    if (!hasPanel()) return;
    var f = state.filter;
    $("wb-f-pair").value = f.pair;
    $("wb-f-province").value = f.province;
    $("wb-f-sector").value = f.sector;
    $("wb-f-status").value = f.status;
    $("wb-f-from").value = f.from;
    $("wb-year").value = f.to;
    $("wb-year-out").textContent = wanbei.t("{n} 年", { n: f.to });
  }

  function setFilter(changes, options) {
    Object.keys(changes).forEach(function (k) {
      state.filter[k] = k === "sector" ? canonicalSector(changes[k]) : changes[k];
    });
    var f = state.filter, y = state.years;
    // the years stay on the slider (it ends at the data's last year)
    f.from = Math.min(Math.max(f.from, y[0]), y[1]);
    f.to = Math.min(Math.max(f.to, y[0]), y[1]);
    if (f.from > f.to) {
      if (Object.prototype.hasOwnProperty.call(changes, "from")) f.to = f.from;
      else f.from = f.to;
    }
    syncInputs();
    wanbei.redraw(Object.keys(wanbei.entries).filter(function (id) {
      return wanbei.entries[id].cfg.pane !== "basemap";
    }));
    if (!options || options.url !== false) writeURL();
    wanbei.emit("wanbei:filter", { filter: Object.assign({}, f) });
  }

  function resetFilters() {
    stop();
    setFilter({ pair: ALL, province: ALL, sector: ALL, status: ALL, from: state.years[0],
                to: state.years[1] });
  }

  function filtersActive() {
    var f = state.filter;
    return f.pair !== ALL || f.province !== ALL || f.sector !== ALL || f.status !== ALL ||
      timeFiltered();
  }

  function updateCounts() {
    if (!hasPanel()) return;
    var table = $("wb-counts");
    table.replaceChildren();
    var undated = 0;
    Object.keys(wanbei.entries).forEach(function (id) {
      var entry = wanbei.entries[id];
      if (!entry.data || entry.cfg.pane === "basemap") return;
      var tr = el("tr");
      tr.setAttribute("data-layer", id);
      tr.appendChild(el("th", null, entry.cfg.title));
      var td = el("td", null, entry.shown + " / " + entry.data.features.length);
      tr.appendChild(td);
      table.appendChild(tr);
      if (timeFiltered() && entry.cfg.timeline && entry.cfg.timeline.length) {
        entry.data.features.forEach(function (f) {
          if (yearOf(entry.cfg, f) === null && passes(entry.cfg, f, allowedPairs())) undated += 1;
        });
      }
    });
    var note = $("wb-undated-note");
    note.textContent = undated
      ? wanbei.t("{n} 个要素无日期:始终显示,以空心/虚线标出", { n: undated })
      : "";
    $("wb-filter-state").textContent = filtersActive() ? wanbei.t("已筛选") : "";
    updateDownloads();
  }

  // The query parameters of one layer's download for the current filters, and whether some
  // filter that changes that layer on the map could not be expressed.
  function downloadQuery(cfg) {
    var f = state.filter, q = new URLSearchParams(), partial = [];
    var qs = cfg.queryables || [];
    var entry = wanbei.entries[cfg.id];
    var feats = entry && entry.data ? entry.data.features : [];
    var anyHas = function (name) { return feats.some(function (x) { return has(x.properties, name); }); };
    if (cfg.pane === "basemap") return { query: q, partial: partial };
    if (f.pair !== ALL && f.province === ALL && qs.indexOf("pairing_id") >= 0) {
      q.set("pairing_id", f.pair);
    } else if (f.pair !== ALL || f.province !== ALL) {
      partial.push(f.pair !== ALL ? wanbei.t("结对") : wanbei.t("省市"));
    }
    if (f.sector !== ALL && anyHas("sector")) {
      if (qs.indexOf("sector") >= 0 && f.sector !== NONE) q.set("sector", f.sector);
      else partial.push(wanbei.t("行业"));
    }
    if (f.status !== ALL && anyHas("status")) {
      if (qs.indexOf("status") >= 0) q.set("status", f.status);
      else partial.push(wanbei.t("状态"));
    }
    if (timeFiltered() && cfg.timeline && cfg.timeline.length) partial.push(wanbei.t("年份"));
    return { query: q, partial: partial };
  }

  function updateDownloads() {
    var missing = {};
    var links = document.querySelectorAll("a[href*='/downloads/']");
    links.forEach(function (a) {
      if (!a.hasAttribute("data-wb-href")) a.setAttribute("data-wb-href", a.getAttribute("href"));
      var base = a.getAttribute("data-wb-href");
      var m = /\/downloads\/([^/.?]+)\.[^/?]+/.exec(base);
      var entry = m && wanbei.entries[m[1]];
      if (!entry) return;
      var dq = downloadQuery(entry.cfg);
      var url = new URL(base, window.location.href);
      dq.query.forEach(function (v, k) { url.searchParams.set(k, v); });
      a.setAttribute("href", url.pathname + url.search);
      if (dq.query.toString()) a.setAttribute("data-wb-filtered", dq.query.toString());
      else a.removeAttribute("data-wb-filtered");
      dq.partial.forEach(function (name) {
        missing[name] = missing[name] || {};
        missing[name][entry.cfg.title] = true;
      });
    });
    var note = $("wb-download-note");
    var parts = Object.keys(missing).map(function (name) {
      return paren(name, Object.keys(missing[name]).join(wanbei.t("、")));
    });
    note.textContent = filtersActive()
      ? (parts.length
        ? wanbei.t("下载链接已按可表达的条件筛选;未能按 {filters} 筛选,这些下载含全部要素。",
                   { filters: parts.join(wanbei.t(";")) })
        : wanbei.t("下载链接已按当前筛选条件筛选。"))
      : "";
  }

  // --- year slider ------------------------------------------------------------------------------

  function stop() {
    if (state.playing) {
      clearInterval(state.playing);
      state.playing = null;
    }
    var b = $("wb-play");
    if (!b) return;
    b.textContent = wanbei.t("▶ 播放");
    b.setAttribute("aria-pressed", "false");
  }

  function play() {
    if (state.playing) return stop();
    var f = state.filter;
    if (f.to >= state.years[1]) setFilter({ to: f.from });
    var b = $("wb-play") || el("button");
    b.textContent = wanbei.t("⏸ 暂停");
    b.setAttribute("aria-pressed", "true");
    state.playing = setInterval(function () {
      if (state.filter.to >= state.years[1]) return stop();
      setFilter({ to: state.filter.to + 1 });
    }, wanbei.officials.playInterval);
  }

  function pick(layerId, featureId) {
    var entry = wanbei.entries[layerId];
    if (!entry || !entry.data) return false;
    if (!wanbei.featureLayer(layerId, featureId) && filtersActive()) {
      resetFilters();
      wanbei.notify(wanbei.t("已清除筛选,以显示所选要素"), "search");
      setTimeout(function () { wanbei.notify("", "search"); }, 4000);
    }
    if (layerId === "pairings") {
      var pairs = state.featurePairs.pairings[featureId];
      if (pairs && pairs.length) focus(pairs[0], { fly: false });
    }
    return wanbei.openFeature(layerId, featureId);
  }


  // --- statistics -------------------------------------------------------------------------------

  function initStats(cfg) {
    var box = $("wb-stats-charts");
    if (!box) return;
    cfg.charts.forEach(function (c) {
      var img = el("img", "wb-chart");
      // the panel is a narrow column: each chart's narrow layout (drawn at the panel's width,
      // its 11–14 px text never shrunk), served beside the wide one as NAME-narrow.svg
      img.src = wanbei.url(c.narrow_url);
      img.alt = wanbei.t("统计图: {name}", { name: c.name });
      img.loading = "lazy";
      img.setAttribute("data-chart", c.name);
      box.appendChild(img);
    });
  }

  // --- the URL ----------------------------------------------------------------------------------

  var URL_KEYS = ["pair", "basemap", "cluster", "f_pair", "province", "sector", "status", "from", "to"];

  function writeURL() {
    if (!state.ready.pairs) return;
    var params = new URLSearchParams(window.location.search);
    URL_KEYS.forEach(function (k) { params.delete(k); });
    var f = state.filter;
    if (state.focus) params.set("pair", state.focus.pair.id);
    var basemap = wanbei.basemaps && wanbei.basemaps.current();
    if (basemap && basemap.id !== "offline") params.set("basemap", basemap.id);
    if (wanbei.furniture && wanbei.furniture.clustering()) params.set("cluster", "1");
    if (f.pair !== ALL) params.set("f_pair", f.pair);
    if (f.province !== ALL) params.set("province", f.province);
    if (f.sector !== ALL) params.set("sector", f.sector);
    if (f.status !== ALL) params.set("status", f.status);
    if (f.from !== state.years[0]) params.set("from", String(f.from));
    if (f.to !== state.years[1]) params.set("to", String(f.to));
    var qs = params.toString();
    history.replaceState(null, "", window.location.pathname + (qs ? "?" + qs : "") + window.location.hash);
    wanbei.emit("wanbei:url", {});
  }

  function readURL() {
    var params = new URLSearchParams(window.location.search);
    var f = {}, y = state.years;
    var year = function (k) {
      var v = parseInt(params.get(k), 10);
      return isNaN(v) ? null : Math.min(Math.max(v, y[0]), y[1]);
    };
    if (params.get("f_pair") && state.byId[params.get("f_pair")]) f.pair = params.get("f_pair");
    if (params.get("province")) f.province = params.get("province");
    if (params.get("sector")) f.sector = params.get("sector");
    if (params.get("status")) f.status = params.get("status");
    if (year("from") !== null) f.from = year("from");
    if (year("to") !== null) f.to = year("to");
    return { filter: f, pair: params.get("pair") };
  }

  // --- start ------------------------------------------------------------------------------------

  function maybeReady() {
    var r = state.ready;
    if (!(r.pairs && r.search && r.layers) || state.started) return;
    state.started = true;
    fitYears();
    fillFilters();
    var fromURL = readURL();
    if (Object.keys(fromURL.filter).length) setFilter(fromURL.filter, { url: false });
    // an old link's form of the sector is written back as the canonical value
    if (fromURL.filter.sector && fromURL.filter.sector !== state.filter.sector) writeURL();
    // a link that names a view keeps it (permalink.js): the pair is focused without flying
    var keep = wanbei.permalink && wanbei.permalink.hasView();
    if (fromURL.pair) focus(fromURL.pair, keep ? { fly: false } : undefined);
    // a basemap the URL named but that is not shown (unknown, or it failed: fallback.js)
    var named = new URLSearchParams(window.location.search).get("basemap");
    var shown = wanbei.basemaps && wanbei.basemaps.current();
    if (named && shown && named !== shown.id) writeURL();
    updateCounts();
    document.documentElement.setAttribute("data-wanbei-tools", "1");
  }

  // The slider ends at the last year the data has (the programme runs to cfg.years[1]: that
  // span is said beside the slider, not played through empty years).
  function fitYears() {
    var last = null;
    Object.keys(wanbei.entries).forEach(function (id) {
      var entry = wanbei.entries[id];
      if (!entry.data || !entry.cfg.timeline || !entry.cfg.timeline.length) return;
      entry.data.features.forEach(function (f) {
        var y = yearOf(entry.cfg, f);
        if (y !== null && (last === null || y > last)) last = y;
      });
    });
    var programme = state.cfg.years;
    if (last === null) last = programme[1];
    last = Math.max(programme[0], Math.min(last, programme[1]));
    state.years = [programme[0], last];
    if (state.filter.to > last) state.filter.to = last;
    if (state.filter.from > last) state.filter.from = last;
    ["wb-f-from", "wb-year"].forEach(function (id) { if ($(id)) $(id).max = last; });
    var span = $("wb-year-span");
    if (span) {
      span.textContent = wanbei.t("资料止于 {last} 年;规划期 {from}–{to} 年",
                                  { last: last, from: programme[0], to: programme[1] });
    }
  }

  function bindPanel() {
    if (!hasPanel()) return;
    $("wb-pair-select").addEventListener("change", function (e) { focus(e.target.value || null); });
    $("wb-f-pair").addEventListener("change", function (e) { setFilter({ pair: e.target.value }); });
    $("wb-f-province").addEventListener("change", function (e) { setFilter({ province: e.target.value }); });
    $("wb-f-sector").addEventListener("change", function (e) { setFilter({ sector: e.target.value }); });
    $("wb-f-status").addEventListener("change", function (e) { setFilter({ status: e.target.value }); });
    $("wb-f-from").addEventListener("change", function (e) {
      var v = parseInt(e.target.value, 10);
      if (!isNaN(v)) setFilter({ from: Math.min(Math.max(v, state.years[0]), state.years[1]) });
    });
    $("wb-year").addEventListener("input", function (e) {
      stop();
      setFilter({ to: parseInt(e.target.value, 10) });
    });
    $("wb-play").addEventListener("click", play);
    $("wb-f-reset").addEventListener("click", resetFilters);
    var toggle = $("wb-panel-toggle");
    if (toggle) {
      toggle.addEventListener("click", function () {
        var hidden = document.body.classList.toggle("wb-panel-hidden");
        toggle.setAttribute("aria-expanded", hidden ? "false" : "true");
        state.map.invalidateSize();
      });
    }
    document.addEventListener("keydown", function (e) {
      if (e.key === "Escape" && state.focus && document.activeElement === document.body) focus(null);
    });
  }

  wanbei.initOfficials = function (map, cfg) {
    state.map = map;
    state.cfg = cfg;
    state.years = cfg.years.slice();
    state.sectors = cfg.sectors || {};
    state.sectorAliases = cfg.sector_aliases || {};
    state.filter.from = cfg.years[0];
    state.filter.to = cfg.years[1];
    ["wb-f-from", "wb-year"].forEach(function (id) {
      if (!$(id)) return;
      $(id).min = cfg.years[0];
      $(id).max = cfg.years[1];
    });
    wanbei.view.filter = function (c, feature) { return passes(c, feature, allowedPairs()); };
    wanbei.view.classes = classesFor;
    var params = new URLSearchParams(window.location.search);
    var declared = document.querySelector("[data-basemaps]");
    var specs = declared ? JSON.parse(declared.getAttribute("data-basemaps")) : [OFFLINE];
    wanbei.basemaps.init(map, specs, params.get("basemap") || "offline");
    wanbei.furniture.init(map, cfg);
    if (params.get("cluster") === "1") wanbei.furniture.setClustering(true);
    if (wanbei.exporter) wanbei.exporter.init(map, cfg);
    bindPanel();
    wanbei.search.init({ apiUrl: cfg.search_api_url, pick: function (e) {
      if (e.kind === "layer") wanbei.showLayer(e.layer);
      else pick(e.layer, e.id);
    } });
    initStats(cfg);
    if (wanbei.layout) wanbei.layout.init(map);
    document.addEventListener("wanbei:drawn", function () { if (state.started) updateCounts(); });
    document.addEventListener("wanbei:basemap", writeURL);
    document.addEventListener("wanbei:cluster", writeURL);
    document.addEventListener("wanbei:click", function (e) {
      var pair = pairForClick(e.detail.layer, e.detail.feature);
      if (pair && (!state.focus || state.focus.pair.id !== pair)) focus(pair, { fly: false });
    });
    document.addEventListener("wanbei:ready", function () {
      state.ready.layers = true;
      maybeReady();
    });
    if (document.documentElement.getAttribute("data-wanbei-ready") === "1") state.ready.layers = true;
    getJSON(cfg.pairs_url).then(function (data) {
      state.pairs = data.pairs;
      state.provinces = data.provinces;
      state.byAdcode = data.by_adcode;
      (data.lean || []).forEach(function (layer) { state.lean[layer] = true; });
      data.pairs.forEach(function (p) {
        state.byId[p.id] = p;
        Object.keys(p.features).forEach(function (layer) {
          var byLayer = state.featurePairs[layer] = state.featurePairs[layer] || {};
          p.features[layer].forEach(function (id) {
            (byLayer[id] = byLayer[id] || []).push(p.id);
          });
        });
      });
      state.ready.pairs = true;
      maybeReady();
    }).catch(function (err) {
      wanbei.notify(wanbei.t("结对摘要加载失败: {error}", { error: err.message }), "pairs");
    });
    getJSON(cfg.search_url).then(function (data) {
      wanbei.search.setIndex(data);
      state.ready.search = true;
      maybeReady();
    }).catch(function (err) {
      wanbei.notify(wanbei.t("搜索索引加载失败: {error}", { error: err.message }), "search");
    });
  };

  wanbei.officials = {
    focus: focus,
    focused: function () { return state.focus ? state.focus.pair.id : null; },
    setFilter: setFilter,
    resetFilters: resetFilters,
    filter: function () { return Object.assign({}, state.filter); },
    search: function (q, limit) { return wanbei.search.search(q, limit); },
    searchAll: function (q, limit) { return wanbei.search.searchAll(q, limit); },
    fitPair: fitPair,
    pick: pick,
    play: play,
    stop: stop,
    yearOf: yearOf,
    normalize: function (text) { return wanbei.search.normalize(text); },
    playInterval: 1200,
  };
})(window.wanbei);
