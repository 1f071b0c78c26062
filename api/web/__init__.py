"""Server-rendered pages for people browsing the catalogue.

They call the same services as the API with the caller's identity (anonymous:
the lowest level), so a page can never show more than the API would.
"""
