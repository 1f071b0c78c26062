"""The one blueprint every page module adds its routes to (`api/web/__init__.py` imports them)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint(
    "web", __name__, template_folder="templates", static_folder="static", static_url_path="/assets"
)
