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
          return L.marker(latlng, {
            icon: L.divIcon({className: "assetmap-site", iconSize: [18, 18],
                             html: '<span class="assetmap-site-icon"></span>'}),
            keyboard: true, title: f.properties.title, alt: f.properties.title
          });
        }
        if (opts.canvas) { style.renderer = renderer; }
        return L.circleMarker(latlng, style);
      },
      onEachFeature: function (f, lyr) {
        if (opts.interactive === false) { return; }
        lyr.bindPopup(function () { return card(f.properties); }, {maxWidth: 320});
        if (!opts.canvas) { lyr.bindTooltip(text("span", f.properties.title)); }
        if (opts.searchable !== false) {
          index.push({title: String(f.properties.title || ""), group: opts.group || "",
                      layer: lyr, fill: lyr.options ? lyr.options.fillOpacity : undefined});
        }
      }
    });
    return group;
  }
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
      if (ok) { shown += 1; }
    });
    return shown;
  }
  function search(map, groups) {
    var control = L.control({position: "topleft"});
    control.onAdd = function () {
      var box = L.DomUtil.create("div", "assetmap-search");
      var label = text("label", "Search by name");
      var input = document.createElement("input");
      input.type = "search"; input.className = "assetmap-search-input";
      input.setAttribute("aria-label", "Search by name");
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
        status.textContent = (input.value || select.value) ? n + " shown" : "";
      }
      input.addEventListener("input", run);
      select.addEventListener("change", run);
      box.appendChild(label); box.appendChild(select); box.appendChild(status);
      L.DomEvent.disableClickPropagation(box);
      return box;
    };
    control.addTo(map);
    return control;
  }
  function fullscreen(map) {
    var control = L.control({position: "topleft"});
    control.onAdd = function () {
      var b = L.DomUtil.create("button", "assetmap-fullscreen");
      b.type = "button"; b.title = "Full screen"; b.textContent = "Full screen";
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
  function table(id, rows, columns) {
    // the list view: the same links as an accessible, sortable table (text only)
    var el = document.getElementById(id);
    if (!el) { return; }
    var body = el.querySelector("tbody");
    function fill(list) {
      while (body.firstChild) { body.removeChild(body.firstChild); }
      list.forEach(function (r) {
        var tr = document.createElement("tr");
        columns.forEach(function (c, k) { tr.appendChild(text(k === 0 ? "th" : "td", r[c])); });
        if (tr.firstChild) { tr.firstChild.setAttribute("scope", "row"); }
        body.appendChild(tr);
      });
    }
    el.querySelectorAll("thead button").forEach(function (button, k) {
      button.addEventListener("click", function () {
        var th = button.parentNode;
        var up = th.getAttribute("aria-sort") !== "ascending";
        el.querySelectorAll("thead th").forEach(function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", up ? "ascending" : "descending");
        var c = columns[k];
        fill(rows.slice().sort(function (a, b) {
          var x = a[c], y = b[c];
          var cmp = (typeof x === "number" && typeof y === "number") ? x - y : String(x).localeCompare(String(y));
          return up ? cmp : -cmp;
        }));
      });
    });
    fill(rows);
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
          index: index};
}());
