"""The catalogue's machinery: how its promises are kept fast and durable, not what it decides.

Three machines, each behind a port in ``catalogue.ports`` that the services depend on:

- ``readpath``: entry heads kept in shared memory (the kept-heads cache,
  docs/kept-heads.md), renderings cached per revision, and the LRU map both use;
- ``audit``: the hash chain, the process that writes read events in groups, and the
  refusals written after the answer;
- ``children``: functions run in a child process within a deadline (the OpenAPI
  document validator).

The business modules (models, schemas, services, rules) never import this package:
import-linter's "Business reaches machinery only through ports" contract says so.
Services get their machines from ``catalogue.compose`` (or the app's composition root).
"""
