"""Server-rendered pages for people: browse, search and read the catalogue in a browser.

They call the same services as the API with the reader's identity (`session.page_identity`),
so a page can never show more than the API would. Each module adds its routes to the one
blueprint (`blueprint.bp`); importing them here is what registers them.
"""

import api.web.headers  # the shell: page headers, CSRF, error pages
import api.web.shell  # the shell: header, notifications, favicon
import api.web.signin  # noqa: F401  (the shell: signing in and out)
from api.web import (
    agency_pages,  # noqa: F401 - registers its routes
    entry_page,  # noqa: F401 - registers its routes
    openapi_page,  # noqa: F401 - registers its routes
    pages,
    search_page,  # noqa: F401 - registers its routes
)
from api.web.blueprint import bp

# isort: off
from api.web import owner_pages  # noqa: F401  (work: data owners' forms)
from api.web import review_pages  # noqa: F401  (work: review queue and decisions)
from api.web import audit_pages  # noqa: F401  (work: history, readers, audit log)
from api.web import access_pages  # noqa: F401  (access: requests, decisions, grants)
# isort: on

__all__ = ["bp", "pages"]
