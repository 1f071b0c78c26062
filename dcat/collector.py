"""Python's cyclic garbage collector spared the objects that exist when a long step starts.

Why: a harvest's read and write and a whole export walk start with hundreds of thousands
to millions of objects alive (a parsed graph, records, the application, the renderer's
cache) and make many more, some of which live a batch or a page. Each time the survivors
grow by a quarter, the collector walks every object again. Measured (docs/harvest.md,
"Round 7"): those full passes were a fifth of a harvest's write and a third of a Turtle
export's CPU. ``gc.freeze`` moves the objects alive now to a generation the collector does
not walk; ``gc.unfreeze`` at the end gives them back. Nothing is kept longer than without
it, except that cycles among the frozen objects wait for the end of the step to be
collected; what the step itself makes and drops is collected as before.

Within such a step, a harvest's batch makes some hundred thousand objects that live
until the batch is written (the records' loaded input, the entries and their rows, the
ORM's states) and are then dropped, many of them in cycles. The collector's young
passes walk them again and again while the batch builds them, and promote them, so that
only the next full passes free them: measured (docs/harvest.md, "Round 8"), a batch cost
a tenth more with the collector on, and more with each batch. :func:`collector_paused`
runs such a bounded unit with no passes at all and then one pass over what it made (the
youngest generation): the batch's cycles are freed there, and nothing lives longer than
the unit. Both are process-wide, as Python's collector is (another thread's objects are
spared or wait too, no longer than the step); nested or in two threads at once, the
collector ends enabled.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def collector_spared() -> Iterator[None]:
    """The objects alive now are not walked by the cyclic collector until the block ends."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


@contextmanager
def collector_paused() -> Iterator[None]:
    """No collection while the block runs (a bounded unit of work: one harvest batch);
    then one pass over the objects made meanwhile, which frees the unit's cycles."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
        gc.collect(0)
