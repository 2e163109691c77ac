"""The web interface: server-rendered pages with a JSON API twin for each (see web/app.py)."""
