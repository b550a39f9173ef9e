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
  function layer(data, opts) {
    return L.geoJSON(data, {
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
        return L.circleMarker(latlng, style);
      },
      onEachFeature: function (f, lyr) {
        if (opts.interactive === false) { return; }
        lyr.bindPopup(function () { return card(f.properties); }, {maxWidth: 320});
        lyr.bindTooltip(text("span", f.properties.title));
      }
    });
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
  return {text: text, card: card, layer: layer, legend: legend};
}());
