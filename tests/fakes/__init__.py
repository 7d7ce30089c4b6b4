"""Hand-written fakes for the domain's ports, one module per port: clock, store (repositories and unit of
work), chat (the chat ports and the directory), runner (step runner), names (display names)."""
