"""The operators' dashboard: a server-rendered page with inline SVG charts; nothing from a CDN."""
