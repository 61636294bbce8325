/* embed-resize.js — for the page that embeds the map: include it once, and every
 * <iframe data-wanbei-embed src=".../embed?..."> takes the height its content asks for.
 *
 * The embedded map posts {type: "wanbei:embed-height", height: <px>}. A message is used only if
 * it comes from the window of one of those iframes, from the origin of its src, and has that
 * exact shape with a height between 150 and 5000 px; anything else is ignored.
 */
(function () {
  "use strict";
  var MIN = 150, MAX = 5000;

  function frameOf(source) {
    var frames = document.querySelectorAll("iframe[data-wanbei-embed]");
    for (var i = 0; i < frames.length; i++) {
      if (frames[i].contentWindow === source) return frames[i];
    }
    return null;
  }

  window.addEventListener("message", function (event) {
    var frame = frameOf(event.source);
    if (!frame) return;
    var origin;
    try { origin = new URL(frame.src, document.baseURI).origin; } catch (e) { return; }
    if (event.origin !== origin) return;
    var data = event.data;
    if (!data || typeof data !== "object" || data.type !== "wanbei:embed-height") return;
    var h = data.height;
    if (typeof h !== "number" || !isFinite(h) || h < MIN || h > MAX) return;
    frame.style.height = Math.round(h) + "px";
    frame.setAttribute("data-wanbei-height", String(Math.round(h)));
  });
})();
