"""The search filters as one FastAPI dependency, shared by the search, chart and map routes and their
JSON twins, so every filter is parsed, checked and documented (OpenAPI) the same way."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import Depends, Query

from kolokol.search import SearchQuery


def search_filters(
    q: str | None = Query(None, description="Full-text words (all must match, each as a prefix)"),
    type: str | None = Query(None, description="Incident type, e.g. detention"),
    country: str | None = Query(None, description="ISO 3166-1 alpha-2 country where it happened"),
    place: str | None = Query(None, description="Gazetteer place id, e.g. kolokol:bishkek"),
    perpetrator: str | None = Query(None, description="Actor id of a perpetrator"),
    target: str | None = Query(None, description="Actor id of a target"),
    nationality: str | None = Query(None, description="ISO 3166-1 alpha-2 nationality of the targets"),
    status: str | None = Query(None, description="Review status: new, accepted, edited, rejected, merged, split"),
    since: str | None = Query(None, description="On or after YYYY[-MM[-DD]]"),
    until: str | None = Query(None, description="On or before YYYY[-MM[-DD]] (the whole month or year)"),
    min_sources: str | None = Query(None, description="At least this many independent sources"),
    page: str | None = Query(None, description="Page number, from 1"),
    view: str | None = Query(None, description="Search page view: table, cards or map"),
) -> SearchQuery:
    return SearchQuery.parse(q=q, type=type, country=country, place=place, perpetrator=perpetrator, target=target,
                             nationality=nationality, status=status, since=since, until=until,
                             min_sources=min_sources, page=page, view=view)


Filters = Annotated[SearchQuery, Depends(search_filters)]


def url(path: str, query: SearchQuery, **changes: object) -> str:
    """`path` with the query string of `query` (and `changes`)."""
    params = query.params(**changes)
    return path + ("?" + urlencode(params) if params else "")
