/* assetmap's map runtime: builds layers from data and popups from text, never from HTML.
   Every string from a register reaches the page through textContent, so markup in it shows
   as text and never runs. */
window.assetmap = window.assetmap || (function () {
  "use strict";
  function text(tag, value, cls) {
    var el = document.createElement(tag);
    if (cls) { el.className = cls; }
    el.textContent = value === null || value === undefined ? "" : String(value);
    return el;
  }
  function card(p) {
    var box = document.createElement("div");
    box.className = "assetmap-popup";
    box.appendChild(text("strong", p.title, "assetmap-title"));
    if (p.subtitle) { box.appendChild(text("div", p.subtitle, "assetmap-subtitle")); }
    if (p.rows && p.rows.length) {
      var dl = document.createElement("dl");
      p.rows.forEach(function (r) {
        dl.appendChild(text("dt", r[0]));
        dl.appendChild(text("dd", r[1]));
      });
      box.appendChild(dl);
    }
    return box;
  }
  // every feature drawn as a Leaflet layer, for search and the category filter:
  // {title, group, layer, fill}; the packed layers (below) filter themselves
  var index = [];
  var renderer = null;
  // packed columns, parsed once from their <script type="application/json"> element; their
  // texts are numbers into the page's one table of texts (d.strings names its element)
  var blobs = {};
  function ints(c) {
    // a column of integers as assetmap.maps._packed.ints packed it: runs, differences, a key
    var v = c.ints, n = v.length, out, i, j, k;
    if (c.runs) {
      var total = 0;
      for (i = 0; i < c.runs.length; i++) { total += c.runs[i]; }
      out = new Int32Array(total);
      for (i = 0, k = 0; i < n; i++) { for (j = 0; j < c.runs[i]; j++) { out[k++] = v[i]; } }
    } else {
      out = Int32Array.from(v);
    }
    if (c.delta) { for (i = 1; i < out.length; i++) { out[i] += out[i - 1]; } }
    if (c.k) { for (i = 0; i < out.length; i++) { if (out[i] >= 0) { out[i] = c.k[out[i]]; } } }
    return out;
  }
  function unpack(v) {
    if (Array.isArray(v)) {
      // arrays of numbers or texts stay as they are; pairs such as [heading, column] not
      if (v.length && (typeof v[0] === "object" || typeof v[v.length - 1] === "object")) {
        for (var i = 0; i < v.length; i++) { v[i] = unpack(v[i]); }
      }
      return v;
    }
    if (v && typeof v === "object") {
      if (Array.isArray(v.ints)) { return ints(v); }
      Object.keys(v).forEach(function (key) { v[key] = unpack(v[key]); });
    }
    return v;
  }
  function spell(c, s, known) {
    // a templated column ({tpl, num}: "#" for each number, "\\" before a character of its
    // own) as numbers into the texts s, each distinct text added to s once
    var tpl = c.tpl, num = c.num, out = new Int32Array(tpl.length), at = 0;
    for (var r = 0; r < tpl.length; r++) {
      if (tpl[r] < 0) { out[r] = -1; continue; }
      var t = s[tpl[r]], said = "";
      for (var i = 0; i < t.length; i++) {
        var ch = t.charAt(i);
        if (ch === "\\") { said += t.charAt(++i); } else if (ch === "#") { said += num[at++]; }
        else { said += ch; }
      }
      var code = known.get(said);
      if (code === undefined) { code = s.length; s.push(said); known.set(said, code); }
      out[r] = code;
    }
    return out;
  }
  // what the canvas needs to draw its first frame is decoded when a layer is made; every
  // other column (names, cards, reasons, the list view) and the page's table of texts only
  // when first read (a click, a search, the list view) or once the map has been painted
  var DRAW = {lonlat: 1, ends: 1, s: 1, t: 1, cls: 1, exact: 1, coarse_style: 1, from: 1};
  var pending = [];  // [blob, its raw columns] not decoded in full yet
  function parsed(id) {
    return JSON.parse(document.getElementById(id).textContent);
  }
  function joinedEnds(d) {
    // line ends: the lines' own, then every row of the point layers they name (each point
    // is in the page once)
    var parts = d.from.map(function (f) { return data(f[0]); });
    var at = d.ends.length, ends = new Float64Array(parts.reduce(function (n, p) {
      return n + p.lonlat.length;
    }, at));
    ends.set(d.ends);
    parts.forEach(function (p) { ends.set(p.lonlat, at); at += p.lonlat.length; });
    d.ends = ends;
  }
  function joinedTexts(d) {
    // the ends' titles and their layers' groups, in the order of joinedEnds
    var own = d.title.length, n = d.ends.length / 2;
    var title = new Int32Array(n), group = new Int32Array(n);
    title.set(d.title); group.set(d.group);
    d.from.forEach(function (f) {
      var p = data(f[0]), m = p.lonlat.length / 2;
      title.set(p.title, own); group.fill(f[1], own, own + m);
      own += m;
    });
    d.title = title; d.group = group;
  }
  function complete(d) {
    // decode the rest of a blob's columns (once): its texts spelled out, its ends named
    for (var k = 0; k < pending.length; k++) {
      if (pending[k][0] !== d) { continue; }
      var raw = pending[k][1];
      pending.splice(k, 1);
      Object.keys(raw).forEach(function (key) {
        if (!DRAW[key]) {
          Object.defineProperty(d, key, {value: unpack(raw[key]), writable: true,
                                         enumerable: true, configurable: true});
        }
      });
      if (typeof d.strings === "string") {
        var s = d.strings = data(d.strings);
        if (!s.known) { s.known = new Map(); s.forEach(function (t, c) { s.known.set(t, c); }); }
        (d.templated || []).forEach(function (c) { d[c] = spell(d[c], s, s.known); });
      }
      if (d.from) { joinedTexts(d); }
      return;
    }
  }
  function data(id) {
    if (!blobs[id]) {
      var raw = parsed(id);
      if (Array.isArray(raw)) { blobs[id] = raw; return raw; }  // the page's table of texts
      var d = blobs[id] = {};
      Object.keys(raw).forEach(function (key) {
        if (DRAW[key]) { d[key] = unpack(raw[key]); return; }
        Object.defineProperty(d, key, {
          enumerable: true, configurable: true,
          get: function () { complete(d); return d[key]; },
          set: function (v) { complete(d); d[key] = v; }
        });
      });
      pending.push([d, raw]);
      if (d.from) { joinedEnds(d); }
      decodeLater();
    }
    return blobs[id];
  }
  function decodeLater() {
    // once the first frame has been painted: the rest of every blob, one per task, then the
    // list views (a click or a search before then decodes what it needs itself)
    if (decodeLater.asked) { return; }
    decodeLater.asked = true;
    var idle = window.requestIdleCallback || function (f) { return setTimeout(f, 1); };
    function next() {
      if (pending.length) { complete(pending[0][0]); idle(next); return; }
      tables.forEach(function (t) { t.start(); });
    }
    requestAnimationFrame(function () {
      requestAnimationFrame(function () { setTimeout(function () { idle(next); }, 0); });
    });
  }
  function pointProps(d, i) {
    var s = d.strings, rows = [];
    if (i < d.exact) {
      d.fields.forEach(function (f) { if (f[1][i] >= 0) { rows.push([s[f[0]], s[f[1][i]]]); } });
    }
    var props = {title: s[d.title[i]], subtitle: s[d.subtitle[i]], rows: rows};
    if (i >= d.exact) { props.style = d.coarse_style; }
    return props;
  }
  function lineProps(d, i) {
    var s = d.strings, w = d.words;
    var rows = [[s[w[0]], s[d.why[i]]]];
    if (d.meets[i] >= 0) { rows.push([s[w[1]], s[d.meets[i]]]); }
    rows.push([s[w[2]], s[d.apart[i]]]);
    d.factors.forEach(function (f) { if (f[1][i] >= 0) { rows.push([s[f[0]], s[f[1][i]]]); } });
    return {title: s[d.title[d.s[i]]] + " \u2192 " + s[d.title[d.t[i]]],
            subtitle: s[d.subtitle[i]], rows: rows};
  }
  function features(d, opts) {
    // few: packed columns as GeoJSON, drawn as SVG layers with tooltips (keyboard-reachable)
    var feats = [], i, f;
    if (d.ends) {
      for (i = 0; i < d.s.length; i++) {
        f = {type: "Feature", id: "link-" + i, properties: lineProps(d, i),
             geometry: {type: "LineString", coordinates: [
               [d.ends[2 * d.s[i]], d.ends[2 * d.s[i] + 1]],
               [d.ends[2 * d.t[i]], d.ends[2 * d.t[i] + 1]]]}};
        f.properties.style = opts.classes[d.cls[i]];
        feats.push(f);
      }
    } else {
      for (i = 0; i < d.title.length; i++) {
        f = {type: "Feature", properties: pointProps(d, i),
             geometry: {type: "Point", coordinates: [d.lonlat[2 * i], d.lonlat[2 * i + 1]]}};
        if (i < d.exact) { f.id = d.strings[d.id[i]]; }
        feats.push(f);
      }
    }
    return {type: "FeatureCollection", features: feats};
  }
  function matcher(d, q) {
    // which of a blob's texts hold the query (lower case), each text tested once
    var s = d.strings, k;  // one table for the page: lowered once, and as it grows
    s.lower = s.lower || [];
    for (k = s.lower.length; k < s.length; k++) { s.lower.push(s[k].toLowerCase()); }
    var ok = new Uint8Array(s.length);
    for (k = 0; k < ok.length; k++) { ok[k] = s.lower[k].indexOf(q) >= 0 ? 1 : 0; }
    return ok;
  }
  // --- many points and lines: drawn from their packed columns onto one canvas per map ---
  function world(map, lonlat) {
    // each point at zoom 0 in the map's pixel space, once (Web Mercator inline)
    var n = lonlat.length / 2, x = new Float64Array(n), y = new Float64Array(n), i;
    var crs = map.options.crs;
    if (crs === L.CRS.EPSG3857) {
      var max = 85.0511287798, d = Math.PI / 180;
      for (i = 0; i < n; i++) {
        var sin = Math.sin(Math.max(Math.min(max, lonlat[2 * i + 1]), -max) * d);
        x[i] = 256 * (0.5 + lonlat[2 * i] / 360);
        y[i] = 256 * (0.5 - Math.log((1 + sin) / (1 - sin)) / (4 * Math.PI));
      }
    } else {
      for (i = 0; i < n; i++) {
        var p = crs.latLngToPoint(L.latLng(lonlat[2 * i + 1], lonlat[2 * i]), 0);
        x[i] = p.x; y[i] = p.y;
      }
    }
    return [x, y];
  }
  var scenes = [];
  var Scene = L.Renderer.extend({
    // one canvas under the markers that draws every packed layer on the map, in order, and
    // finds what a click or the pointer is on; it takes no pointer events itself
    initialize: function (options) {
      L.Renderer.prototype.initialize.call(this, options);
      this._packs = [];
      this.painted = false;
    },
    _initContainer: function () {
      this._container = L.DomUtil.create("canvas", "assetmap-canvas");
      this._container.style.pointerEvents = "none";
      this._ctx = this._container.getContext("2d");
    },
    _destroyContainer: function () {
      L.Util.cancelAnimFrame(this._request);
      L.DomUtil.remove(this._container);
      delete this._container;
    },
    getEvents: function () {
      var events = L.Renderer.prototype.getEvents.call(this);
      events.click = this._click;
      events.mousemove = this._hover;
      return events;
    },
    add: function (pack) {
      this._packs.push(pack);
      this._packs.sort(function (a, b) { return a.order - b.order; });
      this.redraw();
    },
    remove: function (pack) {
      this._packs = this._packs.filter(function (p) { return p !== pack; });
      this.redraw();
    },
    redraw: function () {
      if (!this._request && this._map) {
        this._request = L.Util.requestAnimFrame(this._draw, this);
      }
    },
    _update: function () {
      if (this._map._animatingZoom && this._bounds) { return; }
      L.Renderer.prototype._update.call(this);
      var b = this._bounds, c = this._container, size = b.getSize(), r = L.Browser.retina ? 2 : 1;
      L.DomUtil.setPosition(c, b.min);
      c.width = r * size.x; c.height = r * size.y;
      c.style.width = size.x + "px"; c.style.height = size.y + "px";
      this._ctx.setTransform(r, 0, 0, r, 0, 0);
      this.redraw();
    },
    _view: function () {
      var map = this._map, b = this._bounds;
      var o = map.getPixelOrigin().add(b.min);
      return {k: map.getZoomScale(map.getZoom(), 0), ox: o.x, oy: o.y,
              w: b.max.x - b.min.x, h: b.max.y - b.min.y};
    },
    _draw: function () {
      this._request = null;
      if (!this._map) { return; }
      var ctx = this._ctx, view = this._view(), r = L.Browser.retina ? 2 : 1;
      var start = performance.now();
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      ctx.clearRect(0, 0, this._container.width, this._container.height);
      ctx.setTransform(r, 0, 0, r, 0, 0);
      this._packs.forEach(function (p) { p.draw(ctx, view); });
      this.painted = true;
      this.draws = (this.draws || 0) + 1;
      this.drawMs = performance.now() - start;
    },
    _at: function (e) {
      // the topmost packed point under the pointer, else the nearest line: [pack, i]
      var view = this._view(), lp = this._map.containerPointToLayerPoint(e.containerPoint);
      var x = lp.x - this._bounds.min.x, y = lp.y - this._bounds.min.y;
      for (var k = this._packs.length - 1; k >= 0; k--) {
        var i = this._packs[k].hit(x, y, view);
        if (i >= 0) { return [this._packs[k], i]; }
      }
      return null;
    },
    _click: function (e) {
      var target = e.originalEvent && e.originalEvent.target;
      if (target && target.classList && target.classList.contains("leaflet-interactive")) {
        return;  // a Leaflet layer of its own took the click
      }
      var found = this._at(e);
      if (found) { found[0].open(found[1], e.latlng); }
    },
    _hover: function (e) {
      var self = this;
      self._pointer = e;
      if (self._hovering) { return; }
      self._hovering = L.Util.requestAnimFrame(function () {
        self._hovering = null;
        if (!self._map) { return; }
        self._map.getContainer().style.cursor = self._at(self._pointer) ? "pointer" : "";
      });
    }
  });
  function sceneOf(map) {
    if (!map._assetmapScene) {
      map._assetmapScene = new Scene({padding: 0.1});
      scenes.push(map._assetmapScene);
      map.addLayer(map._assetmapScene);
    }
    return map._assetmapScene;
  }
  var packs = [];
  var Packed = L.Layer.extend({
    initialize: function (d, opts) {
      this.d = d; this.opts = opts; this.order = packs.length; packs.push(this);
      this.lines = !!d.ends;
      this.n = this.lines ? d.s.length : d.lonlat.length / 2;
      this.shown = new Uint8Array(this.n).fill(1);
      this.drawn = 0;
      if (this.lines) {  // the lines of each style, drawn together
        this.byClass = opts.classes.map(function () { return []; });
        for (var i = 0; i < this.n; i++) { this.byClass[d.cls[i]].push(i); }
      }
    },
    onAdd: function (map) {
      if (!this.x) {
        var xy = world(map, this.lines ? this.d.ends : this.d.lonlat);
        this.x = xy[0]; this.y = xy[1];
      }
      sceneOf(map).add(this);
    },
    onRemove: function (map) { sceneOf(map).remove(this); this.drawn = 0; },
    draw: function (ctx, v) {
      if (this.lines) { this._lines(ctx, v); } else { this._points(ctx, v); }
    },
    _points: function (ctx, v) {
      // each marker stamped from one drawn once (10^5 circles drawn one by one are slow)
      var x = this.x, y = this.y, shown = this.shown, exact = this.d.exact;
      var stamp = this._stamp(false), half = stamp.half, size = stamp.size, drawn = 0, px, py;
      for (var i = 0; i < this.n; i++) {
        if (i === exact) { stamp = this._stamp(true); }  // records shown approximately
        if (!shown[i]) { continue; }
        px = x[i] * v.k - v.ox; py = y[i] * v.k - v.oy;
        if (px < -half || py < -half || px > v.w + half || py > v.h + half) { continue; }
        ctx.drawImage(stamp, Math.round(px - half), Math.round(py - half), size, size);
        drawn += 1;
      }
      this.drawn = drawn;
    },
    _stamp: function (coarse) {
      // the layer's marker (dashed and paler for a record shown approximately), drawn once
      this.stamps = this.stamps || {};
      if (this.stamps[coarse]) { return this.stamps[coarse]; }
      var st = L.extend({}, this.opts.style, coarse ? this.d.coarse_style : {});
      var r = st.radius || 7, ratio = L.Browser.retina ? 2 : 1;
      var size = Math.ceil(2 * r + st.weight + 2);
      var c = document.createElement("canvas"), ctx = c.getContext("2d");
      c.width = c.height = size * ratio;
      ctx.scale(ratio, ratio);
      ctx.beginPath();
      ctx.arc(size / 2, size / 2, r, 0, 2 * Math.PI);
      ctx.globalAlpha = st.fillOpacity; ctx.fillStyle = st.fillColor; ctx.fill();
      ctx.globalAlpha = 1; ctx.lineWidth = st.weight; ctx.strokeStyle = st.color;
      if (st.dashArray) { ctx.setLineDash(String(st.dashArray).split(" ").map(Number)); }
      ctx.stroke();
      c.half = size / 2; c.size = size;
      this.stamps[coarse] = c;
      return c;
    },
    _lines: function (ctx, v) {
      // each line stroked on its own (one path of 10^5 lines is far slower to fill); a line
      // shorter than a pixel is a dot of its width, painted as one
      var d = this.d, x = this.x, y = this.y, drawn = 0, self = this;
      ctx.lineCap = "round"; ctx.lineJoin = "round";
      ctx.globalAlpha = this.opts.style.opacity;
      this.opts.classes.forEach(function (st, c) {
        var w = st.weight;
        ctx.strokeStyle = st.color; ctx.fillStyle = st.color; ctx.lineWidth = w;
        ctx.setLineDash(st.dashArray ? st.dashArray.split(" ").map(Number) : []);
        self.byClass[c].forEach(function (i) {
          var ax = x[d.s[i]] * v.k - v.ox, ay = y[d.s[i]] * v.k - v.oy;
          var bx = x[d.t[i]] * v.k - v.ox, by = y[d.t[i]] * v.k - v.oy;
          if ((ax < 0 && bx < 0) || (ay < 0 && by < 0) || (ax > v.w && bx > v.w) ||
              (ay > v.h && by > v.h) || !self.shown[i]) { return; }
          if (Math.abs(ax - bx) + Math.abs(ay - by) < 1) {
            ctx.fillRect((ax + bx - w) / 2, (ay + by - w) / 2, w, w);
          } else {
            ctx.beginPath(); ctx.moveTo(ax, ay); ctx.lineTo(bx, by); ctx.stroke();
          }
          drawn += 1;
        });
      });
      ctx.setLineDash([]); ctx.globalAlpha = 1;
      this.drawn = drawn;
    },
    hit: function (px, py, v) {
      var x = this.x, y = this.y, i;
      if (!this.lines) {
        var r = (this.opts.style.radius || 7) + 2;
        for (i = this.n - 1; i >= 0; i--) {  // the last drawn is on top
          var dx = x[i] * v.k - v.ox - px, dy = y[i] * v.k - v.oy - py;
          if (this.shown[i] && dx * dx + dy * dy <= r * r) { return i; }
        }
        return -1;
      }
      var d = this.d, best = -1, near = 16;  // within 4 px of a line
      for (i = 0; i < this.n; i++) {
        var ax = x[d.s[i]] * v.k - v.ox, ay = y[d.s[i]] * v.k - v.oy;
        var bx = x[d.t[i]] * v.k - v.ox - ax, by = y[d.t[i]] * v.k - v.oy - ay;
        var len = bx * bx + by * by;
        var t = len ? Math.max(0, Math.min(1, ((px - ax) * bx + (py - ay) * by) / len)) : 0;
        var ex = ax + t * bx - px, ey = ay + t * by - py, dd = ex * ex + ey * ey;
        var w = this.opts.classes[d.cls[i]].weight / 2 + 3;
        if (dd <= w * w && dd < near * 4) { best = i; near = dd / 4; }
      }
      return best;
    },
    props: function (i) { return this.lines ? lineProps(this.d, i) : pointProps(this.d, i); },
    open: function (i, latlng) {
      if (!this._map) { return; }
      var at = this.lines ? latlng : L.latLng(this.d.lonlat[2 * i + 1], this.d.lonlat[2 * i]);
      L.popup({maxWidth: 320}).setLatLng(at).setContent(card(this.props(i))).openOn(this._map);
    },
    filter: function (q, group) {
      // search by name and the category filter: how many of its points are shown
      var n = this.n, shown = this.shown, count = 0;
      if (group && (this.opts.group || "") !== group) {
        shown.fill(0);
      } else if (!q) {
        shown.fill(1); count = n;
      } else {
        var ok = matcher(this.d, q), title = this.d.title;
        for (var i = 0; i < n; i++) { shown[i] = ok[title[i]]; count += shown[i]; }
      }
      if (this._map) { sceneOf(this._map).redraw(); }
      return count;
    }
  });
  function find(id) {
    // open the card of the record with this id, wherever it is drawn
    for (var k = 0; k < packs.length; k++) {
      var d = packs[k].d;
      if (packs[k].lines) { continue; }
      var code = d.strings.indexOf(String(id)), i = code < 0 ? -1 : d.id.indexOf(code);
      if (i >= 0) { packs[k].open(i); return true; }
    }
    for (var j = 0; j < index.length; j++) {
      var lyr = index[j].layer;
      if (lyr.feature && String(lyr.feature.id) === String(id) && lyr._map) {
        lyr.openPopup(); return true;
      }
    }
    return false;
  }
  function painted() {
    // every canvas on the page has drawn all its packed layers (none waits to draw again)
    return scenes.every(function (s) { return s.painted && !s._request; });
  }
  function drawn() {
    var out = {points: 0, lines: 0};
    packs.forEach(function (p) { out[p.lines ? "lines" : "points"] += p._map ? p.drawn : 0; });
    return out;
  }
  var Site = L.Marker.extend({
    // a named site, placed with a 2D transform: Leaflet's translate3d puts each marker on a
    // compositing layer of its own, and 10^3 of those take longer to paint than the map
    _setPos: function (pos) {
      L.Marker.prototype._setPos.call(this, pos);
      if (L.Browser.any3d) {  // else Leaflet placed it by left and top
        this._icon.style[L.DomUtil.TRANSFORM] = "translate(" + pos.x + "px," + pos.y + "px)";
      }
    }
  });
  function layer(data, opts) {
    if (data.ends || data.lonlat) {
      if (opts.canvas) { return new Packed(data, opts); }
      data = features(data, opts);
    }
    if (opts.canvas && !renderer) { renderer = L.canvas({padding: 0.5}); }
    var group = L.geoJSON(data, {
      interactive: opts.interactive !== false,
      style: function (f) { return L.extend({}, opts.style, f.properties.style || {}); },
      pointToLayer: function (f, latlng) {
        var style = L.extend({}, opts.style, f.properties.style || {});
        if (opts.marker === "site") {
          // named on the map, always: a partner should not have to click to find the hospital
          // (the name is part of the marker: no tooltip to lay out one by one, for 10^3 sites)
          var mark = document.createElement("div");
          mark.appendChild(text("span", "", "assetmap-site-icon"));
          mark.appendChild(text("span", f.properties.title, "assetmap-site-label"));
          var site = new Site(latlng, {
            icon: L.divIcon({className: "assetmap-site", iconSize: [18, 18], html: mark}),
            keyboard: true, title: f.properties.title, alt: f.properties.title
          });
          site.on("add", function () {
            var el = site.getElement();
            if (el) { el.setAttribute("aria-label", String(f.properties.title || "")); }
          });
          return site;
        }
        if (opts.canvas) { style.renderer = renderer; }
        return L.circleMarker(latlng, style);
      },
      onEachFeature: function (f, lyr) {
        if (opts.interactive === false) { return; }
        lyr.bindPopup(function () { return card(f.properties); }, {maxWidth: 320});
        if (!opts.canvas && opts.marker !== "site") {
          lyr.bindTooltip(text("span", f.properties.title));
        }
        if (opts.searchable !== false) {
          index.push({title: String(f.properties.title || ""), group: opts.group || "",
                      layer: lyr, fill: lyr.options ? lyr.options.fillOpacity : undefined});
        }
      }
    });
    return group;
  }
  // the list views on the page: each filtered with the map
  var tables = [];
  function filter(map, query, group) {
    var q = (query || "").toLowerCase();
    var shown = 0;
    index.forEach(function (e) {
      var ok = (!q || e.title.toLowerCase().indexOf(q) >= 0) && (!group || e.group === group);
      var el = e.layer.getElement ? e.layer.getElement() : null;
      if (e.layer.setStyle) {
        e.layer.setStyle({opacity: ok ? 1 : 0, fillOpacity: ok ? e.fill : 0});
      } else if (el) {
        el.style.display = ok ? "" : "none";
      }
      var tip = e.layer.getTooltip ? e.layer.getTooltip() : null;
      if (tip && tip.options.permanent && tip.getElement()) {
        tip.getElement().style.display = ok ? "" : "none";
      }
      if (ok) { shown += 1; }
    });
    packs.forEach(function (p) {
      if (!p.lines && p.opts.searchable !== false) { shown += p.filter(q, group); }
    });
    var listed = 0;
    tables.forEach(function (t) { listed += t.filter(q, group); });
    return [shown, listed];
  }
  function search(map, groups, withList) {
    var control = L.control({position: "topleft"});
    control.onAdd = function () {
      var box = L.DomUtil.create("div", "assetmap-search");
      box.setAttribute("role", "search");
      var label = text("label", "Search by name");
      var input = document.createElement("input");
      input.type = "search"; input.className = "assetmap-search-input";
      label.appendChild(input);
      var select = document.createElement("select");
      select.className = "assetmap-filter"; select.setAttribute("aria-label", "Show category");
      select.appendChild(text("option", "All categories"));
      select.options[0].value = "";
      groups.forEach(function (g) { var o = text("option", g); o.value = g; select.appendChild(o); });
      var status = text("div", "", "assetmap-search-status");
      status.setAttribute("aria-live", "polite");
      function run() {
        var n = filter(map, input.value, select.value);
        var words = n[0] + " shown";
        if (tables.length) { words += "; " + n[1] + " in the list"; }
        status.textContent = (input.value || select.value) ? words : "";
      }
      input.addEventListener("input", run);
      select.addEventListener("change", run);
      box.appendChild(label); box.appendChild(select); box.appendChild(status);
      if (withList) {
        var go = text("button", "Go to the list view", "assetmap-to-list");
        go.type = "button";
        go.addEventListener("click", function () {
          var list = document.querySelector(".assetmap-links-table");
          if (!list) { return; }
          if (document.fullscreenElement) { document.exitFullscreen(); }
          list.setAttribute("tabindex", "-1");
          list.scrollIntoView();
          list.focus();
        });
        box.appendChild(go);
      }
      L.DomEvent.disableClickPropagation(box);
      L.DomEvent.disableScrollPropagation(box);
      return box;
    };
    control.addTo(map);
    return control;
  }
  function fullscreen(map) {
    var control = L.control({position: "topleft"});
    control.onAdd = function () {
      var b = L.DomUtil.create("button", "assetmap-fullscreen");
      b.type = "button"; b.textContent = "Full screen";
      L.DomEvent.on(b, "click", function (ev) {
        L.DomEvent.stop(ev);
        var c = map.getContainer();
        if (document.fullscreenElement) { document.exitFullscreen(); }
        else if (c.requestFullscreen) { c.requestFullscreen(); }
      });
      return b;
    };
    control.addTo(map);
  }
  //: Above this many rows, the list view puts only the rows on screen into the page.
  var WINDOW_ABOVE = 400;
  function table(id, d, columns, words) {
    // the list view: the same links as an accessible, sortable table (text only), which the
    // map's search and category filter filter too; rows are put together from the links'
    // packed columns as they come on screen
    var el = document.getElementById(id);
    if (!el) { return; }
    var body = el.querySelector("tbody");
    var status = el.parentNode.querySelector(".assetmap-list-status");
    var s, listed, g, nl, total, score, order = null, shown = [];
    var query = "", group = "";
    function decoded() {  // the columns the list reads, decoded on first use
      if (order) { return; }
      s = d.strings; listed = d.list; g = d.grouped; nl = listed.length;
      total = nl + g.from.length; score = d.factors[d.scored][1];
      order = [];
      for (var k = 0; k < total; k++) { order.push(k); }
    }
    function code(r, c) {  // the text (number into s) of row r, column c; -1: none
      if (r >= nl) { return c === "score" ? -1 : g[c][r - nl]; }
      var i = listed[r];
      if (c === "from") { return d.title[d.s[i]]; }
      if (c === "to") { return d.title[d.t[i]]; }
      if (c === "score") { return score[i]; }
      return d[c][i];
    }
    function pair(r, what) {  // the two names or groups a row is found by
      if (r >= nl) { return [g[what][2 * (r - nl)], g[what][2 * (r - nl) + 1]]; }
      var i = listed[r], col = what === "names" ? d.title : d.group;
      return [col[d.s[i]], col[d.t[i]]];
    }
    function keep() {
      var ok = query ? matcher(d, query) : null, want = group ? s.indexOf(group) : -1;
      shown = order.filter(function (r) {
        var names = pair(r, "names"), groups = group ? pair(r, "groups") : null;
        return (!ok || ok[names[0]] || ok[names[1]]) &&
               (!group || (want >= 0 && (groups[0] === want || groups[1] === want)));
      });
    }
    var rowHeight = 0, measured = false, first = -1, last = -1;
    function row(r, at) {
      var tr = document.createElement("tr");
      tr.setAttribute("aria-rowindex", String(at + 2));
      columns.forEach(function (c, j) {
        var t = code(r, c);
        var cell = text(j === 0 ? "th" : "td", t >= 0 ? s[t] : "");
        cell.setAttribute("data-label", words[j]);
        tr.appendChild(cell);
      });
      tr.firstChild.setAttribute("scope", "row");
      return tr;
    }
    function spacer(rows) {
      var tr = document.createElement("tr"), td = document.createElement("td");
      tr.className = "assetmap-spacer"; tr.setAttribute("aria-hidden", "true");
      td.colSpan = columns.length; td.style.height = (rows * rowHeight) + "px";
      tr.appendChild(td);
      return tr;
    }
    function paint(again) {
      var n = shown.length, a = 0, b = n;
      if (n > WINDOW_ABOVE) {  // only the rows on screen, and a screenful either side
        var top = body.getBoundingClientRect().top, h = rowHeight || 24;
        var screen = Math.ceil(window.innerHeight / h);
        a = Math.min(Math.max(0, Math.floor(-top / h) - screen), Math.max(0, n - 3 * screen));
        b = Math.min(n, a + 3 * screen);
      }
      if (!again && a === first && b === last) { return; }
      first = a; last = b;
      var part = document.createDocumentFragment();
      if (a > 0) { part.appendChild(spacer(a)); }
      for (var j = a; j < b; j++) { part.appendChild(row(shown[j], j)); }
      if (b < n) { part.appendChild(spacer(n - b)); }
      while (body.firstChild) { body.removeChild(body.firstChild); }
      body.appendChild(part);
      if (n > WINDOW_ABOVE && b > a && !measured) {  // the rows' height as drawn, once
        var rows = body.querySelectorAll("tr:not(.assetmap-spacer)");
        var height = (rows[rows.length - 1].getBoundingClientRect().bottom -
                      rows[0].getBoundingClientRect().top) / rows.length;
        measured = true;
        if (height > 0) { rowHeight = height; paint(true); }
      }
    }
    var filled = false;
    function fill() {
      decoded(); filled = true;
      keep();
      el.setAttribute("aria-rowcount", String(shown.length + 1));
      paint(true);
      if (status) {
        status.textContent = (query || group) ? shown.length + " of " + total + " rows shown" : "";
      }
      return shown.length;
    }
    var waiting = false;
    function scrolled() {
      if (waiting || shown.length <= WINDOW_ABOVE) { return; }
      waiting = true;
      requestAnimationFrame(function () { waiting = false; paint(false); });
    }
    window.addEventListener("scroll", scrolled, {passive: true});
    window.addEventListener("resize", function () { measured = false; scrolled(); });
    var head = el.querySelector("thead tr");
    if (head) { head.setAttribute("aria-rowindex", "1"); }
    function sortKey(c) {
      // a number per text of column c, for sorting: its place in alphabetical order, or for
      // scores and distances the number it says (no number: last, either way)
      var keys = new Float64Array(s.length).fill(NaN), used = {}, r;
      for (r = 0; r < total; r++) { var t = code(r, c); if (t >= 0) { used[t] = true; } }
      var texts = Object.keys(used).map(Number);
      if (c === "score" || c === "apart") {
        texts.forEach(function (t) {
          var m = /([\d,]+(?:\.\d+)?)\s*(km|m)\b/.exec(s[t]);
          keys[t] = c === "score" ? parseFloat(s[t]) :
            (m ? parseFloat(m[1].replace(/,/g, "")) * (m[2] === "km" ? 1000 : 1) : NaN);
        });
      } else {
        var collator = new Intl.Collator();
        texts.sort(function (a, b) { return collator.compare(s[a], s[b]); });
        texts.forEach(function (t, place) { keys[t] = place; });
      }
      return keys;
    }
    el.querySelectorAll("thead button").forEach(function (button, j) {
      button.addEventListener("click", function () {
        var th = button.parentNode;
        var up = th.getAttribute("aria-sort") !== "ascending";
        el.querySelectorAll("thead th").forEach(function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", up ? "ascending" : "descending");
        decoded();
        var c = columns[j], keys = sortKey(c);
        function key(r) { var t = code(r, c); return t >= 0 ? keys[t] : NaN; }
        order = [];
        for (var r = 0; r < total; r++) { order.push(r); }
        order.sort(function (a, b) {
          var x = key(a), y = key(b);
          if (isNaN(x)) { return isNaN(y) ? 0 : 1; }  // no score: last either way
          if (isNaN(y)) { return -1; }
          return up ? x - y : y - x;
        });
        fill();
      });
    });
    function start() {  // the rows, filled once (search, filter and sort fill them again)
      if (!filled) { fill(); }
    }
    tables.push({filter: function (q, gr) { query = q; group = gr; return fill(); },
                 start: start});
    if (d.s.length <= WINDOW_ABOVE || !window.IntersectionObserver) {
      start();
    } else {  // a long list: filled when it comes near the screen, or once the map is painted
      var seen = new IntersectionObserver(function (changes) {
        if (changes.some(function (c) { return c.isIntersecting; })) {
          seen.disconnect(); start();
        }
      });
      seen.observe(body);
      el.addEventListener("focusin", start);
      decodeLater();
    }
  }
  function collapsible(button, body, collapsed) {
    // a panel whose body a button shows and hides (Enter and Space work, as on any button)
    function set(open) {
      button.setAttribute("aria-expanded", open ? "true" : "false");
      body.hidden = !open;
      button.parentNode.classList.toggle("assetmap-collapsed", !open);
    }
    button.addEventListener("click", function (ev) {
      L.DomEvent.stop(ev);
      var open = button.getAttribute("aria-expanded") !== "true";
      set(open);
      button.dispatchEvent(new CustomEvent("assetmap:toggle", {bubbles: true, detail: open}));
    });
    set(!collapsed);
    return set;
  }
  function layout(map) {
    // no control ever covers another: the legend and the layer list fold away (folded from
    // the start on small screens, and only one open at a time there), and each open one is
    // kept within the room its corner leaves
    var box = map.getContainer();
    var small = box.clientWidth < 600 || box.clientHeight < 420;
    var panels = [];
    var legendEl = box.querySelector(".assetmap-legend");
    if (legendEl) {
      panels.push({el: legendEl, body: legendEl.querySelector(".assetmap-panel-body"),
                   set: collapsible(legendEl.querySelector(".assetmap-toggle"),
                                    legendEl.querySelector(".assetmap-panel-body"), small)});
    }
    var layers = box.querySelector(".leaflet-control-layers");
    if (layers && !layers.querySelector(".assetmap-toggle")) {
      var list = layers.querySelector(".leaflet-control-layers-list");
      list.id = list.id || map.getContainer().id + "-layers";
      list.setAttribute("tabindex", "0");  // it may scroll: reachable by keyboard
      list.setAttribute("role", "region");
      list.setAttribute("aria-label", "Layers");
      var button = text("button", "Layers", "assetmap-toggle");
      button.type = "button";
      button.setAttribute("aria-controls", list.id);
      layers.insertBefore(button, layers.firstChild);
      layers.classList.add("assetmap-panel");
      panels.push({el: layers, body: list, set: collapsible(button, list, small)});
    }
    function fit() {
      var h = box.clientHeight, w = box.clientWidth;
      var top = box.querySelector(".leaflet-top.leaflet-left");
      var used = top ? top.getBoundingClientRect().bottom - box.getBoundingClientRect().top : 0;
      var left = top ? top.getBoundingClientRect().width : 0;
      var scale = box.querySelector(".leaflet-control-scale");
      var below = scale ? scale.getBoundingClientRect().height + 10 : 0;
      var credit = box.querySelector(".leaflet-control-attribution");
      if (credit) {  // the credits wrap beside the scale (the legend stands above both)
        credit.style.maxWidth = Math.max(w - (scale ? scale.getBoundingClientRect().width : 0)
                                         - 30, 100) + "px";
      }
      var under = credit ? credit.getBoundingClientRect().height : 0;
      below = Math.max(below, under + 10);
      panels.forEach(function (p) {
        var toggle = p.el.querySelector(".assetmap-toggle");
        var head = toggle ? toggle.getBoundingClientRect().height : 0;
        var room = p.el === legendEl ? h - used - below - head - 30 : h - under - head - 30;
        p.body.style.maxHeight = Math.max(room, 40) + "px";
        if (p.el === layers) { p.el.style.maxWidth = Math.max(w - left - 30, 120) + "px"; }
        if (p.el === legendEl) { p.el.style.maxWidth = Math.min(260, w - 20) + "px"; }
      });
    }
    box.addEventListener("assetmap:toggle", function (ev) {
      if (!(box.clientWidth < 600 || box.clientHeight < 420) || !ev.detail) { return; }
      panels.forEach(function (p) {
        if (!p.el.contains(ev.target)) { p.set(false); }
      });
    });
    box.addEventListener("assetmap:toggle", fit);
    map.on("resize", fit);
    fit();
  }
  function legend(map, id, position) {
    var control = L.control({position: position});
    control.onAdd = function () {
      var el = document.getElementById(id);
      el.hidden = false;
      L.DomEvent.disableClickPropagation(el);
      L.DomEvent.disableScrollPropagation(el);
      return el;
    };
    control.addTo(map);
    return control;
  }
  return {layer: layer, legend: legend, search: search, fullscreen: fullscreen, table: table,
          layout: layout, index: index, data: data, packs: packs, find: find, painted: painted,
          drawn: drawn};
}());
