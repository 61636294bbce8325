/* search.js — the search box: wanbei.search.
 *
 * Searches the index of /api/search.json (layers.stats.search_index) in the browser, and for
 * the layers the index leaves to the server (big layers) asks /api/search, which scores by the
 * same rule (layers/search.py). A query matches, best first:
 *   0  the Chinese name starts with it       1  the Chinese name holds it
 *   2  the pinyin or English name starts with it, or the initials do (two letters or more)
 *   3  the pinyin or English name holds it
 *   4  the city or county the feature is in (`where`: names, pinyin, English) starts with it
 * Among equals the shorter name first, then the index's order. The index also lists the
 * layers themselves (`kind: "layer"`: G60, 走廊, corridor, 园区 find their layer); picking one
 * shows the layer and fits the map to it.
 * Keyboard: ↓/↑ move the highlighted result (none at first), Enter picks the highlighted one
 * (the first when none is), Escape closes the list.
 */
(function (wanbei) {
  "use strict";

  var el = wanbei.dom.el;
  var state = { entries: [], remote: [], apiUrl: null, pick: null };

  // The same rule as layers.stats.normalize on the server.
  function normalize(text) {
    return String(text).toLowerCase().replace(/[\s'’‘·•\-–—_()()/,,.。:;;]+/g, "");
  }

  // Whether one of the "|"-separated terms of `where` starts with `q`.
  function whereStarts(where, q) {
    return !!where && ("|" + where).indexOf("|" + q) >= 0;
  }

  function scoreOf(e, raw, q, ascii) {
    var at = e.name_zh.indexOf(raw), atHans = e.hans ? e.hans.indexOf(raw) : -1;
    if (at === 0 || atHans === 0) return 0;
    if (at > 0 || atHans > 0) return 1;
    if (ascii && (e.pinyin.indexOf(q) === 0 || e.en.indexOf(q) === 0)) return 2;
    if (ascii && q.length >= 2 && e.initials.indexOf(q) === 0) return 2;
    if (ascii && (e.pinyin.indexOf(q) > 0 || e.en.indexOf(q) > 0)) return 3;
    if (whereStarts(e.where, q)) return 4;
    return null;
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
    state.entries.forEach(function (e, i) {
      var score = scoreOf(e, raw, q, ascii);
      if (score !== null) hits.push({ entry: e, score: score, order: i });
    });
    // best match first; among equals the shorter name (the place before the pairs named after it)
    hits.sort(byRank);
    return hits;
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
    var url = state.apiUrl;
    url += (url.indexOf("?") >= 0 ? "&" : "?") + params.toString();
    return wanbei.getJSON(url).then(function (data) {
      var hits = local.concat(data.entries.map(function (e, i) {
        return { entry: e, score: e.score, order: state.entries.length + i };
      }));
      hits.sort(byRank);
      return hits.slice(0, limit).map(function (h) { return h.entry; });
    });
  }

  function layerTitle(id) {
    return wanbei.entries[id] ? wanbei.entries[id].cfg.title : id;
  }

  function bind() {
    var input = document.getElementById("wb-search");
    var box = document.getElementById("wb-search-results");
    if (!input || !box) return;
    var results = [], active = -1;
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
      state.pick(e);
    }
    function mark(i) {
      active = i;
      box.querySelectorAll("[role=option]").forEach(function (li, j) {
        li.setAttribute("aria-selected", j === i ? "true" : "false");
        if (j === i) li.scrollIntoView({ block: "nearest" });
      });
      if (i >= 0) input.setAttribute("aria-activedescendant", "wb-sr-" + i);
      else input.removeAttribute("aria-activedescendant");
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
      // the highlighted result stays highlighted when the list is drawn again (server results)
      var was = active >= 0 && results[active] ? results[active] : null;
      results = found;
      box.replaceChildren();
      if (!input.value.trim()) return close();
      if (!results.length) {
        box.appendChild(el("li", "wb-search-empty", wanbei.t("无匹配结果")));
      }
      var keep = -1;
      results.forEach(function (e, i) {
        var li = el("li", "wb-search-hit" + (e.kind === "layer" ? " wb-search-layer" : ""));
        li.id = "wb-sr-" + i;
        li.setAttribute("role", "option");
        li.setAttribute("aria-selected", "false");
        li.setAttribute("data-layer", e.layer);
        if (e.id !== null && e.id !== undefined) li.setAttribute("data-id", e.id);
        li.appendChild(el("span", "wb-hit-name", e.name_zh));
        // the English name under the Chinese one (in English the name is already English)
        if (e.name_en && e.name_en !== e.name_zh) li.appendChild(el("span", "wb-hit-en", e.name_en));
        li.appendChild(el("span", "wb-hit-ctx", e.kind === "layer" ? e.context_zh
          : layerTitle(e.layer) + (e.context_zh ? " · " + e.context_zh : "")));
        li.addEventListener("mousedown", function (ev) { ev.preventDefault(); choose(i); });
        box.appendChild(li);
        if (was && e.layer === was.layer && e.id === was.id) keep = i;
      });
      box.hidden = false;
      input.setAttribute("aria-expanded", "true");
      mark(keep);
    }
    input.addEventListener("input", show);
    input.addEventListener("keydown", function (ev) {
      if (ev.key === "ArrowDown" && results.length) {
        ev.preventDefault();
        if (box.hidden) render(results);
        mark(active + 1 >= results.length ? 0 : active + 1);
      } else if (ev.key === "ArrowUp" && results.length) {
        ev.preventDefault();
        mark(active <= 0 ? results.length - 1 : active - 1);
      } else if (ev.key === "Enter") {
        ev.preventDefault();
        choose(active >= 0 ? active : 0);
      } else if (ev.key === "Escape") {
        close();
      }
    });
    input.addEventListener("blur", function () { setTimeout(close, 150); });
  }

  wanbei.search = {
    // index: the data of /api/search.json; apiUrl: /api/search; pick(entry): what choosing does
    init: function (options) {
      state.apiUrl = options.apiUrl;
      state.pick = options.pick;
      bind();
    },
    setIndex: function (index) {
      state.entries = (index.layers || []).concat(index.entries || []);
      state.remote = index.remote || [];
    },
    ready: function () { return state.entries.length > 0; },
    search: search,
    searchAll: searchAll,
    normalize: normalize,
  };
})(window.wanbei);
