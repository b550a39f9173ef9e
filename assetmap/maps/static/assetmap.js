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
  // every feature drawn, for search and the category filter: {title, group, layer, fill}
  var index = [];
  var renderer = null;
  function packed(data, opts) {
    // many points: markers straight from the packed numbers onto one canvas, one popup for all
    if (!renderer) { renderer = L.canvas({padding: 0.5}); }
    var s = data.strings;
    var group = L.featureGroup();
    data.points.forEach(function (p) {
      var rows = [];
      for (var k = 0; k < p[5].length; k += 2) { rows.push([s[p[5][k]], s[p[5][k + 1]]]); }
      var props = {title: s[p[3]], subtitle: s[p[4]], rows: rows};
      var style = L.extend({renderer: renderer}, opts.style, p[6] || {});
      var marker = L.circleMarker([p[1], p[0]], style);
      marker.feature = {type: "Feature", id: s[p[2]], properties: props};
      group.addLayer(marker);
      index.push({title: props.title, group: opts.group || "", layer: marker,
                  fill: style.fillOpacity});
    });
    group.bindPopup(function (m) { return card(m.feature.properties); }, {maxWidth: 320});
    return group;
  }
  function layer(data, opts) {
    if (data.points) { return packed(data, opts); }
    if (opts.canvas && !renderer) { renderer = L.canvas({padding: 0.5}); }
    var group = L.geoJSON(data, {
      interactive: opts.interactive !== false,
      style: function (f) { return L.extend({}, opts.style, f.properties.style || {}); },
      pointToLayer: function (f, latlng) {
        var style = L.extend({}, opts.style, f.properties.style || {});
        if (opts.marker === "site") {
          var site = L.marker(latlng, {
            icon: L.divIcon({className: "assetmap-site", iconSize: [18, 18],
                             html: '<span class="assetmap-site-icon"></span>'}),
            keyboard: true, title: f.properties.title, alt: f.properties.title
          });
          // named on the map, always: a partner should not have to click to find the hospital
          site.bindTooltip(text("span", f.properties.title), {
            permanent: true, direction: "right", offset: [10, 0], className: "assetmap-site-label"
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
        if (!opts.canvas && !(lyr.getTooltip && lyr.getTooltip())) {
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
  function table(id, rows, columns, words) {
    // the list view: the same links as an accessible, sortable table (text only), which the
    // map's search and category filter filter too
    var el = document.getElementById(id);
    if (!el) { return; }
    var body = el.querySelector("tbody");
    var status = el.parentNode.querySelector(".assetmap-list-status");
    var order = rows.slice();
    var query = "", group = "";
    function keep(r) {
      var named = !query || (r.names || []).some(function (n) {
        return String(n).toLowerCase().indexOf(query) >= 0;
      });
      return named && (!group || (r.groups || []).indexOf(group) >= 0);
    }
    function fill() {
      while (body.firstChild) { body.removeChild(body.firstChild); }
      var n = 0;
      order.forEach(function (r) {
        if (!keep(r)) { return; }
        n += 1;
        var tr = document.createElement("tr");
        columns.forEach(function (c, k) {
          var v = r[c];
          var cell = text(k === 0 ? "th" : "td", typeof v === "number" ? v.toFixed(2) : v);
          cell.setAttribute("data-label", words[k]);
          tr.appendChild(cell);
        });
        if (tr.firstChild) { tr.firstChild.setAttribute("scope", "row"); }
        body.appendChild(tr);
      });
      if (status) {
        status.textContent = (query || group) ? n + " of " + rows.length + " rows shown" : "";
      }
      return n;
    }
    el.querySelectorAll("thead button").forEach(function (button, k) {
      button.addEventListener("click", function () {
        var th = button.parentNode;
        var up = th.getAttribute("aria-sort") !== "ascending";
        el.querySelectorAll("thead th").forEach(function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", up ? "ascending" : "descending");
        var c = columns[k];
        order = rows.slice().sort(function (a, b) {
          var x = a[c], y = b[c];
          if (x === null || x === undefined) { return 1; }  // no score: last either way
          if (y === null || y === undefined) { return -1; }
          var cmp = (typeof x === "number" && typeof y === "number") ? x - y : String(x).localeCompare(String(y));
          return up ? cmp : -cmp;
        });
        fill();
      });
    });
    tables.push({filter: function (q, g) { query = q; group = g; return fill(); }});
    fill();
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
          layout: layout, index: index};
}());
