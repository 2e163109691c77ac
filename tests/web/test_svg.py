"""Server-side chart geometry: the map's outlines do not streak across the map at the antimeridian,
the map zooms to the places, timeline bars stack by type, the network layout is deterministic."""

from __future__ import annotations

import itertools
import re

from kolokol.web.svg import MAP_WIDTH, map_layers, network_layout, project, timeline_bars, world_outlines


def test_outlines_do_not_cross_the_map() -> None:
    russia = next(o for o in world_outlines() if o.code == "RU")
    for sub in russia.path.split("M")[1:]:
        xs = [float(p.split(",")[0]) for p in sub.rstrip("Z").split("L")]
        assert all(abs(a - b) < MAP_WIDTH / 2 for a, b in itertools.pairwise(xs))
    assert not any(o.code == "AQ" for o in world_outlines())


def test_map_zooms_to_the_places() -> None:
    data = {"countries": [{"code": "KG", "count": 3}],
            "places": [{"id": "a", "name": "Bishkek", "country": "KG", "lat": 42.87, "lon": 74.59, "count": 3},
                       {"id": "b", "name": "Istanbul", "country": "TR", "lat": 41.01, "lon": 28.95, "count": 1}]}
    layers = map_layers(data)
    x, y, width, height = map(float, layers["view"].split())
    for c in layers["circles"]:
        assert x <= c["x"] <= x + width and y <= c["y"] <= y + height
    assert width < MAP_WIDTH and layers["circles"][0]["id"] == "a"
    assert layers["circles"][0]["r"] > layers["circles"][1]["r"]
    assert next(s for s in layers["shapes"] if s["code"] == "KG")["level"] > 0
    assert map_layers({"places": [], "countries": []})["view"].startswith("0 0 ")
    assert project(0, 0) == (500.0, round(84 * MAP_WIDTH / 360, 1))


def test_timeline_bars_stack() -> None:
    chart = timeline_bars({"months": ["2024-01", "2024-02"], "series": {"detention": [2, 0], "threat": [1, 4]}})
    assert len(chart["bars"]) == 3
    jan = [b for b in chart["bars"] if b["month"] == "2024-01"]
    assert jan[0]["h"] == 2 * jan[1]["h"] and jan[1]["y"] + jan[1]["h"] == jan[0]["y"]
    assert [item["type"] for item in chart["legend"]] == ["detention", "threat"]


def test_network_layout_is_deterministic() -> None:
    nodes = [{"id": i, "name": f"n{i}", "incidents": i + 1} for i in range(6)]
    edges = [{"kind": "acted_against", "source": 0, "target": i, "weight": 1} for i in range(1, 6)]
    one, two = network_layout(nodes, edges), network_layout(nodes, edges)
    assert one == two
    assert all(40 <= n["x"] <= one["width"] - 40 and 40 <= n["y"] <= one["height"] - 40 for n in one["nodes"])
    assert len(one["edges"]) == 5 and re.match(r"^\d", str(one["edges"][0]["x1"]))
