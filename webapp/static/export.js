/* export.js — "Export image" and A4 PDF of the current view: wanbei.exporter.
 *
 * The PNG is drawn on a canvas, layer by layer, as the map shows it: the basemap's tiles (only
 * those whose server allows cross-origin use: a tile fetched again with CORS that fails is left
 * out and the image says so, so the canvas is never tainted), the SVG panes (serialised with their
 * computed styles, so focus and dimming show), the points in view of a big point layer (drawn
 * on a canvas of its own: painted again from its features, after the filters, with the same
 * styles), the direction arrows, cluster icons and labels;
 * then the title, legend (the visible layers), scale bar, data version and date, attribution and
 * the map-review number (审图号, WANBEI_MAP_REVIEW_NO) at the bottom left. Its words are in the
 * page's language (wanbei.t); `render()` also returns them as `caption` (the texts of the title,
 * legend, scale, notes and bottom band), and the print box carries them as text (.wb-print-caption).
 *
 * The PDF is the same image on an A4 landscape page: a print stylesheet shows only that image,
 * and the browser's print dialog saves it as PDF.
 */
(function (wanbei) {
  "use strict";

  var state = { map: null, cfg: null, caption: null, boxes: null };
  var t = function (zh, values) { return wanbei.t(zh, values); };

  // Draw a text of the image's furniture, and keep it in the caption of the current render.
  function write(ctx, text, x, y) {
    if (state.caption) state.caption.push(text);
    ctx.fillText(text, x, y);
  }
  var FONT = 'system-ui, "PingFang SC", "Microsoft YaHei", "Noto Sans CJK SC", sans-serif';
  var STYLE_PROPS = ["fill", "fill-opacity", "stroke", "stroke-opacity", "stroke-width",
                     "stroke-dasharray", "stroke-linecap", "stroke-linejoin", "opacity",
                     "display", "visibility", "fill-rule"];

  function loadImage(src, cors) {
    return new Promise(function (resolve) {
      var img = new Image();
      if (cors) img.crossOrigin = "anonymous";
      img.onload = function () { resolve(img); };
      img.onerror = function () { resolve(null); };
      img.src = src;
    });
  }

  function offsetOf(node, origin) {
    var r = node.getBoundingClientRect();
    return { x: r.left - origin.left, y: r.top - origin.top, w: r.width, h: r.height };
  }

  function drawTiles(ctx, origin, notes) {
    var layers = wanbei.basemaps ? wanbei.basemaps.tileLayers() : [];
    var jobs = [];
    layers.forEach(function (layer) {
      var box = layer.getContainer();
      if (!box) return;
      box.querySelectorAll("img.leaflet-tile-loaded").forEach(function (tile) {
        var at = offsetOf(tile, origin);
        jobs.push(loadImage(tile.src, true).then(function (img) {
          return { img: img, at: at };
        }));
      });
    });
    if (layers.length && !jobs.length) notes.push(t("底图瓦片未能加载,图中无底图"));
    return Promise.all(jobs).then(function (drawn) {
      var missing = 0;
      drawn.forEach(function (d) {
        if (d.img) ctx.drawImage(d.img, d.at.x, d.at.y, d.at.w, d.at.h);
        else missing += 1;
      });
      if (missing) notes.push(t("底图瓦片服务器不允许跨域导出,图中未含 {n} 块底图瓦片", { n: missing }));
    });
  }

  function inlineStyles(source, clone) {
    var from = source.querySelectorAll("path"), to = clone.querySelectorAll("path");
    for (var i = 0; i < from.length; i++) {
      var cs = getComputedStyle(from[i]);
      STYLE_PROPS.forEach(function (p) {
        var v = cs.getPropertyValue(p);
        if (v) to[i].setAttribute(p, v);
      });
      to[i].removeAttribute("class");
    }
  }

  // The lean layer (wanbei.js: a big point layer on its own canvas) drawn by a canvas node.
  function leanLayerOf(node) {
    var ids = Object.keys(wanbei.entries);
    for (var k = 0; k < ids.length; k++) {
      var canvas = wanbei.entries[ids[k]].canvas;
      if (wanbei.entries[ids[k]].lean && canvas && canvas._container === node) return ids[k];
    }
    return null;
  }

  // The overlays in the order the page stacks them: the SVG of the basemap and overlay panes
  // (serialised as drawn) and the canvas of a big point layer, whose points in view are painted
  // again on the image, as that canvas paints them (wanbei.paintLeanView: after the filters,
  // with the same sprites, dimming and focus, at the image's resolution).
  function drawSvgPanes(ctx, origin, scale) {
    var panes = [".leaflet-basemap-pane", ".leaflet-overlay-pane"];
    var jobs = [];
    panes.forEach(function (sel) {
      var nodes = state.map.getContainer().querySelectorAll(sel + " svg, " + sel + " canvas");
      nodes.forEach(function (svgNode) {
        if (svgNode.closest(".wb-minimap")) return;
        if (svgNode.tagName.toLowerCase() === "canvas") {
          var lean = leanLayerOf(svgNode);
          if (lean) jobs.push(Promise.resolve({ lean: lean }));
          return;
        }
        var at = offsetOf(svgNode, origin);
        var clone = svgNode.cloneNode(true);
        inlineStyles(svgNode, clone);
        clone.setAttribute("xmlns", "http://www.w3.org/2000/svg");
        clone.setAttribute("width", String(at.w));
        clone.setAttribute("height", String(at.h));
        clone.removeAttribute("style");
        var text = new XMLSerializer().serializeToString(clone);
        var src = "data:image/svg+xml;charset=utf-8," + encodeURIComponent(text);
        jobs.push(loadImage(src, false).then(function (img) { return { img: img, at: at }; }));
      });
    });
    return Promise.all(jobs).then(function (drawn) {
      drawn.forEach(function (d) {
        if (d.lean) wanbei.paintLeanView(d.lean, ctx, scale);
        else if (d.img) ctx.drawImage(d.img, d.at.x, d.at.y, d.at.w, d.at.h);
      });
    });
  }

  function drawMarkers(ctx, origin) {
    var map = state.map;
    Object.keys(wanbei.entries).forEach(function (id) {
      var entry = wanbei.entries[id];
      if (!map.hasLayer(entry.group)) return;
      entry.group.eachLayer(function (layer) {
        if (!layer.wbArrow || !layer.getElement) return;
        var node = layer.getElement();
        if (!node) return;
        var p = map.latLngToContainerPoint(layer.getLatLng());
        ctx.save();
        ctx.globalAlpha = parseFloat(getComputedStyle(node).opacity || "1");
        ctx.translate(p.x, p.y);
        ctx.rotate(layer.wbArrow.angle * Math.PI / 180);
        ctx.fillStyle = layer.wbArrow.color;
        ctx.beginPath();
        ctx.moveTo(6, 0);
        ctx.lineTo(-5, -5);
        ctx.lineTo(-5, 5);
        ctx.closePath();
        ctx.fill();
        ctx.restore();
      });
    });
    map.getContainer().querySelectorAll(".leaflet-marker-pane .wb-cluster").forEach(function (node) {
      var at = offsetOf(node, origin), cs = getComputedStyle(node);
      ctx.save();
      ctx.fillStyle = cs.backgroundColor || "#555";
      ctx.beginPath();
      ctx.arc(at.x + at.w / 2, at.y + at.h / 2, at.w / 2, 0, 2 * Math.PI);
      ctx.fill();
      ctx.fillStyle = cs.color || "#fff";
      ctx.font = "600 12px " + FONT;
      ctx.textAlign = "center";
      ctx.textBaseline = "middle";
      ctx.fillText(node.textContent, at.x + at.w / 2, at.y + at.h / 2);
      ctx.restore();
    });
  }

  // The map's names, drawn after the furniture: a name that a furniture box (title, legend,
  // scale, notes, bottom band) would cover is left out rather than shown half hidden.
  function drawLabels(ctx, origin, boxes) {
    var drawn = [];
    state.map.getContainer().querySelectorAll(".leaflet-tooltip.wb-label").forEach(function (node) {
      var cs = getComputedStyle(node);
      if (cs.display === "none" || cs.visibility === "hidden") return;
      var at = offsetOf(node, origin);
      // the words' own box: the label's box less its padding
      var x0 = at.x + 4, x1 = at.x + at.w - 4, y0 = at.y + 4, y1 = at.y + at.h - 4;
      var covered = (boxes || []).some(function (b) {
        return x0 < b.x + b.w && b.x < x1 && y0 < b.y + b.h && b.y < y1;
      });
      if (covered) return;
      drawn.push({ text: node.textContent, x: x0, y: y0, w: x1 - x0, h: y1 - y0 });
      ctx.save();
      ctx.font = cs.fontWeight + " " + cs.fontSize + " " + FONT;
      ctx.fillStyle = cs.color;
      ctx.textAlign = "center";
      ctx.textBaseline = "middle";
      ctx.fillText(node.textContent, at.x + at.w / 2, at.y + at.h / 2);
      ctx.restore();
    });
    return drawn;
  }

  // Fill a box of the image's furniture over the map, and keep it in the boxes of the current
  // render (what of the map the furniture covers).
  function backdrop(ctx, fill, x, y, w, h) {
    if (state.boxes) state.boxes.push({ x: x, y: y, w: w, h: h });
    ctx.fillStyle = fill;
    ctx.fillRect(x, y, w, h);
  }

  function panel(ctx, x, y, w, h) {
    ctx.save();
    ctx.strokeStyle = "#999";
    ctx.lineWidth = 1;
    backdrop(ctx, "rgba(255,255,255,0.92)", x, y, w, h);
    ctx.strokeRect(x + 0.5, y + 0.5, w - 1, h - 1);
    ctx.restore();
  }

  function swatch(ctx, item, x, y) {
    var s = item.style;
    ctx.save();
    ctx.lineWidth = Math.min(s.weight || 1, 3);
    ctx.strokeStyle = s.color || "#333";
    if (item.geometry === "line") {
      if (s.dashArray) ctx.setLineDash(String(s.dashArray).split(/[ ,]+/).map(Number));
      ctx.beginPath();
      ctx.moveTo(x, y + 7);
      ctx.lineTo(x + 24, y + 7);
      ctx.stroke();
    } else if (item.geometry === "polygon") {
      ctx.fillStyle = s.fillColor || "#fff";
      ctx.fillRect(x + 2, y + 1, 20, 12);
      if (s.dashArray) ctx.setLineDash(String(s.dashArray).split(/[ ,]+/).map(Number));
      ctx.strokeRect(x + 2, y + 1, 20, 12);
    } else {
      ctx.globalAlpha = s.fillOpacity === undefined ? 1 : s.fillOpacity;
      ctx.fillStyle = s.fillColor || s.color;
      ctx.beginPath();
      ctx.arc(x + 12, y + 7, Math.min(s.radius || 5, 6), 0, 2 * Math.PI);
      ctx.fill();
      ctx.globalAlpha = 1;
      ctx.stroke();
    }
    ctx.restore();
  }

  function visibleLegendItems() {
    var legend = wanbei.legend;
    if (!legend) return [];
    var visible = {};
    wanbei.groups.forEach(function (g) { visible[g.id] = state.map.hasLayer(g.group); });
    return legend.items.filter(function (item) { return visible[item.layer] !== false; });
  }

  // `text` in lines no wider than `max` px in the context's font: broken at spaces or between
  // two CJK characters.
  function wrap(ctx, text, max) {
    var tokens = text.match(/[\u2e80-\uffff]|[^\s\u2e80-\uffff]+\s*|\s+/g) || [text];
    var lines = [], line = "";
    tokens.forEach(function (tok) {
      if (line && ctx.measureText((line + tok).trim()).width > max) {
        lines.push(line.trim());
        line = tok.replace(/^\s+/, "");
      } else {
        line += tok;
      }
    });
    if (line.trim()) lines.push(line.trim());
    return lines.length ? lines : [text];
  }

  // The legend in the bottom right corner: each row's words wrapped to a width that grows with
  // the image but stays small (140–240 px), in two columns when one would be taller than 40 %
  // of the image, so that the map stays the larger part. Returns its box {x, y, w, h}.
  function drawLegend(ctx, w, h) {
    var items = visibleLegendItems();
    if (!items.length) return null;
    var LINE = 15, GAP = 4;
    ctx.font = "12px " + FONT;
    var max = Math.max(140, Math.min(240, w * 0.2));
    var rows = items.map(function (item) {
      var lines = wrap(ctx, item.title, max);
      return { item: item, lines: lines, h: Math.max(lines.length * LINE, 16) + GAP,
               w: Math.max.apply(null, lines.map(function (l) { return ctx.measureText(l).width; })) };
    });
    var total = rows.reduce(function (a, r) { return a + r.h; }, 0);
    var columns = total > 0.4 * h && w > 2 * (max + 40) + 40 ? [[], []] : [rows];
    if (columns.length === 2) {
      var acc = 0;
      rows.forEach(function (r) { columns[acc + r.h / 2 <= total / 2 ? 0 : 1].push(r); acc += r.h; });
    }
    var colW = columns.map(function (c) {
      return 34 + Math.max.apply(null, c.map(function (r) { return r.w; }));
    });
    var colH = columns.map(function (c) { return c.reduce(function (a, r) { return a + r.h; }, 0); });
    ctx.font = "600 13px " + FONT;
    var width = Math.max(colW.reduce(function (a, b) { return a + b + 8; }, 8),
                         ctx.measureText(wanbei.legend.title).width + 16, 80);
    var height = 26 + Math.max.apply(null, colH);
    var x = w - width - 10, y = h - height - 42;
    panel(ctx, x, y, width, height);
    ctx.fillStyle = "#222";
    ctx.textBaseline = "middle";
    write(ctx, wanbei.legend.title, x + 8, y + 13);
    ctx.font = "12px " + FONT;
    var cx = x + 8;
    columns.forEach(function (column, k) {
      var iy = y + 24;
      column.forEach(function (r) {
        swatch(ctx, r.item, cx - 2, iy + (r.lines.length - 1) * LINE / 2);
        ctx.fillStyle = "#222";
        if (state.caption) state.caption.push(r.item.title);
        r.lines.forEach(function (line, n) { ctx.fillText(line, cx + 26, iy + 7 + n * LINE); });
        iy += r.h;
      });
      cx += colW[k] + 8;
    });
    return { x: x, y: y, w: width, h: height };
  }

  function niceDistance(maxMeters) {
    var pow = Math.pow(10, Math.floor(Math.log10(maxMeters)));
    var d = maxMeters / pow;
    return (d >= 5 ? 5 : d >= 2 ? 2 : 1) * pow;
  }

  function drawScale(ctx, h) {
    var map = state.map, size = map.getSize();
    var y = size.y / 2;
    var a = map.containerPointToLatLng([10, y]), b = map.containerPointToLatLng([110, y]);
    var perPx = map.distance(a, b) / 100;
    var meters = niceDistance(perPx * 120);
    var px = meters / perPx;
    var label = meters >= 1000 ? t("{n} 公里", { n: meters / 1000 }) : t("{n} 米", { n: meters });
    var x0 = 14, y0 = h - 50;
    ctx.save();
    backdrop(ctx, "rgba(255,255,255,0.85)", x0 - 4, y0 - 16, px + 8, 24);
    ctx.strokeStyle = "#222";
    ctx.lineWidth = 2;
    ctx.beginPath();
    ctx.moveTo(x0, y0 - 6);
    ctx.lineTo(x0, y0);
    ctx.lineTo(x0 + px, y0);
    ctx.lineTo(x0 + px, y0 - 6);
    ctx.stroke();
    ctx.fillStyle = "#222";
    ctx.font = "11px " + FONT;
    ctx.textBaseline = "alphabetic";
    write(ctx, label, x0 + 2, y0 - 5);
    ctx.restore();
  }

  function subtitle() {
    var parts = [];
    var o = wanbei.officials;
    if (o && o.focused()) {
      var sel = document.getElementById("wb-pair-select");
      var opt = sel && sel.selectedOptions[0];
      parts.push(t("聚焦:{pair}", { pair: opt ? opt.textContent : o.focused() }));
    }
    if (o) {
      var f = o.filter();
      if (f.to < 2030 || f.from > 2021) parts.push(t("年份 {from}–{to}", { from: f.from, to: f.to }));
    }
    return parts.join(" · ");
  }

  // The bottom band's words: the map-review number at the left, data date and attribution at
  // the right; on a narrow image each wrapped to the image's width, one under the other.
  function bandLayout(ctx, w) {
    var p = state.cfg.print, basemap = wanbei.basemaps && wanbei.basemaps.current();
    var dated = t("数据版本 {version}", { version: p.version }) +
      (p.data_date ? " · " + t("数据更新至 {date}", { date: p.data_date }) : "") +
      " · " + t("导出于 {date}", { date: new Date().toISOString().slice(0, 10) });
    var attribution = (basemap && basemap.attribution
      ? t("底图: {attribution}", { attribution: basemap.attribution }) + " · " : "") +
      t("专题数据: 沪苏浙—皖北结对合作地图(来源见各要素)");
    var review = p.review_no ? t("审图号:{number}", { number: p.review_no }) : "";
    ctx.save();
    ctx.font = "11px " + FONT;
    var wide = Math.max(ctx.measureText(dated).width, ctx.measureText(attribution).width) +
      (review ? ctx.measureText(review).width + 30 : 0) + 20 <= w;
    var lines = wide ? null : [].concat(review ? [review] : [], wrap(ctx, dated, w - 20),
                                        wrap(ctx, attribution, w - 20));
    ctx.restore();
    return { dated: dated, attribution: attribution, review: review, lines: lines,
             h: wide ? 34 : 8 + 13 * lines.length };
  }

  function drawText(ctx, w, h, notes, band) {
    var p = state.cfg.print;
    // title, wrapped to the image's width
    ctx.save();
    ctx.font = "600 18px " + FONT;
    var sub = subtitle(), titles = wrap(ctx, p.title, w - 44);
    var tw = Math.max.apply(null, titles.map(function (l) { return ctx.measureText(l).width; })
      .concat([sub ? ctx.measureText(sub).width * 0.8 : 0]));
    var th = 22 * titles.length;
    panel(ctx, 10, 10, Math.min(tw + 24, w - 20), th + (sub ? 30 : 12));
    ctx.fillStyle = "#8b1a1a";
    ctx.textBaseline = "middle";
    if (state.caption) state.caption.push(p.title);
    titles.forEach(function (line, n) { ctx.fillText(line, 22, 27 + 22 * n); });
    if (sub) {
      ctx.font = "13px " + FONT;
      ctx.fillStyle = "#333";
      write(ctx, sub, 22, 26 + th);
    }
    ctx.restore();
    // bottom band
    ctx.save();
    backdrop(ctx, "rgba(255,255,255,0.9)", 0, h - band.h, w, band.h);
    ctx.font = "11px " + FONT;
    ctx.fillStyle = "#333";
    ctx.textBaseline = "middle";
    ctx.textAlign = "left";
    if (band.lines) {
      [band.review, band.dated, band.attribution].forEach(function (text) {
        if (text && state.caption) state.caption.push(text);
      });
      band.lines.forEach(function (line, n) { ctx.fillText(line, 10, h - band.h + 10 + 13 * n); });
    } else {
      if (band.review) write(ctx, band.review, 10, h - 17);
      ctx.textAlign = "right";
      write(ctx, band.dated, w - 10, h - 25);
      write(ctx, band.attribution, w - 10, h - 10);
    }
    ctx.restore();
    h -= band.h - 34;  // the notes lie above the band
    if (notes.length) {
      ctx.save();
      ctx.font = "12px " + FONT;
      var nw = Math.max.apply(null, notes.map(function (n) { return ctx.measureText(n).width; }));
      backdrop(ctx, "rgba(255,243,205,0.95)", 10, h - 32 - 18 * notes.length - 44, nw + 16,
               18 * notes.length + 6);
      ctx.fillStyle = "#7a4d00";
      ctx.textBaseline = "middle";
      notes.forEach(function (n, i) {
        write(ctx, n, 18, h - 32 - 18 * notes.length - 44 + 12 + 18 * i);
      });
      ctx.restore();
    }
  }

  // Draw the current view on a canvas; resolves to {canvas, notes, caption, boxes, legend,
  // labels} (boxes: the furniture's boxes over the map, {x, y, w, h} in the map's CSS pixels;
  // legend: the legend's box among them; labels: the names drawn, {text, x, y, w, h}).
  function render(options) {
    options = options || {};
    var map = state.map, container = map.getContainer();
    var origin = container.getBoundingClientRect();
    var size = map.getSize(), scale = options.scale || 2;
    var canvas = document.createElement("canvas");
    canvas.width = Math.round(size.x * scale);
    canvas.height = Math.round(size.y * scale);
    var ctx = canvas.getContext("2d");
    ctx.scale(scale, scale);
    ctx.fillStyle = getComputedStyle(container).backgroundColor || "#ffffff";
    ctx.fillRect(0, 0, size.x, size.y);
    var notes = [], caption = [], boxes = [], legend = null;
    return drawTiles(ctx, origin, notes)
      .then(function () { return drawSvgPanes(ctx, origin, scale); })
      .then(function () {
        drawMarkers(ctx, origin);
        state.caption = caption;
        state.boxes = boxes;
        try {
          // the scale, legend and notes lie above the bottom band, however tall it is
          var band = bandLayout(ctx, size.x), above = size.y - (band.h - 34);
          drawScale(ctx, above);
          legend = drawLegend(ctx, size.x, above);
          drawText(ctx, size.x, size.y, notes, band);
        } finally {
          state.caption = null;
          state.boxes = null;
        }
        var labels = drawLabels(ctx, origin, boxes);
        return { canvas: canvas, notes: notes, caption: caption, boxes: boxes, legend: legend,
                 labels: labels };
      });
  }

  function toBlob(canvas) {
    return new Promise(function (resolve, reject) {
      try {
        canvas.toBlob(function (blob) {
          if (blob) resolve(blob);
          else reject(new Error("the canvas gave no image"));
        }, "image/png");
      } catch (err) {
        reject(err);
      }
    });
  }

  function fileName(ext) {
    var focused = wanbei.officials && wanbei.officials.focused();
    return "wanbei-map" + (focused ? "-" + focused : "") + "." + ext;
  }

  function png() {
    return render().then(function (r) {
      return toBlob(r.canvas).then(function (blob) {
        var url = URL.createObjectURL(blob);
        var a = document.createElement("a");
        a.href = url;
        a.download = fileName("png");
        document.body.appendChild(a);
        a.click();
        a.remove();
        setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
        wanbei.exporter.last = { width: r.canvas.width, height: r.canvas.height,
                                 bytes: blob.size, notes: r.notes, caption: r.caption };
        return wanbei.exporter.last;
      });
    }).catch(function (err) {
      wanbei.notify(t("导出图片失败: {error}", { error: err.message }), "export");
      throw err;
    });
  }

  // Put the image of the current view in the print-only box: the page prints as that image.
  function preparePrint() {
    return render({ scale: 2 }).then(function (r) {
      var box = document.getElementById("wb-print");
      var img = box.querySelector("img") || box.appendChild(document.createElement("img"));
      img.alt = state.cfg.print.title;
      // the image's words as text, one line each (the same words as drawn)
      var caption = box.querySelector(".wb-print-caption") ||
        box.appendChild(wanbei.dom.el("div", "wb-print-caption wb-sr-only"));
      caption.replaceChildren();
      r.caption.forEach(function (line) { caption.appendChild(wanbei.dom.el("p", null, line)); });
      img.src = r.canvas.toDataURL("image/png");
      document.body.classList.add("wb-printing");
      return new Promise(function (resolve) {
        if (img.complete) resolve(r);
        else img.onload = function () { resolve(r); };
      });
    });
  }

  function pdf() {
    return preparePrint().then(function () { window.print(); });
  }

  wanbei.exporter = {
    init: function (map, cfg) {
      state.map = map;
      state.cfg = cfg;
      var b1 = document.getElementById("wb-export-png");
      var b2 = document.getElementById("wb-export-pdf");
      if (b1) b1.addEventListener("click", function () { png().catch(function () {}); });
      if (b2) b2.addEventListener("click", function () { pdf().catch(function () {}); });
      window.addEventListener("afterprint", function () {
        document.body.classList.remove("wb-printing");
      });
    },
    render: render,
    png: png,
    preparePrint: preparePrint,
    pdf: pdf,
    last: null,
  };
})(window.wanbei);
