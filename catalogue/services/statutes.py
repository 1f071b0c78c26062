"""The statute register: public to read, changed by administrators.

A statute's names are part of the search documents of the entries that cite it
(:mod:`search.documents`), so a change to the register writes an outbox row for
each of those entries in the same transaction, and nudges the indexer after the
commit: the same guarantee as an entry's own change (``EntryService.commit_change``).

Nothing here counts or lists entries: the register says what a statute is, never
who cites it, so it cannot reveal an entry above anyone's clearance.

Every change is an administrative act the agencies rely on (a statute's name is
shown on every entry citing it), so it is recorded in the audit chain in its own
transaction (``statute.add``, ``statute.replace``, one event per statute), like a
change of the data-element vocabulary.

Concurrency (PostgreSQL): a register write takes the statute's row FOR UPDATE
before anything else (``_locked``); an entry write citing it holds the row FOR
SHARE until it commits (``hold_cited``). So a register change and a concurrent
citing entry are ordered, and the change moves on the entry's revision whenever
the entry committed first (docs/statutes.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, TypeVar

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from catalogue.db import begin_write
from catalogue.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from catalogue.legal import JURISDICTIONS, LegalReferenceError, normalise_reference, reference_url
from catalogue.models import Entry, LegalBasis, OutboxEvent, Statute, utcnow
from catalogue.ports import AuditTrail, Indexer, NullIndexer
from catalogue.services.common import MAX_PER_PAGE, Page, check_etag, make_etag
from catalogue.statutes import StatuteLabel, StatuteNames, check_records, citations, keys, label
from security import policy
from security.identity import Identity

NOT_FOUND = "No statute with that reference in the register."
T = TypeVar("T")
_FIELDS = ("names", "short_names", "url", "note", "source")


def statute_etag(statute: Statute) -> str:
    """The ETag of the statute's current revision, for If-Match on its replacement."""
    return make_etag("statute", f"{statute.jurisdiction}/{statute.reference}", statute.revision)


