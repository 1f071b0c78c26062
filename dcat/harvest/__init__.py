"""The DCAT harvest: agencies' DCAT-AP catalogues read into their entries (docs/harvest.md).

``sources`` fetches and ``parsing`` parses (whole, before any write), ``records`` reads the
graph as entry input, ``legal_urls`` reads statute URLs, ``writing`` writes through the
entry and review services, ``running`` joins the steps, ``register`` keeps the sources
agencies have harvested on a schedule.
"""
