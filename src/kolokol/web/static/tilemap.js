// Only when an administrator configured a tile server (setting map_tile_url): the same places on
// tiles, with Leaflet from the pinned npm package (static/vendor). Without it this file is not loaded.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const box = document.getElementById("tile-map");
  const data = document.getElementById("map-points");
  if (!box || !data || typeof L === "undefined") return;
  const map = L.map(box, { worldCopyJump: true }).setView([45, 50], 3);
  L.tileLayer(box.dataset.tiles, { maxZoom: 12 }).addTo(map);
  const places = JSON.parse(data.textContent);
  const top = Math.max(1, ...places.map((p) => p.count));
  for (const p of places) {
    if (p.lat === null || p.lon === null) continue;
    const label = document.createElement("span");
    label.textContent = `${p.name} (${p.country}): ${p.count}`;  // text, never markup
    L.circleMarker([p.lat, p.lon], { radius: 4 + 12 * Math.sqrt(p.count / top) }).bindTooltip(label).addTo(map);
  }
});
