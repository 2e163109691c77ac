"""Routes: `pages` renders HTML, `api` returns the same data as JSON; both call kolokol.search."""
