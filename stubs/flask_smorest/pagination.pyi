# Types for flask-smorest's pagination (see __init__.pyi). `Page` is not generic at run
# time, so it is not generic here either: a subclass names its items in its own methods.
from collections.abc import Sequence
from typing import Any

class PaginationParameters:
    page: int
    page_size: int
    item_count: int | None
    def __init__(self, page: int, page_size: int) -> None: ...
    @property
    def first_item(self) -> int: ...
    @property
    def last_item(self) -> int: ...

class Page:
    collection: Sequence[Any]
    page_params: PaginationParameters
    def __init__(self, collection: Sequence[Any], page_params: PaginationParameters) -> None: ...
    @property
    def items(self) -> list[Any]: ...
    @property
    def item_count(self) -> int: ...
