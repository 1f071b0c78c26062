"""The statute register: public to read, changed by administrators.

A statute's names are part of the search documents of the entries that cite it
(:mod:`search.documents`), so a change to the register writes an outbox row for
each of those entries in the same transaction, and nudges the indexer after the
commit: the same guarantee as an entry's own change (``EntryService.commit_change``).

Nothing here counts or lists entries: the register says what a statute is, never
who cites it, so it cannot reveal an entry above anyone's clearance.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from catalogue.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from catalogue.legal import JURISDICTIONS, LegalReferenceError, normalise_reference, reference_url
from catalogue.models import Entry, LegalBasis, OutboxEvent, Statute, utcnow
from catalogue.ports import Indexer, NullIndexer
from catalogue.services.common import MAX_PER_PAGE, Page, check_etag, make_etag
from catalogue.statutes import StatuteLabel, StatuteNames, check_records, keys, label
from security import policy
from security.identity import Identity

NOT_FOUND = "No statute with that reference in the register."
_FIELDS = ("names", "short_names", "url", "note", "source")


def statute_etag(statute: Statute) -> str:
    """The ETag of the statute's current revision, for If-Match on its replacement."""
    return make_etag("statute", f"{statute.jurisdiction}/{statute.reference}", statute.revision)


class StatuteService:
    """Reads the register for anyone; adds and changes statutes for administrators."""

    def __init__(self, session: Session, indexer: Indexer | None = None) -> None:
        self.session = session
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

    def create(self, identity: Identity, data: dict[str, Any]) -> Statute:
        """Add a statute (admin only); Conflict if the register has it already."""
        self._require_manage(identity)
        code, canonical = _key(data["jurisdiction"], data["reference"])
        if self.session.get(Statute, (code, canonical)) is not None:
            raise Conflict(f"The register has {code} {canonical} already; replace it with PUT.")
        statute = Statute(jurisdiction=code, reference=canonical, **_values(code, canonical, data))
        self.session.add(statute)
        self._commit((code, canonical))
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
        statute = self.get(identity, jurisdiction, reference)
        check_etag(statute_etag(statute), if_match)
        for name, value in _values(statute.jurisdiction, statute.reference, data).items():
            setattr(statute, name, value)
        statute.modified = utcnow()
        self._commit((statute.jurisdiction, statute.reference))
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
        changed: list[tuple[str, str]] = []
        for record in checked:
            code, canonical = record["jurisdiction"], record["reference"]
            statute = self.session.get(Statute, (code, canonical))
            values = {name: record[name] for name in _FIELDS}
            if statute is None:
                self.session.add(Statute(jurisdiction=code, reference=canonical, **values))
                added += 1
            elif replace and any(getattr(statute, name) != value for name, value in values.items()):
                for name, value in values.items():
                    setattr(statute, name, value)
                statute.modified = utcnow()
                replaced += 1
            else:
                continue
            changed.append((code, canonical))
        self._commit(*changed)
        return added, replaced

    def _commit(self, *changed: tuple[str, str]) -> None:
        """Commit the register change with an outbox row for each entry citing a changed statute."""
        try:
            self.session.flush()
            ids = self._citing(changed)
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
