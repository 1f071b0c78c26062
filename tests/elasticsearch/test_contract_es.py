"""The shared contract suite (tests/contract/test_search_contract.py), run
unchanged against Elasticsearch: same documents, same queries, same expected
hits and facet counts. ``search_backend`` comes from tests/elasticsearch/conftest.py."""

from __future__ import annotations

import pytest

from tests.contract.test_search_contract import *  # noqa: F403
from tests.contract.test_search_contract import catalogue  # noqa: F401  (the fixture)
from tests.elasticsearch.server import requires_elasticsearch

pytestmark = [requires_elasticsearch, pytest.mark.elasticsearch]
