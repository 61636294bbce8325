/* summary.js — the focused pair's summary in the side panel: wanbei.summary.
 *
 * wanbei.summary.render(pair, tools) fills #wb-pair-summary from one summary of /api/pairs.json
 * (null empties it); `tools` holds what its buttons do: focus(pairId|null), fit(pair),
 * setFilter(changes) and pick(layer, featureId) (officials.js passes its own).
 */
(function (wanbei) {
  "use strict";

  var el = wanbei.dom.el;

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

  function yi(v) { return v === null || v === undefined ? null : wanbei.money(v); }

  function unknown(text) { return el("span", "wb-unknown", text || wanbei.t("未知")); }

  function renderSummary(pair, tools) {
    var box = document.getElementById("wb-pair-summary");
    box.replaceChildren();
    box.hidden = !pair;
    if (!pair) return;
    var head = el("div", "wb-summary-head");
    head.appendChild(el("h3", null, pair.helping.name_zh + " → " + pair.helped.name_zh));
    var close = el("button", "wb-close", "×");
    close.type = "button";
    close.title = wanbei.t("取消聚焦");
    close.setAttribute("aria-label", wanbei.t("取消聚焦"));
    close.addEventListener("click", function () { tools.focus(null); });
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

    var bar = el("div", "wb-summary-tools");
    var zoom = el("button", null, wanbei.t("缩放至此结对"));
    zoom.type = "button";
    zoom.addEventListener("click", function () {
      tools.fit(pair);
    });
    var only = el("button", null, wanbei.t("只显示此结对"));
    only.type = "button";
    only.addEventListener("click", function () { tools.setFilter({ pair: pair.id }); });
    bar.appendChild(zoom);
    bar.appendChild(only);
    box.appendChild(bar);

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
      return item(p.name_zh + " · " + p.status_zh, function () { tools.pick("parks", p.id); });
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
    figures(box, pair.figures, wanbei.t("按年份的数字"));
    figures(box, pair.wider_figures, wanbei.t("更大范围的数字(不计入本结对)"));
    if (pr.named.length) {
      list(box, pr.named.map(function (n) {
        return item(n.name_zh + (n.year ? " · " + n.year : "") + " · " + n.status_zh, function () {
          tools.pick("projects", n.id);
        });
      }));
    }

    section(box, wanbei.t("院校合作与干部交流"), pair.partnerships.length);
    if (pair.partnerships.length) {
      list(box, pair.partnerships.map(function (p) {
        return item(p.name_zh + " · " + p.type_zh + (p.year ? " · " + p.year : ""), function () {
          tools.pick("partnerships", p.id);
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

  // Figures by year (figures.csv): year, what, value and unit, kind, scope, each with its source.
  function figures(box, rows, title) {
    if (!rows.length) return;
    section(box, title, rows.length);
    var ul = el("ul", "wb-list wb-figures");
    rows.forEach(function (f) {
      var years = f.year_from === f.year_to ? String(f.year_from) : f.year_from + "–" + f.year_to;
      var amount = f.money ? yi(f.value) : f.value + " " + f.unit_zh;
      var li = el("li", null, years + " · " + f.measure_zh + ": " + amount +
        " (" + f.kind_zh + ")" + (f.own ? "" : " · " + f.scope_zh));
      li.appendChild(document.createTextNode(" "));
      li.appendChild(wanbei.sourceNode(f.source.split(" ; ")[0]));
      ul.appendChild(li);
    });
    box.appendChild(ul);
  }

  function planItem(t) {
    var li = el("li");
    li.appendChild(document.createTextNode(t.year + " " + t.target_zh + " "));
    li.appendChild(el("span", "wb-plan wb-plan-" + t.status, t.status_zh));
    if (t.status_note) li.title = t.status_note;
    return li;
  }

  wanbei.summary = { render: renderSummary, paren: paren, yi: yi };
})(window.wanbei);
