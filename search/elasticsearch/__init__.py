"""The Elasticsearch backend: one physical index per classification level,
each behind an alias, built from a composable index template.

- :mod:`.mapping`: the index template (pure data)
- :mod:`.queries`: search and suggest request bodies (pure functions)
- :mod:`.backend`: :class:`ElasticsearchBackend`, the ``SearchBackend`` over the client
- :mod:`.reindex`: zero-downtime rebuild by alias swap

See docs/elasticsearch.md.
"""
