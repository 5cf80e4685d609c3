"""The live dashboard at /ui: a static page (shipped in this package, no CDN, no build step) over
the JSON of `GET /v1/overview`, which this package also serves."""
