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
  var OFFLINE = { id: "offline", title_zh: wanbei.t("离线行政区划"), crs: "wgs84", tiles: [],
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
    search: [],
    remote: [], // layers searched on the server (/api/search): too big for the index
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

  function getJSON(url) {
    return fetch(wanbei.url(url), { headers: { Accept: "application/json" } }).then(function (r) {
      if (!r.ok) throw new Error(url + ": HTTP " + r.status);
      return r.json();
    });
  }

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
      renderSummary(pair);
    }
    if (pair && options.fly !== false && pair.bounds) {
      state.map.flyToBounds(pair.bounds, { padding: [60, 60], maxZoom: 9, duration: 0.6 });
    }
    writeURL();
    wanbei.emit("wanbei:focus", { pair: pair ? pair.id : null });
    return true;
  }

  function pairForClick(layer, feature) {
    var props = feature.properties || {};
    if (layer === "places" || layer === "boundaries") return state.byAdcode[props.adcode] || null;
    var pairs = pairsOf(layer, feature);
    return pairs.length ? pairs[0] : null;
  }

  function item(text, onClick) {
    var li = el("li");
    if (onClick) {
      var b = el("button", "wb-link", text);
      b.type = "button";
      b.addEventListener("click", onClick);
      li.appendChild(b);
    } else {
      li.textContent = text;
    }
    return li;
  }

  function section(box, title, count) {
    box.appendChild(el("h4", null, count === undefined ? title : paren(title, count)));
  }

  function list(box, rows) {
    var ul = el("ul", "wb-list");
    rows.forEach(function (r) { ul.appendChild(r); });
    box.appendChild(ul);
    return ul;
  }

  // "a(b)" in the page's language
  function paren(a, b) { return wanbei.t("{a}({b})", { a: a, b: b }); }

  function yi(v) {
    return v === null || v === undefined ? null
      : wanbei.t("{n} 亿元", { n: v.toLocaleString("zh-CN") });
  }

  function unknown(text) { return el("span", "wb-unknown", text || wanbei.t("未知")); }

  function renderSummary(pair) {
    var box = $("wb-pair-summary");
    box.replaceChildren();
    box.hidden = !pair;
    if (!pair) return;
    var head = el("div", "wb-summary-head");
    head.appendChild(el("h3", null, pair.helping.name_zh + " → " + pair.helped.name_zh));
    var close = el("button", "wb-close", "×");
    close.type = "button";
    close.title = wanbei.t("取消聚焦");
    close.setAttribute("aria-label", wanbei.t("取消聚焦"));
    close.addEventListener("click", function () { focus(null); });
    head.appendChild(close);
    box.appendChild(head);

    var dl = el("dl", "wb-facts");
    function fact(term, value) {
      dl.appendChild(el("dt", null, term));
      var dd = el("dd");
      if (value === null || value === undefined || value === "") dd.appendChild(unknown());
      else if (value instanceof Node) dd.appendChild(value);
      else dd.textContent = String(value);
      dl.appendChild(dd);
    }
    var sideText = function (s) { return s.province_zh ? paren(s.name_zh, s.province_zh) : s.name_zh; };
    fact(wanbei.t("帮扶方"), sideText(pair.helping));
    fact(wanbei.t("受帮扶方"), sideText(pair.helped));
    fact(wanbei.t("结对起始"), pair.since ? wanbei.t("{n} 年", { n: pair.since }) : null);
    fact(wanbei.t("直线距离"), pair.length_km !== null ? wanbei.t("{n} 公里", { n: pair.length_km }) : null);
    var pr = pair.projects;
    fact(wanbei.t("合作项目"), pr.count !== null ? wanbei.t("{n} 个(资料报告合计)", { n: pr.count }) : null);
    fact(wanbei.t("协议投资"), yi(pr.investment_yi));
    box.appendChild(dl);

    var tools = el("div", "wb-summary-tools");
    var zoom = el("button", null, wanbei.t("缩放至此结对"));
    zoom.type = "button";
    zoom.addEventListener("click", function () {
      if (pair.bounds) state.map.flyToBounds(pair.bounds, { padding: [60, 60], maxZoom: 9 });
    });
    var only = el("button", null, wanbei.t("只显示此结对"));
    only.type = "button";
    only.addEventListener("click", function () { setFilter({ pair: pair.id }); });
    tools.appendChild(zoom);
    tools.appendChild(only);
    box.appendChild(tools);

    section(box, wanbei.t("县(区)级结对"), pair.county_pairs.length);
    if (pair.county_pairs.length) {
      list(box, pair.county_pairs.map(function (c) {
        return item(c.helping_name_zh + " → " + c.helped_name_zh, function () {
          wanbei.openFeature("pairings", c.id);
        });
      }));
    } else {
      box.appendChild(el("p", "wb-unknown", wanbei.t("资料未列出")));
    }

    section(box, wanbei.t("共建园区"), pair.parks.length);
    list(box, pair.parks.map(function (p) {
      return item(p.name_zh + " · " + p.status_zh, function () { pick("parks", p.id); });
    }));

    section(box, wanbei.t("合作项目"));
    var p1 = el("p");
    var words = function (text) { p1.appendChild(document.createTextNode(text)); };
    words(wanbei.t("资料报告") + " ");
    p1.appendChild(pr.count !== null ? document.createTextNode(wanbei.t("{n} 个", { n: pr.count })) : unknown());
    words(wanbei.t(",协议投资") + " ");
    p1.appendChild(pr.investment_yi !== null ? document.createTextNode(yi(pr.investment_yi)) : unknown());
    words(wanbei.t(";资料点名 {n} 个", { n: pr.named_count }));
    if (pr.named_count && pr.named.every(function (n) { return n.investment_yi === null; })) {
      words(wanbei.t("(单个项目投资额未公布)"));
    }
    box.appendChild(p1);
    pr.totals.forEach(function (t) {
      var years = wanbei.t("{n} 年", { n: t.year_from === t.year_to ? t.year_from
        : t.year_from + "–" + t.year_to });
      box.appendChild(el("p", "wb-small", wanbei.t("{years}:{n} 个项目", { years: years, n: t.projects_count }) +
        (t.investment_yi !== null ? wanbei.t(",协议投资") + " " + yi(t.investment_yi) : "")));
    });
    if (pr.named.length) {
      list(box, pr.named.map(function (n) {
        return item(n.name_zh + (n.year ? " · " + n.year : "") + " · " + n.status_zh, function () {
          pick("projects", n.id);
        });
      }));
    }

    section(box, wanbei.t("院校合作与干部交流"), pair.partnerships.length);
    if (pair.partnerships.length) {
      list(box, pair.partnerships.map(function (p) {
        return item(p.name_zh + " · " + p.type_zh + (p.year ? " · " + p.year : ""), function () {
          pick("partnerships", p.id);
        });
      }));
    }

    var own = pair.plan.filter(function (t) { return t.applies === "pair"; });
    var common = pair.plan.filter(function (t) { return t.applies === "all"; });
    section(box, wanbei.t("年度任务"), own.length + common.length);
    if (own.length) {
      list(box, own.map(function (t) { return planItem(t); }));
    } else {
      box.appendChild(el("p", "wb-small", wanbei.t("无专门针对此结对的任务")));
    }
    if (common.length) {
      var det = el("details");
      det.appendChild(el("summary", null, paren(wanbei.t("适用于全部结对的任务"), common.length)));
      var ul = el("ul", "wb-list");
      common.forEach(function (t) { ul.appendChild(planItem(t)); });
      det.appendChild(ul);
      box.appendChild(det);
    }

    section(box, wanbei.t("来源"), pair.sources.length);
    var src = el("ol", "wb-sources");
    pair.sources.forEach(function (s) {
      var li = el("li");
      li.appendChild(wanbei.sourceNode(s));
      src.appendChild(li);
    });
    box.appendChild(src);
  }

  function planItem(t) {
    var li = el("li");
    li.appendChild(document.createTextNode(t.year + " " + t.target_zh + " "));
    li.appendChild(el("span", "wb-plan wb-plan-" + t.status, t.status_zh));
    if (t.status_note) li.title = t.status_note;
    return li;
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
      group.label = cfg.title_zh;
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
    var f = state.filter;
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
      tr.appendChild(el("th", null, entry.cfg.title_zh));
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
        missing[name][entry.cfg.title_zh] = true;
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

  // --- search -----------------------------------------------------------------------------------

  // The same rule as layers.stats.normalize on the server.
  function normalize(text) {
    return String(text).toLowerCase().replace(/[\s'’‘·•\-–—_()()/,,.。:;;]+/g, "");
  }

  function search(query, limit) {
    return hitsOf(query).slice(0, limit || 12).map(function (h) { return h.entry; });
  }

  // The best matches in the index and, for the layers it leaves to the server, /api/search:
  // a promise of the entries, best first (the server scores by the same rule).
  function searchAll(query, limit) {
    limit = limit || 12;
    var local = hitsOf(query), raw = String(query || "").trim();
    if (!state.remote.length || !normalize(raw)) {
      return Promise.resolve(local.slice(0, limit).map(function (h) { return h.entry; }));
    }
    var params = new URLSearchParams({ q: raw, limit: String(limit) });
    state.remote.forEach(function (layer) { params.append("layer", layer); });
    var url = state.cfg.search_api_url;
    url += (url.indexOf("?") >= 0 ? "&" : "?") + params.toString();
    return getJSON(url).then(function (data) {
      var hits = local.concat(data.entries.map(function (e, i) {
        return { entry: e, score: e.score, order: state.search.length + i };
      }));
      hits.sort(byRank);
      return hits.slice(0, limit).map(function (h) { return h.entry; });
    });
  }

  function byRank(a, b) {
    return a.score - b.score || a.entry.name_zh.length - b.entry.name_zh.length ||
      a.order - b.order;
  }

  function hitsOf(query) {
    var raw = String(query || "").trim(), q = normalize(raw);
    if (!q) return [];
    var ascii = /^[a-z0-9]+$/.test(q);
    var hits = [];
    state.search.forEach(function (e, i) {
      var score = null;
      var at = e.name_zh.indexOf(raw), atHans = e.hans ? e.hans.indexOf(raw) : -1;
      if (at === 0 || atHans === 0) score = 0;
      else if (at > 0 || atHans > 0) score = 1;
      else if (ascii && (e.pinyin.indexOf(q) === 0 || e.en.indexOf(q) === 0)) score = 2;
      else if (ascii && q.length >= 2 && e.initials.indexOf(q) === 0) score = 2;
      else if (ascii && (e.pinyin.indexOf(q) > 0 || e.en.indexOf(q) > 0)) score = 3;
      if (score !== null) hits.push({ entry: e, score: score, order: i });
    });
    // best match first; among equals the shorter name (the place before the pairs named after it)
    hits.sort(byRank);
    return hits;
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

  function initSearch() {
    var input = $("wb-search"), box = $("wb-search-results");
    if (!input || !box) return;
    var results = [], active = -1;
    var layerTitle = function (id) {
      return wanbei.entries[id] ? wanbei.entries[id].cfg.title_zh : id;
    };
    function close() {
      box.hidden = true;
      box.replaceChildren();
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }
    function choose(i) {
      var e = results[i];
      if (!e) return;
      close();
      input.value = e.name_zh;
      pick(e.layer, e.id);
    }
    function mark(i) {
      active = i;
      box.querySelectorAll("[role=option]").forEach(function (li, j) {
        li.setAttribute("aria-selected", j === i ? "true" : "false");
      });
      if (i >= 0) input.setAttribute("aria-activedescendant", "wb-sr-" + i);
    }
    var asked = 0;
    function show() {
      var query = input.value, ticket = ++asked;
      render(search(query));
      if (!state.remote.length || !query.trim()) return;
      searchAll(query).then(function (found) {
        if (ticket === asked) render(found);
      }).catch(function (err) { wanbei.notify("搜索失败: " + err.message, "search"); });
    }
    function render(found) {
      results = found;
      box.replaceChildren();
      if (!input.value.trim()) return close();
      if (!results.length) {
        box.appendChild(el("li", "wb-search-empty", wanbei.t("无匹配结果")));
      }
      results.forEach(function (e, i) {
        var li = el("li", "wb-search-hit");
        li.id = "wb-sr-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        li.setAttribute("data-layer", e.layer);
        li.setAttribute("data-id", e.id);
        li.appendChild(el("span", "wb-hit-name", e.name_zh));
        // the English name under the Chinese one (in English the name is already English)
        if (e.name_en && e.name_en !== e.name_zh) li.appendChild(el("span", "wb-hit-en", e.name_en));
        li.appendChild(el("span", "wb-hit-ctx", layerTitle(e.layer) +
          (e.context_zh ? " · " + e.context_zh : "")));
        li.addEventListener("mousedown", function (ev) { ev.preventDefault(); choose(i); });
        box.appendChild(li);
      });
      box.hidden = false;
      input.setAttribute("aria-expanded", "true");
      mark(results.length ? 0 : -1);
    }
    input.addEventListener("input", show);
    input.addEventListener("keydown", function (ev) {
      if (ev.key === "ArrowDown" && results.length) {
        ev.preventDefault();
        mark((active + 1) % results.length);
      } else if (ev.key === "ArrowUp" && results.length) {
        ev.preventDefault();
        mark((active - 1 + results.length) % results.length);
      } else if (ev.key === "Enter") {
        ev.preventDefault();
        choose(active >= 0 ? active : 0);
      } else if (ev.key === "Escape") {
        close();
      }
    });
    input.addEventListener("blur", function () { setTimeout(close, 150); });
  }

  // --- statistics -------------------------------------------------------------------------------

  function initStats(cfg) {
    var box = $("wb-stats-charts");
    if (!box) return;
    cfg.charts.forEach(function (c) {
      var img = el("img", "wb-chart");
      img.src = wanbei.url(c.url);
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
    fillFilters();
    var fromURL = readURL();
    if (Object.keys(fromURL.filter).length) setFilter(fromURL.filter, { url: false });
    // an old link's form of the sector is written back as the canonical value
    if (fromURL.filter.sector && fromURL.filter.sector !== state.filter.sector) writeURL();
    // a link that names a view keeps it (permalink.js): the pair is focused without flying
    var keep = wanbei.permalink && wanbei.permalink.hasView();
    if (fromURL.pair) focus(fromURL.pair, keep ? { fly: false } : undefined);
    updateCounts();
    document.documentElement.setAttribute("data-wanbei-tools", "1");
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
    state.years = cfg.years;
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
    initSearch();
    initStats(cfg);
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
      state.search = data.entries;
      state.remote = data.remote || [];
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
    search: search,
    searchAll: searchAll,
    pick: pick,
    play: play,
    stop: stop,
    yearOf: yearOf,
    normalize: normalize,
    playInterval: 1200,
  };
})(window.wanbei);
