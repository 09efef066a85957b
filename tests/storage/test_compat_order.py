"""The compatibility rule under concurrency and order (issue 16 point 5), and lineage (point 6).

The case: 1.0.0 a closed object; 1.1.0 adds an optional field to it; 1.2.0 equals 1.0.0. In
version order 1.2.0 drops a field data collected under 1.1.0 holds. Whether published one after
the other in either order, or concurrently, the pair never both enters the major line under a
mode that binds it (checks/line_order.py).
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import TestClient

from registry.config import Settings
from registry.errors import IncompatibleChange, InvalidTemplate, RegistryError
from registry.layout import VersionKey, schema_uri
from registry.service import RegistryService
from registry.storage.ports import Author
from registry.web.app import create_app
from registry.wiring import open_service
from tests.storage.conftest import TAMA, fsck_ok, version_files

INAGI = Author(name="総務課", email="somu@city.inagi.invalid", municipality="132250",
               municipality_name="稲城市")
BINDING = ["BACKWARD", "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE", "FULL",
           "FULL_TRANSITIVE"]


def files(slug: str, version: str, mode: str, *, extra: bool) -> dict[str, bytes]:
    """A closed object with ``lunch`` (and an optional ``note`` when ``extra``)."""
    props: dict[str, Any] = {"lunch": {"type": "string", "title": "昼食", "enum": ["弁当", "外食"]}}
    if extra:
        props["note"] = {"type": "string", "title": "備考", "maxLength": 100}
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema",
              "$id": schema_uri("132241", slug, version), "title": "昼食", "type": "object",
              "properties": props, "required": ["lunch"], "additionalProperties": False}
    template = {"title": "昼食", "category": "職員", "tags": ["アンケート"], "license": "CC-BY-4.0",
                "compatibility": mode}

    def dump(v: Any) -> bytes:
        return json.dumps(v, ensure_ascii=False, indent=2).encode() + b"\n"

    return {"template.json": dump(template), "schema.json": dump(schema),
            "examples/valid/a.json": dump({"lunch": "弁当"}),
            "examples/invalid/b.json": dump({})}


@pytest.fixture
def service(tmp_path: Path) -> RegistryService:
    return open_service(Settings.for_data_dir(tmp_path / "data"))


def publish(service: RegistryService, slug: str, version: str, mode: str, extra: bool) -> None:
    key = VersionKey("132241", slug, version)
    service.publish(files(slug, version, mode, extra=extra), actor=TAMA, key=key)


@pytest.mark.parametrize("mode", [*BINDING, "NONE"])
def test_out_of_order_insert_is_checked_against_the_later_version(service: RegistryService,
                                                                  mode: str) -> None:
    """Refused under every mode: NONE too, since 1.2.0 then drops a field data holds (SemVer)."""
    publish(service, "lunch", "1.0.0", mode, extra=False)
    publish(service, "lunch", "1.2.0", mode, extra=False)
    tip = service.store.tip()
    with pytest.raises(IncompatibleChange):
        publish(service, "lunch", "1.1.0", mode, extra=True)
    assert service.store.tip() == tip
    assert [v.version for v in service.index.versions("132241", "lunch")] == ["1.0.0", "1.2.0"]


@pytest.mark.parametrize("mode", BINDING)
def test_in_order_the_later_version_is_refused(service: RegistryService, mode: str) -> None:
    publish(service, "lunch", "1.0.0", mode, extra=False)
    if mode.startswith(("FORWARD", "FULL")):
        with pytest.raises(IncompatibleChange):  # 1.0.0 rejects what 1.1.0 accepts
            publish(service, "lunch", "1.1.0", mode, extra=True)
        return
    publish(service, "lunch", "1.1.0", mode, extra=True)
    with pytest.raises(IncompatibleChange):
        publish(service, "lunch", "1.2.0", mode, extra=False)


def test_a_later_version_in_another_major_line_does_not_bind(service: RegistryService) -> None:
    publish(service, "lunch", "1.0.0", "FULL", extra=False)
    publish(service, "lunch", "2.0.0", "FULL", extra=False)
    publish(service, "lunch", "1.1.0", "BACKWARD", extra=True)  # 2.0.0 is another line


@pytest.mark.parametrize("mode", ["BACKWARD", "BACKWARD_TRANSITIVE"])
def test_concurrent_publishes_of_the_pair_let_one_in(service: RegistryService, mode: str) -> None:
    """Two threads publish 1.1.0 and 1.2.0 at once, many rounds: never both (the CAS re-checks)."""
    rounds = 6
    outcomes: list[tuple[str, ...]] = []
    for n in range(rounds):
        slug = f"race-{n}"
        publish(service, slug, "1.0.0", mode, extra=False)
        barrier = threading.Barrier(2)
        won: list[str] = []
        errors: list[BaseException] = []

        def run(version: str, extra: bool, slug: str = slug, barrier: threading.Barrier = barrier,
                won: list[str] = won, errors: list[BaseException] = errors) -> None:
            barrier.wait()
            try:
                publish(service, slug, version, mode, extra)
                won.append(version)
            except IncompatibleChange:
                pass
            except BaseException as exc:
                errors.append(exc)

        threads = [threading.Thread(target=run, args=("1.1.0", True)),
                   threading.Thread(target=run, args=("1.2.0", False))]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        assert len(won) == 1, f"round {n}: {won} both entered the major line"
        versions = service.store.list_versions(VersionKey("132241", slug, "1.0.0").template)
        assert versions == ["1.0.0", won[0]]
        outcomes.append(tuple(won))
    fsck_ok(service.store)


# -- lineage -----------------------------------------------------------------------------------

def test_a_fork_cannot_drop_its_upstream_until_it_detaches(service: RegistryService) -> None:
    up = VersionKey("132241", "staff-lunch-survey", "1.0.0")
    service.publish(version_files(up), actor=TAMA, key=up)
    service.fork(up.template, to_lg="132250", actor=INAGI)
    fork_next = VersionKey("132250", "staff-lunch-survey", "1.1.0")
    tip = service.store.tip()
    with pytest.raises(InvalidTemplate) as err:  # upstream deleted from template.json
        service.publish(version_files(fork_next), actor=INAGI, key=fork_next)
    assert err.value.issues[0].rule == "lineage.upstream-required"
    other = VersionKey("132241", "other", "1.0.0")
    service.publish(version_files(other), actor=TAMA, key=other)
    with pytest.raises(InvalidTemplate):  # another upstream
        service.publish(version_files(fork_next, extra_template={
            "upstream": {"template": "132241/other", "version": "1.0.0"}}), actor=INAGI, key=fork_next)
    assert service.store.list_versions(fork_next.template) == ["1.0.0"]
    assert service.store.tip() != tip  # only "other" was written
    with pytest.raises(RegistryError):  # only the fork's city may detach it
        service.detach(fork_next.template, TAMA)
    result = service.detach(fork_next.template, INAGI, reason="独自に管理します")
    assert (result.upstream, result.version) == ("132241/staff-lunch-survey", "1.0.0")
    service.publish(version_files(fork_next), actor=INAGI, key=fork_next)
    assert service.index.forks_of("132241", "staff-lunch-survey") == []
    # Git is the source of truth: the detachment survives a rebuild from nothing.
    with service.index.engine.begin() as conn:  # type: ignore[attr-defined]
        conn.exec_driver_sql("DELETE FROM detachments")
    service.reindex()
    rows = service.index.detachments("132250", "staff-lunch-survey")
    assert [(r["upstream_template"], r["version"], r["reason"]) for r in rows] == [
        ("132241/staff-lunch-survey", "1.0.0", "独自に管理します")]


def test_detach_over_http_is_audited_in_the_feed_and_on_both_pages(service: RegistryService) -> None:
    up = VersionKey("132241", "staff-lunch-survey", "1.0.0")
    service.publish(version_files(up), actor=TAMA, key=up)
    service.fork(up.template, to_lg="132250", actor=INAGI)
    inagi = {"Authorization": "Bearer " + service.index.create_token("132250", "総務課")}
    tama = {"Authorization": "Bearer " + service.index.create_token("132241", "情報政策課")}
    url = "/api/v1/templates/132250/staff-lunch-survey/detach"
    with TestClient(create_app(service.settings, service=service)) as client:
        assert client.post(url, json={}).status_code == 401
        assert client.post(url, json={}, headers=tama).status_code == 403
        r = client.post("/api/v1/templates/132241/staff-lunch-survey/detach", json={}, headers=tama)
        assert r.status_code == 400  # not a fork
        r = client.post(url, json={"reason": "独自に管理します"}, headers=inagi)
        assert r.status_code == 200, r.text
        assert r.json()["upstream"] == "132241/staff-lunch-survey"
        assert client.post(url, json={}, headers=inagi).status_code == 409  # already detached
        feed = client.get("/api/v1/changes").json()
        assert feed["events"][-1]["kind"] == "detached"
        entry = service.index.audit_log(1)[0]  # type: ignore[attr-defined]
        assert (entry.action, entry.remote_addr) == ("detach", "testclient")
        fork_page = client.get("/t/132250/staff-lunch-survey").text
        up_page = client.get("/t/132241/staff-lunch-survey").text
    assert "132241/staff-lunch-survey から切り離しました" in fork_page
    assert "独自に管理します" in fork_page
    assert "132250/staff-lunch-survey</a> は" in up_page
    assert "切り離されました" in up_page
