"""``api.arguments.ArgumentsParser``: a query schema's answer kept per query string,
never shared between requests, never kept for an error or a mutable value."""

from __future__ import annotations

import pytest
from flask import Flask
from marshmallow import Schema, fields, validate
from werkzeug.exceptions import UnprocessableEntity

from api.arguments import MAX_KEPT, ArgumentsParser
from api.resources.search import SearchQueryArgsSchema


class PageArgs(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1))
    sort = fields.String(load_default="title")


class ManyArgs(Schema):
    theme = fields.List(fields.String(), load_default=list)


@pytest.fixture(scope="module")
def app():
    return Flask(__name__)


def parse(app, parser, schema, query):
    with app.test_request_context(f"/?{query}"):
        return parser.parse(schema, location="query")


def test_each_request_gets_an_answer_of_its_own(app):
    parser, schema = ArgumentsParser(), PageArgs()
    for _ in range(2):  # loaded, then kept
        answer = parse(app, parser, schema, "page=2")
        assert answer == {"page": 2, "sort": "title"}
        answer["page"] = 99
    assert parse(app, parser, schema, "page=2") == {"page": 2, "sort": "title"}
    assert parse(app, parser, schema, "page=3&sort=date") == {"page": 3, "sort": "date"}


def test_the_same_query_string_under_another_schema_is_loaded_by_that_schema(app):
    parser = ArgumentsParser()
    assert parse(app, parser, PageArgs(), "sort=x") == {"page": 1, "sort": "x"}
    assert parse(app, parser, ManyArgs(), "sort=x") == {"theme": []}


def test_an_answer_holding_a_list_is_loaded_every_time(app):
    parser, schema = ArgumentsParser(), ManyArgs()
    parse(app, parser, schema, "theme=a")["theme"].append("planted")
    assert parse(app, parser, schema, "theme=a") == {"theme": ["a"]}


def test_a_bad_query_string_is_refused_after_a_good_one_was_kept(app):
    parser, schema = ArgumentsParser(), PageArgs()
    parse(app, parser, schema, "page=1")
    for _ in range(2):
        with pytest.raises(UnprocessableEntity):
            parse(app, parser, schema, "page=0")


def test_at_most_max_kept_answers_are_kept(app):
    parser, schema = ArgumentsParser(), PageArgs()
    for page in range(1, MAX_KEPT + 10):
        assert parse(app, parser, schema, f"page={page}")["page"] == page
    assert 0 < len(parser._kept) <= MAX_KEPT


def test_a_search_query_string_is_kept_its_repeated_arguments_as_tuples(app):
    parser, schema = ArgumentsParser(), SearchQueryArgsSchema()
    query = "q=skatt&theme=ECON&theme=GOVE&facets=type,publisher"
    first = parse(app, parser, schema, query)
    assert first["theme"] == ("ECON", "GOVE") and first["type"] == ()
    assert first["facets"] == ("type", "publisher")
    assert len(parser._kept) == 1  # immutable: kept
    assert parse(app, parser, schema, query) == first
