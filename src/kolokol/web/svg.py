"""Geometry for the charts and the map, drawn on the server as SVG (no chart library, no script).

The map's base layer is Natural Earth's country outlines as shipped by the npm package
`world-atlas` (pinned in package.json, copied into static/vendor by scripts/vendor_assets.py):
TopoJSON, decoded here and drawn in an equirectangular projection. Functions return numbers and
strings for the templates, which escape everything they print.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

VENDOR = Path(__file__).parent / "static" / "vendor"
WORLD = VENDOR / "world-atlas" / "countries-110m.json"
MAP_WIDTH = 1000.0
NORTH, SOUTH = 84.0, -58.0  # latitudes shown (Antarctica and the high Arctic left out)
MAP_HEIGHT = round((NORTH - SOUTH) * MAP_WIDTH / 360.0, 1)


def project(lat: float, lon: float) -> tuple[float, float]:
    """Equirectangular: (x, y) in the map's SVG units."""
    x = (lon + 180.0) * MAP_WIDTH / 360.0
    y = (NORTH - lat) * MAP_WIDTH / 360.0
    return round(x, 1), round(y, 1)


def base_map_available() -> bool:
    return WORLD.is_file()


@dataclass(frozen=True, slots=True)
class Outline:
    code: str | None  # ISO 3166-1 alpha-2
    name: str
    path: str  # SVG path data


def _alpha2(numeric: Any) -> str | None:
    import pycountry

    try:
        country = pycountry.countries.get(numeric=str(numeric).zfill(3))
    except (KeyError, LookupError):
        return None
    return country.alpha_2 if country is not None else None


def _decode_arcs(topology: dict[str, Any]) -> list[list[tuple[float, float]]]:
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x += dx
            y += dy
            points.append((x * sx + tx, y * sy + ty))  # (lon, lat)
        arcs.append(points)
    return arcs


def _ring(arcs: list[list[tuple[float, float]]], indexes: Sequence[int]) -> list[tuple[float, float]]:
    points: list[tuple[float, float]] = []
    for i in indexes:
        arc = arcs[i] if i >= 0 else list(reversed(arcs[~i]))
        points.extend(arc if not points else arc[1:])
    return points


