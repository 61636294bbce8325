/* coords.js — WGS84 ⇄ GCJ-02 in the browser: wanbei.coords.
 *
 * The same published formula as geo/coords.py (which wraps the coordtransform package): GCJ-02
 * ("Mars" datum, used by Amap/Gaode tiles) is WGS84 shifted by a few hundred metres inside a
 * rectangle around China (73.66 < lon < 135.05, 3.86 < lat < 53.55, bounds exclusive); points
 * outside it are returned unchanged. GCJ-02 → WGS84 is the usual one-step inverse (error below
 * ~6e-5°). The browser test compares these functions with geo.coords on the same points.
 *
 * Every function takes and returns (lon, lat) order, as GeoJSON does.
 */
(function (wanbei) {
  "use strict";

  var A = 6378245.0; // semi-major axis of Krasovsky 1940
  var EE = 0.00669342162296594323; // its eccentricity squared
  var PI = 3.1415926535897932384626;

  function outOfChina(lon, lat) {
    return !(lon > 73.66 && lon < 135.05 && lat > 3.86 && lat < 53.55);
  }

  function shiftLat(x, y) {
    var r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
    r += (20.0 * Math.sin(6.0 * x * PI) + 20.0 * Math.sin(2.0 * x * PI)) * 2.0 / 3.0;
    r += (20.0 * Math.sin(y * PI) + 40.0 * Math.sin(y / 3.0 * PI)) * 2.0 / 3.0;
    r += (160.0 * Math.sin(y / 12.0 * PI) + 320 * Math.sin(y * PI / 30.0)) * 2.0 / 3.0;
    return r;
  }

  function shiftLon(x, y) {
    var r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
    r += (20.0 * Math.sin(6.0 * x * PI) + 20.0 * Math.sin(2.0 * x * PI)) * 2.0 / 3.0;
    r += (20.0 * Math.sin(x * PI) + 40.0 * Math.sin(x / 3.0 * PI)) * 2.0 / 3.0;
    r += (150.0 * Math.sin(x / 12.0 * PI) + 300.0 * Math.sin(x / 30.0 * PI)) * 2.0 / 3.0;
    return r;
  }

  // The GCJ-02 offset (dlon, dlat) in degrees, evaluated at (lon, lat).
  function offset(lon, lat) {
    var dlat = shiftLat(lon - 105.0, lat - 35.0);
    var dlon = shiftLon(lon - 105.0, lat - 35.0);
    var radlat = lat / 180.0 * PI;
    var magic = Math.sin(radlat);
    magic = 1 - EE * magic * magic;
    var sqrtmagic = Math.sqrt(magic);
    dlat = (dlat * 180.0) / ((A * (1 - EE)) / (magic * sqrtmagic) * PI);
    dlon = (dlon * 180.0) / (A / sqrtmagic * Math.cos(radlat) * PI);
    return [dlon, dlat];
  }

  function wgs84ToGcj02(lon, lat) {
    if (outOfChina(lon, lat)) return [lon, lat];
    var d = offset(lon, lat);
    return [lon + d[0], lat + d[1]];
  }

  function gcj02ToWgs84(lon, lat) {
    if (outOfChina(lon, lat)) return [lon, lat];
    var d = offset(lon, lat);
    return [lon - d[0], lat - d[1]];
  }

  function identity(lon, lat) { return [lon, lat]; }

  wanbei.coords = {
    outOfChina: outOfChina,
    wgs84ToGcj02: wgs84ToGcj02,
    gcj02ToWgs84: gcj02ToWgs84,
    // (lon, lat) -> (lon, lat) from WGS84 to the datum `crs` names, and back.
    toDatum: function (crs) { return crs === "gcj02" ? wgs84ToGcj02 : identity; },
    fromDatum: function (crs) { return crs === "gcj02" ? gcj02ToWgs84 : identity; },
  };
})(window.wanbei);