class StatuteService:
    """Reads the register for anyone; adds and changes statutes for administrators."""

    def __init__(self, session: Session, audit: AuditTrail, indexer: Indexer | None = None) -> None:
        self.session = session
        #: The audit chain's trail in this session: every change is recorded with it.
        self.audit = audit
        self.indexer = indexer or NullIndexer()

    def list_statutes(
        self, identity: Identity, *, jurisdiction: str | None = None, page: int = 1, per_page: int = 20
    ) -> Page[Statute]:
        """A page of statutes by jurisdiction and reference, of one ``jurisdiction`` if given."""
        per_page = max(1, min(per_page, MAX_PER_PAGE))
        page = max(1, page)
        conditions = [Statute.jurisdiction == jurisdiction] if jurisdiction else []
        total = self.session.scalar(select(func.count()).select_from(Statute).where(*conditions))
        rows = self.session.scalars(
            select(Statute)
            .where(*conditions)
            .order_by(Statute.jurisdiction, Statute.reference)
            .limit(per_page)
            .offset((page - 1) * per_page)
        ).all()
        return Page(list(rows), int(total or 0), page, per_page)

    def get(self, identity: Identity, jurisdiction: str, reference: str) -> Statute:
        """The statute, its reference written in any accepted form; NotFound if the register
        does not know it (the reference may still be cited), ValidationFailed if malformed."""
        code, canonical = _key(jurisdiction, reference)
        statute = self.session.get(Statute, (code, canonical))
        if statute is None:
            raise NotFound(NOT_FOUND)
        return statute

    def labels(
        self, identity: Identity, references: Iterable[tuple[str, str]], lang: str | None
    ) -> dict[tuple[str, str], StatuteLabel]:
        """How each of these (jurisdiction, reference) pairs is shown to a reader of
        ``lang``; a reference the register does not know is left out (shown by its number)."""
        found: dict[tuple[str, str], StatuteLabel] = {}
        for (jurisdiction, reference), known in register_of(self.session, references).items():
            shown = label(jurisdiction, known.names, known.short_names, lang)
            if shown is not None:
                found[(jurisdiction, reference)] = shown
        return found

    def name_bases(self, identity: Identity, bodies: T, lang: str | None) -> T:
        """``bodies`` (any JSON-like value) with ``statute`` (``StatuteLabel.as_json``) beside
        the reference of each legal basis in them (``citations``) the register knows, for a
        reader of ``lang``, in one query: what the API's responses (``api.resources.
        statute_names``) and ``tillit access``'s JSON lines name statutes with."""
        found = citations(bodies)
        if not found:
            return bodies
        shown = self.labels(identity, dict.fromkeys((c["jurisdiction"], c["reference"]) for c in found), lang)
        for basis in found:
            named = shown.get((basis["jurisdiction"], basis["reference"]))
            if named is not None and isinstance(basis, dict):
                basis["statute"] = named.as_json()
        return bodies

    def create(self, identity: Identity, data: dict[str, Any]) -> Statute:
        """Add a statute (admin only); Conflict if the register has it already."""
        self._require_manage(identity)
        code, canonical = _key(data["jurisdiction"], data["reference"])
        begin_write(self.session)
        if self._locked(code, canonical) is not None:
            raise Conflict(f"The register has {code} {canonical} already; replace it with PUT.")
        statute = Statute(jurisdiction=code, reference=canonical, **_values(code, canonical, data))
        self.session.add(statute)
        self._commit(identity, [("statute.add", (code, canonical))])
        return statute

    def replace(
        self,
        identity: Identity,
        jurisdiction: str,
        reference: str,
        data: dict[str, Any],
        if_match: str | None,
    ) -> Statute:
        """Replace a statute's names, short names, link, note and source (admin only, If-Match)."""
        self._require_manage(identity)
        key = _key(jurisdiction, reference)
        begin_write(self.session)
        statute = self._locked(*key)
        if statute is None:
            raise NotFound(NOT_FOUND)
        check_etag(statute_etag(statute), if_match)
        for name, value in _values(statute.jurisdiction, statute.reference, data).items():
            setattr(statute, name, value)
        statute.modified = utcnow()
        self._commit(identity, [("statute.replace", (statute.jurisdiction, statute.reference))])
        return statute

    def load(self, identity: Identity, records: Sequence[Any], *, replace: bool = False) -> tuple[int, int]:
        """Add the records the register lacks, and with ``replace`` overwrite those it has
        (admin only); ValidationFailed naming the first bad record. Returns (added, replaced)."""
        self._require_manage(identity)
        try:
            checked = check_records(list(records))
        except ValueError as exc:
            raise ValidationFailed({"records": [str(exc)]}) from exc
        added = replaced = 0
        changed: list[tuple[str, tuple[str, str]]] = []
        begin_write(self.session)
        # Rows taken FOR UPDATE in one statement, in key order (as ``hold_cited`` takes
        # them), so two writers never wait for each other in a circle.
        self._lock_all(keys((r["jurisdiction"], r["reference"]) for r in checked))
        for record in checked:
            code, canonical = record["jurisdiction"], record["reference"]
            statute = self.session.get(Statute, (code, canonical))
            values = {name: record[name] for name in _FIELDS}
            if statute is None:
                self.session.add(Statute(jurisdiction=code, reference=canonical, **values))
                added += 1
                changed.append(("statute.add", (code, canonical)))
            elif replace and any(getattr(statute, name) != value for name, value in values.items()):
                for name, value in values.items():
                    setattr(statute, name, value)
                statute.modified = utcnow()
                replaced += 1
                changed.append(("statute.replace", (code, canonical)))
        self._commit(identity, changed)
        return added, replaced

    def _locked(self, jurisdiction: str, reference: str) -> Statute | None:
        """The statute's row, taken FOR UPDATE (read again, not from the session's
        identity map): it waits for every uncommitted entry write citing it
        (``hold_cited``), whose entries ``_citing`` then finds."""
        self._lock_all([(jurisdiction, reference)])
        return self.session.get(Statute, (jurisdiction, reference))

    def _lock_all(self, wanted: Iterable[tuple[str, str]]) -> None:
        """Take these statutes' rows FOR UPDATE, in key order, reading them afresh."""
        wanted = list(wanted)
        if wanted:
            self.session.scalars(
                select(Statute)
                .where(or_(*(and_(Statute.jurisdiction == j, Statute.reference == r) for j, r in wanted)))
                .order_by(Statute.jurisdiction, Statute.reference)
                .with_for_update()
                .execution_options(populate_existing=True)
            ).all()

    def _commit(self, identity: Identity, changes: Sequence[tuple[str, tuple[str, str]]]) -> None:
        """Commit the register change with an outbox row for each entry citing a changed
        statute, and one audit event per changed statute, in one transaction."""
        try:
            self.session.flush()
            ids = self._citing([key for _action, key in changes])
            for action, (jurisdiction, reference) in changes:
                self.audit.record(
                    identity, action, details={"jurisdiction": jurisdiction, "reference": reference}
                )
            self.session.commit()
        except Exception:
            self.session.rollback()
            raise
        if ids:
            self.indexer.changed(ids)

    def _citing(self, changed: Sequence[tuple[str, str]]) -> list[str]:
        """Move on the revision of each entry citing one of ``changed`` and write its outbox row.

        An entry's rendering carries the names of the statutes it cites and is kept per
        revision (``catalogue.machinery.readpath.rendering``), so a change to the register
        is a change to every entry citing it: this UPDATE of ``entries`` also ends every
        kept head in every process (docs/kept-heads.md), and no reader is served a
        rendering with the old names once this commits (docs/statutes.md)."""
        if not changed:
            return []
        cites = or_(*(and_(LegalBasis.jurisdiction == j, LegalBasis.reference == r) for j, r in changed))
        ids = list(self.session.scalars(select(LegalBasis.entry_id).where(cites).distinct()))
        if not ids:
            return []
        rows = self.session.execute(
            update(Entry)
            .where(Entry.id.in_(ids))
            .values(revision=Entry.revision + 1)
            .returning(Entry.id, Entry.revision)
            .execution_options(synchronize_session=False)
        ).all()
        self.session.add_all(OutboxEvent(entry_id=entry_id, revision=revision) for entry_id, revision in rows)
        return [entry_id for entry_id, _revision in rows]

    @staticmethod
    def _require_manage(identity: Identity) -> None:
        if not policy.can_manage_statutes(identity):
            raise PermissionDenied("Changing the statute register needs the catalogue:admin scope.")


