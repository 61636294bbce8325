/* milestones.js — the programme's dated events on the map's year slider: wanbei.milestones.
 *
 * The page names the events' URL on the slider's box (`data-milestones`: /api/milestones.json in
 * the page's language, built from data/milestones.csv). The slider's years that have events get
 * tick marks (a <datalist>), and under the slider a list shows the events of the year it is at
 * (nothing at the slider's end, where no year is chosen, when that year has none); it follows the
 * slider through the officials' `wanbei:filter` event. Text from the data is set
 * with textContent only.
 */
(function (wanbei) {
  "use strict";

  var el = wanbei.dom.el;
  var state = { events: [], byYear: {}, box: null, list: null, year: null };

  function render(year) {
    if (!state.list || year === state.year) return;
    state.year = year;
    var events = state.byYear[year] || [];
    // the slider at its end is no year filter: an empty list there would only be noise
    state.section.hidden = !events.length && String(year) === state.slider.max;
    state.heading.textContent = events.length
      ? wanbei.t("{n} 年大事", { n: year }) : wanbei.t("{n} 年无记录的大事", { n: year });
    state.list.replaceChildren();
    events.forEach(function (m) {
      var li = el("li", "wb-milestone wb-milestone-" + m.kind);
      li.setAttribute("data-id", m.id);
      li.appendChild(el("time", "wb-milestone-date", m.date)).setAttribute("datetime", m.date);
      li.appendChild(document.createTextNode(" "));
      li.appendChild(el("span", "wb-milestone-kind", m.kind_label));
      li.appendChild(document.createTextNode(" "));
      li.appendChild(el("span", "wb-milestone-name", m.name));
      li.title = m.scope + (m.place ? " · " + m.place : "") + " · " + m.confidence;
      state.list.appendChild(li);
    });
  }

  function ticks(slider) {
    var list = el("datalist");
    list.id = "wb-year-ticks";
    Object.keys(state.byYear).forEach(function (year) {
      var o = el("option");
      o.value = year;
      list.appendChild(o);
    });
    slider.parentNode.appendChild(list);
    slider.setAttribute("list", list.id);
  }

  function init() {
    var box = document.querySelector("[data-milestones]");
    var slider = document.getElementById("wb-year");
    if (!box || !slider) return;
    state.box = box;
    state.slider = slider;
    fetch(wanbei.url(box.getAttribute("data-milestones")), { headers: { Accept: "application/json" } })
      .then(function (r) {
        if (!r.ok) throw new Error("HTTP " + r.status);
        return r.json();
      })
      .then(function (data) {
        state.events = data.milestones || [];
        state.events.forEach(function (m) {
          (state.byYear[m.year] = state.byYear[m.year] || []).push(m);
        });
        ticks(slider);
        var section = state.section = el("div", "wb-milestones");
        section.id = "wb-milestones";
        section.setAttribute("aria-live", "polite");
        state.heading = el("p", "wb-milestones-h");
        state.list = el("ul", "wb-milestones-list");
        section.appendChild(state.heading);
        section.appendChild(state.list);
        box.parentNode.insertBefore(section, box.nextSibling);
        render(parseInt(slider.value, 10));
        document.documentElement.setAttribute("data-wanbei-milestones", String(state.events.length));
      })
      .catch(function (err) {
        wanbei.notify(wanbei.t("加载失败") + ": " + err.message, "milestones");
      });
    document.addEventListener("wanbei:filter", function (e) { render(e.detail.filter.to); });
    slider.addEventListener("input", function () { render(parseInt(slider.value, 10)); });
  }

  wanbei.milestones = {
    events: function () { return state.events.slice(); },
    year: function () { return state.year; },
  };

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})(window.wanbei);
