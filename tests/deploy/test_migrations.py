"""Schema changes go through Alembic: every earlier store upgrades, and many processes may open a fresh one at once."""

import multiprocessing
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa
from schema_before_alembic import VERSIONS, create_store_before_alembic, tables_of

from mailbot.store import SCHEMA_VERSION, Store, migrate
from mailbot.store.engine import create_engine

RAW = b"Subject: BC ngay 14/8/2020\r\n\r\n17356"
WHEN = datetime(2020, 8, 14, 8, 30)  # naive UTC, as the store keeps it


def fill_v1(engine):
    """One message, its submission and an acknowledgement, written as mailbot wrote them at schema version 1."""
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO messages (sha256, source, source_key, received_at, stored_at, size, headers_only, raw)"
                " VALUES ('ab', 'maildir:/x', '1', :t, :t, 3, :f, :raw)"
            ),
            {"t": WHEN, "f": False, "raw": RAW},
        )
        conn.execute(
            sa.text(
                "INSERT INTO submissions (message_row, unit, period, received_at, read_figures, figures, problems,"
                " read_status, status) VALUES (1, 'nam-sach', :d, :t, :fig, :fig, '[]', 'accepted', 'accepted')"
            ),
            {"d": date(2020, 8, 14), "t": WHEN, "fig": '{"installs": 17356}'},
        )
        conn.execute(
            sa.text(
                "INSERT INTO outbox (key, kind, recipients, message_id, raw, state, attempts, next_attempt_at,"
                " created_at) VALUES ('ack:1', 'ack', '[\"a@b.vn\"]', '<m@x>', :raw, 'pending', 0, :t, :t)"
            ),
            {"raw": b"ack", "t": WHEN},
        )


def assert_day_reads_back(store, before_campaigns: bool = True):
    (sub,) = store.submissions_between(date(2020, 8, 14), date(2020, 8, 14))
    assert sub.unit == "nam-sach" and sub.figures == {"installs": 17356} and sub.status == "accepted"
    assert sub.received_at == WHEN.replace(tzinfo=UTC)
    assert store.raw_message(sub.message_row) == RAW
    assert [m.key for m in store.mail("pending")] == ["ack:1"]
    if before_campaigns:  # filled at a revision before 0005
        assert_carried_into_campaigns(store)


def assert_carried_into_campaigns(store):
    """The single campaign's rows (campaign '' from revision 0005) go to their campaigns once several share the store."""
    with store.engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO meta (key, value) VALUES ('state:report:2020-08-14:version', '1')"))
        legacy = conn.execute(sa.text("SELECT campaign FROM submissions")).scalars().all()
    assert legacy == [""] and store.scoped("districts").submissions_between(date(2020, 8, 14), date(2020, 8, 14)) == []
    units = {"districts": ["nam-sach", "gia-loc"], "departments": ["so-y-te"]}
    assert store.adopt_unassigned(units, "districts") == 1 and store.adopt_unassigned(units, "districts") == 0
    (sub,) = store.scoped("districts").submissions_between(date(2020, 8, 14), date(2020, 8, 14))
    assert sub.campaign == "districts" and sub.figures == {"installs": 17356}
    assert store.scoped("departments").submissions_between(date(2020, 8, 14), date(2020, 8, 14)) == []
    assert store.get_state("districts:report:2020-08-14:version") == "1"
    assert store.get_state("report:2020-08-14:version") is None
    with store.engine.connect() as conn:
        assert conn.execute(sa.text("SELECT campaign FROM outbox")).scalars().all() == ["districts"]


@pytest.mark.parametrize("version", VERSIONS)
def test_a_store_made_before_alembic_upgrades_and_keeps_its_day(store_url, version):
    engine = create_engine(store_url, "vi")
    create_store_before_alembic(engine, version)
    fill_v1(engine)
    engine.dispose()
    store = Store.open(store_url)
    try:
        assert store.schema_version == SCHEMA_VERSION
        assert migrate.differences(store.engine) == []
        assert_day_reads_back(store)
    finally:
        store.close()


@pytest.mark.parametrize("revision", migrate.revisions())
def test_every_revision_upgrades_to_the_tables_the_code_uses(store_url, revision):
    engine = create_engine(store_url, "vi")
    migrate.upgrade_to(engine, revision)
    fill_v1(engine)
    engine.dispose()
    store = Store.open(store_url)
    try:
        assert store.schema_version == SCHEMA_VERSION
        assert migrate.differences(store.engine) == []
        assert_day_reads_back(store, before_campaigns=revision < "0005")
    finally:
        store.close()


def described(engine: sa.Engine) -> tuple[dict, dict, dict]:
    """tables_of, with every column's default and the version table Alembic keeps."""
    seen = sa.inspect(engine)
    defaults = {
        name: sorted((c["name"], str(c.get("default"))) for c in seen.get_columns(name))
        for name in seen.get_table_names()
    }
    version = {
        "columns": [(c["name"], str(c["type"]), c["nullable"]) for c in seen.get_columns("alembic_version")],
        "primary_key": seen.get_pk_constraint("alembic_version"),
    }
    return tables_of(engine), defaults, version


def test_a_new_store_is_made_at_the_head_as_the_revisions_would_make_it(store_url):
    """A brand-new store gets the code's tables at once, stamped with the head: the same tables, keys, indexes and
    defaults the revisions make one after the other, and the same version row."""
    store = Store.open(store_url)
    try:
        made_at_once = described(store.engine)
        assert store.schema_version == SCHEMA_VERSION and migrate.differences(store.engine) == []
        with store.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT value FROM meta WHERE key = 'schema_version'")).scalar() == str(
                SCHEMA_VERSION
            )
    finally:
        store.close()
    engine = create_engine(store_url, "vi")
    try:
        made = sa.MetaData()
        made.reflect(engine)
        made.drop_all(engine)
        migrate.upgrade_to(engine, "head")
        assert described(engine) == made_at_once
        with engine.connect() as conn:
            assert conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all() == [
                migrate.head_revision()
            ]
    finally:
        engine.dispose()


@pytest.mark.parametrize("version", VERSIONS)
def test_each_early_revision_is_what_mailbot_made_at_that_version(store_url, version):
    """The revisions up to 0004 are frozen: a store they make and one mailbot made before Alembic are the same."""
    engine = create_engine(store_url, "vi")
    create_store_before_alembic(engine, version)
    before = tables_of(engine)
    made = sa.MetaData()
    made.reflect(engine)
    made.drop_all(engine)
    migrate.upgrade_to(engine, f"{version:04d}")
    try:
        assert tables_of(engine) == before
    finally:
        engine.dispose()


def _open_together(url, barrier, results):
    barrier.wait()
    try:
        Store.open(url).close()
        results.put("ok")
    except Exception as exc:  # the test shows whatever went wrong
        results.put(repr(exc))


@pytest.mark.parametrize("processes", [4])
def test_many_processes_open_a_fresh_store_at_once(store_url, processes):
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(processes), ctx.Queue()
    workers = [ctx.Process(target=_open_together, args=(store_url, barrier, results)) for _ in range(processes)]
    for worker in workers:
        worker.start()
    outcomes = [results.get(timeout=120) for _ in workers]
    for worker in workers:
        worker.join(60)
    assert outcomes == ["ok"] * processes
    store = Store.open(store_url)
    assert store.schema_version == SCHEMA_VERSION and migrate.differences(store.engine) == []
    store.close()