def _unwrap(ring: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Longitudes made continuous along the ring: a ring that crosses the antimeridian (Russia, Fiji)
    goes on past ±180 instead of jumping across the whole map."""
    out: list[tuple[float, float]] = []
    shift = 0.0
    for lon, lat in ring:
        if out:
            step = lon + shift - out[-1][0]
            if step > 180:
                shift -= 360
            elif step < -180:
                shift += 360
        out.append((lon + shift, lat))
    return out


def _path(rings: list[list[tuple[float, float]]]) -> str:
    parts = []
    for ring in rings:
        ring = _unwrap(ring)
        lons = [lon for lon, _lat in ring]
        # what lies past an edge is drawn again from the other edge (the viewBox clips the rest)
        shifts = [0.0] + ([-360.0] if max(lons, default=0) > 180 else []) + ([360.0] if min(lons, default=0) < -180
                                                                            else [])
        for shift in shifts:
            coords = []
            last = None
            for lon, lat in ring:
                x, y = project(max(SOUTH, min(NORTH, lat)), lon + shift)
                if (x, y) != last:
                    coords.append(f"{x:g},{y:g}")
                    last = (x, y)
            if len(coords) >= 3:
                parts.append("M" + "L".join(coords) + "Z")
    return "".join(parts)


@lru_cache(maxsize=1)
def world_outlines() -> tuple[Outline, ...]:
    """Country outlines from the vendored world-atlas file (empty when it is not installed)."""
    if not base_map_available():
        return ()
    topology = json.loads(WORLD.read_text(encoding="utf-8"))
    arcs = _decode_arcs(topology)
    out = []
    for geometry in topology["objects"]["countries"]["geometries"]:
        if geometry.get("type") == "Polygon":
            polygons = [geometry["arcs"]]
        elif geometry.get("type") == "MultiPolygon":
            polygons = geometry["arcs"]
        else:
            continue
        rings = [_ring(arcs, ring) for polygon in polygons for ring in polygon]
        path = _path(rings)
        if path and geometry.get("id") != "010":  # Antarctica: below the map's edge
            out.append(Outline(code=_alpha2(geometry.get("id")) if geometry.get("id") else None,
                               name=str((geometry.get("properties") or {}).get("name") or ""), path=path))
    return tuple(out)


def map_layers(data: dict[str, Any]) -> dict[str, Any]:
    """Outlines shaded by incidents per country and a circle per place (area by count)."""
    counts = {c["code"]: c["count"] for c in data.get("countries", [])}
    top = max(counts.values(), default=0)
    shapes = []
    for outline in world_outlines():
        n = counts.get(outline.code or "", 0)
        level = 0 if not n else min(4, 1 + int(3 * math.log1p(n) / math.log1p(top or 1)))
        shapes.append({"code": outline.code, "name": outline.name, "path": outline.path, "count": n,
                       "level": level})
    biggest = max((p["count"] for p in data.get("places", [])), default=1)
    circles = []
    for place in sorted(data.get("places", []), key=lambda p: -p["count"]):
        if place.get("lat") is None or place.get("lon") is None:
            continue
        x, y = project(place["lat"], place["lon"])
        circles.append({**place, "x": x, "y": y, "r": round(2.5 + 9 * math.sqrt(place["count"] / biggest), 1)})
    view = _view(circles)
    zoom = float(view.split()[2]) / MAP_WIDTH  # circles keep their size on screen when zoomed in
    for c in circles:
        c["r"] = round(c["r"] * zoom, 2)
    return {"width": MAP_WIDTH, "height": MAP_HEIGHT, "shapes": shapes, "circles": circles,
            "base_map": bool(shapes), "view": view}


def _view(circles: Sequence[dict[str, Any]]) -> str:
    """The SVG viewBox: the region around the places (at least a third of the world wide), else all."""
    if not circles:
        return f"0 0 {MAP_WIDTH:g} {MAP_HEIGHT:g}"
    xs = [c["x"] for c in circles]
    ys = [c["y"] for c in circles]
    width = min(MAP_WIDTH, max(MAP_WIDTH / 3, (max(xs) - min(xs)) * 1.4 + 40))
    height = min(MAP_HEIGHT, width * MAP_HEIGHT / MAP_WIDTH)
    width = height * MAP_WIDTH / MAP_HEIGHT
    x = min(max(0.0, (max(xs) + min(xs)) / 2 - width / 2), MAP_WIDTH - width)
    y = min(max(0.0, (max(ys) + min(ys)) / 2 - height / 2), MAP_HEIGHT - height)
    return f"{x:.1f} {y:.1f} {width:.1f} {height:.1f}"


# --- timeline --------------------------------------------------------------------------------------

PALETTE = ("#8a1c1c", "#1f4f99", "#2e7d32", "#b26a00", "#6a1b9a", "#00838f", "#5d4037", "#c2185b", "#455a64",
           "#827717", "#283593", "#bf360c", "#1b5e20", "#4e342e", "#37474f", "#9e9d24")


def timeline_bars(data: dict[str, Any], *, width: float = 960.0, height: float = 260.0) -> dict[str, Any]:
    """Stacked bars: one per month, one colour per type."""
    months: list[str] = data.get("months", [])
    series: dict[str, list[int]] = data.get("series", {})
    types = list(series)
    colours = {t: PALETTE[i % len(PALETTE)] for i, t in enumerate(types)}
    totals = [sum(series[t][i] for t in types) for i in range(len(months))]
    top = max(totals, default=0) or 1
    left, bottom, top_pad = 36.0, 24.0, 8.0
    plot_h = height - bottom - top_pad
    step = (width - left) / max(1, len(months))
    bars = []
    for i, month in enumerate(months):
        y = height - bottom
        for t in types:
            n = series[t][i]
            if not n:
                continue
            h = plot_h * n / top
            y -= h
            bars.append({"x": round(left + i * step + step * 0.1, 1), "y": round(y, 1), "w": round(step * 0.8, 1),
                         "h": round(h, 1), "type": t, "month": month, "count": n, "colour": colours[t]})
    every = max(1, math.ceil(len(months) / 12))
    labels = [{"x": round(left + i * step + step / 2, 1), "text": m} for i, m in enumerate(months) if i % every == 0]
    ticks = sorted({0, top, top // 2})
    axis = [{"y": round(height - bottom - plot_h * t / top, 1), "text": str(t)} for t in ticks]
    return {"width": width, "height": height, "bars": bars, "labels": labels, "axis": axis,
            "legend": [{"type": t, "colour": colours[t], "total": sum(series[t])} for t in types],
            "baseline": height - bottom, "left": left}


# --- network ---------------------------------------------------------------------------------------

def network_layout(nodes: list[dict[str, Any]], edges: list[dict[str, Any]], *, width: float = 960.0,
                   height: float = 640.0, iterations: int = 200) -> dict[str, Any]:
    """A deterministic force-directed layout (Fruchterman-Reingold from a circle)."""
    n = len(nodes)
    index = {node["id"]: i for i, node in enumerate(nodes)}
    pos = [[math.cos(2 * math.pi * i / max(1, n)), math.sin(2 * math.pi * i / max(1, n))] for i in range(n)]
    k = math.sqrt(4.0 / max(1, n))
    links = [(index[e["source"]], index[e["target"]], e["weight"]) for e in edges
             if e["source"] in index and e["target"] in index]
    temperature = 0.2
    for _ in range(iterations if n > 1 else 0):
        disp = [[0.0, 0.0] for _ in range(n)]
        for i in range(n):
            for j in range(i + 1, n):
                dx, dy = pos[i][0] - pos[j][0], pos[i][1] - pos[j][1]
                d = math.hypot(dx, dy) or 1e-6
                force = k * k / d
                disp[i][0] += dx / d * force
                disp[i][1] += dy / d * force
                disp[j][0] -= dx / d * force
                disp[j][1] -= dy / d * force
        for a, b, w in links:
            dx, dy = pos[a][0] - pos[b][0], pos[a][1] - pos[b][1]
            d = math.hypot(dx, dy) or 1e-6
            force = d * d / k * min(3.0, 1.0 + math.log(w))
            disp[a][0] -= dx / d * force
            disp[a][1] -= dy / d * force
            disp[b][0] += dx / d * force
            disp[b][1] += dy / d * force
        for i in range(n):
            dx, dy = disp[i]
            d = math.hypot(dx, dy) or 1e-6
            pos[i][0] += dx / d * min(d, temperature)
            pos[i][1] += dy / d * min(d, temperature)
            pos[i][0] -= pos[i][0] * 0.01  # a little gravity keeps loose parts on the page
            pos[i][1] -= pos[i][1] * 0.01
        temperature = max(0.005, temperature * 0.98)
    xs = [p[0] for p in pos] or [0.0]
    ys = [p[1] for p in pos] or [0.0]
    margin = 40.0

    def scale(v: float, lo: float, hi: float, size: float) -> float:
        return round(margin + (v - lo) / ((hi - lo) or 1.0) * (size - 2 * margin), 1)

    biggest = max((node["incidents"] for node in nodes), default=1)
    placed = [{**node, "x": scale(pos[i][0], min(xs), max(xs), width), "y": scale(pos[i][1], min(ys), max(ys), height),
               "r": round(4 + 8 * math.sqrt(node["incidents"] / biggest), 1)} for i, node in enumerate(nodes)]
    lines = [{**e, "x1": placed[index[e["source"]]]["x"], "y1": placed[index[e["source"]]]["y"],
              "x2": placed[index[e["target"]]]["x"], "y2": placed[index[e["target"]]]["y"],
              "stroke": round(min(6.0, 0.8 + math.log1p(e["weight"])), 1)}
             for e in edges if e["source"] in index and e["target"] in index]
    return {"width": width, "height": height, "nodes": placed, "edges": lines}
