from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from security import policy
from security.identity import anonymous_identity, build_identity, system_identity
from security.levels import DEFAULT_SCHEME
from security.policy import EntryFacts

LEVELS = ["public", "internal", "sensitive", "secret", "bogus"]
AGENCIES = ["202100-5448", "202100-4888", "974761076"]


def identity(level, agency="202100-5448", extra=()):
    scopes = [f"catalogue:read:{level}"] if level else []
    return build_identity(DEFAULT_SCHEME, kind="client", subject="c", agency=agency, scopes=[*scopes, *extra])


def facts(classification="public", listing=None, status="published", publisher="202100-4888"):
    return EntryFacts(publisher, classification, listing or classification, status)


def test_no_level_scope_reads_nothing():
    who = identity(None, extra=("catalogue:write",))
    assert policy.read_filter(who).matches_nothing
    assert not policy.can_list(who, facts())


def test_anonymous_reads_public_published_only():
    anon = anonymous_identity(DEFAULT_SCHEME)
    assert policy.can_read(anon, facts())
    assert not policy.can_list(anon, facts("internal"))
    assert not policy.can_list(anon, facts(status="draft"))
    assert policy.can_list(anon, facts("sensitive", "public")) and not policy.can_read(
        anon, facts("sensitive", "public")
    )


def test_own_drafts_visible_to_own_agency_within_clearance():
    own = identity("internal", agency="202100-4888")
    assert policy.can_list(own, facts("internal", status="draft"))
    assert not policy.can_list(own, facts("sensitive", status="draft"))
    assert not policy.can_list(identity("sensitive"), facts(status="draft"))


def test_entries_in_review_are_seen_inside_the_publishing_agency_only():
    officer = identity("sensitive", agency="202100-4888", extra=("catalogue:review",))
    assert policy.can_list(officer, facts("sensitive", status="in_review"))
    outsider = identity("sensitive", agency="974761076", extra=("catalogue:review",))
    assert not policy.can_list(outsider, facts("sensitive", status="in_review"))


def test_unknown_levels_never_match():
    assert not policy.can_list(system_identity(DEFAULT_SCHEME), facts("bogus"))
    assert not policy.can_list(identity("sensitive"), facts("public", "secret"))


def test_write_needs_scope_own_agency_and_full_clearance():
    entry = facts("internal", publisher="202100-5448")
    assert policy.can_write(identity("internal", extra=("catalogue:write",)), entry)
    assert not policy.can_write(identity("internal"), entry)
    assert not policy.can_write(
        identity("public", extra=("catalogue:write",)), facts("internal", "public", publisher="202100-5448")
    )
    assert not policy.can_write(identity("internal", agency="974761076", extra=("catalogue:write",)), entry)


@given(
    level=st.sampled_from([None, *LEVELS]),
    agency=st.sampled_from(AGENCIES),
    review=st.booleans(),
    classification=st.sampled_from(LEVELS),
    listing=st.sampled_from(LEVELS),
    status=st.sampled_from(policy.STATUSES),
    publisher=st.sampled_from(AGENCIES),
)
def test_filter_and_check_are_one_rule(level, agency, review, classification, listing, status, publisher):
    who = identity(level, agency, ("catalogue:review",) if review else ())
    entry = EntryFacts(publisher, classification, listing, status)
    rf = policy.read_filter(who)
    assert policy.can_list(who, entry) == rf.matches(entry)
    if rf.matches_nothing:
        assert not policy.can_list(who, entry)
    if policy.can_read(who, entry):
        assert policy.can_list(who, entry)
        assert classification in who.readable_levels


def test_only_a_person_decides_reviews():
    scopes = ["catalogue:read:sensitive", "catalogue:review"]
    entry = facts("internal", publisher="202100-5448")
    person = build_identity(
        DEFAULT_SCHEME, kind="user", subject="u-1", agency="202100-5448", scopes=scopes, person="u-1"
    )
    machine = build_identity(DEFAULT_SCHEME, kind="client", subject="c", agency="202100-5448", scopes=scopes)
    assert policy.can_review(person, entry, "internal")
    assert not policy.can_review(machine, entry, "internal")


def test_the_sharing_report_is_for_the_agency_s_owners_officers_and_admins():
    own = "202100-5448"
    assert policy.can_report_sharing(identity("public", extra=("catalogue:write",)), own)
    assert policy.can_report_sharing(identity(None, extra=("catalogue:review",)), own)
    assert policy.can_report_sharing(identity("public", agency="974761076", extra=("catalogue:admin",)), own)
    assert policy.can_report_sharing(system_identity(DEFAULT_SCHEME), own)
    # A reader of the agency, another agency's owner or officer, the anonymous reader: no.
    assert not policy.can_report_sharing(identity("sensitive"), own)
    assert not policy.can_report_sharing(
        identity("sensitive", agency="202100-4888", extra=("catalogue:write",)), own
    )
    assert not policy.can_report_sharing(identity("sensitive", agency=None, extra=("catalogue:write",)), own)
    assert not policy.can_report_sharing(anonymous_identity(DEFAULT_SCHEME), own)
