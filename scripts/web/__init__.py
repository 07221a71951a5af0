"""The analyst web UI (`ascent serve`): server-rendered, read-only, no external assets.

The app factory is `scripts.web.app.create_app`.
"""