#: ``session.info`` key: (the transaction, the statutes held FOR SHARE in it).
_HELD = "tillit.statutes_held"


def hold_cited(session: Session, references: Iterable[tuple[str, str]]) -> None:
    """Take the register rows of these statutes FOR SHARE until the caller's write
    transaction ends: an entry write that cites them calls this, so that a register
    change of one of them (which takes its row FOR UPDATE, ``_locked``) either waits
    for the entry's commit and then finds it among the citing entries (and moves its
    revision on), or commits first and the entry's rendering, made after its own
    commit, reads the new names. Without it, on PostgreSQL, a citing entry written
    concurrently could keep a rendering with the old names at a revision the register
    change never moved on (docs/statutes.md). SQLite has one writer at a time and no
    row locks: there it is a plain read.

    Statutes already held in the session's current transaction are not asked again (a
    bulk create's entries cite the same few): the set is kept per transaction object,
    and a savepoint begun or ended is another one, so a lock a rolled-back savepoint
    let go is taken again."""
    transaction = session.get_nested_transaction() or session.get_transaction()
    held: tuple[object, set[tuple[str, str]]] | None = session.info.get(_HELD)
    if held is None or held[0] is not transaction:
        held = (transaction, set())
        if transaction is not None:
            session.info[_HELD] = held
    wanted = [key for key in keys(references) if key not in held[1]]
    if wanted:
        session.execute(
            select(Statute.jurisdiction)
            .where(or_(*(and_(Statute.jurisdiction == j, Statute.reference == r) for j, r in wanted)))
            .order_by(Statute.jurisdiction, Statute.reference)
            .with_for_update(read=True)
        )
        held[1].update(wanted)


def register_of(
    session: Session, references: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], StatuteNames]:
    """The register's names of these (jurisdiction, reference) pairs, in one query; a
    reference the register does not know is left out."""
    wanted = list(keys(references))
    if not wanted:
        return {}
    rows = session.execute(
        select(Statute.jurisdiction, Statute.reference, Statute.names, Statute.short_names).where(
            or_(*(and_(Statute.jurisdiction == j, Statute.reference == r) for j, r in wanted))
        )
    )
    return {
        (jurisdiction, reference): StatuteNames(names or {}, short_names or {})
        for jurisdiction, reference, names, short_names in rows
    }


def _key(jurisdiction: str, reference: str) -> tuple[str, str]:
    """The register's key for a reference in any accepted spelling; ValidationFailed if malformed."""
    if jurisdiction not in JURISDICTIONS:
        raise ValidationFailed({"jurisdiction": ["Expected one of " + ", ".join(JURISDICTIONS) + "."]})
    try:
        return jurisdiction, normalise_reference(jurisdiction, reference)
    except LegalReferenceError as exc:
        raise ValidationFailed({"reference": [str(exc)]}) from exc


def _values(jurisdiction: str, reference: str, data: dict[str, Any]) -> dict[str, Any]:
    """The stored fields from checked input; the link defaults to the one derived from the reference."""
    return {
        "names": dict(data["names"]),
        "short_names": {
            lang: list(values) for lang, values in (data.get("short_names") or {}).items() if values
        },
        "url": data.get("url") or reference_url(jurisdiction, reference),
        "note": data.get("note"),
        "source": data.get("source"),
    }
