"""The status page as a static site: Statuspage-compatible JSON, Atom and RSS feeds, HTML, written atomically."""
