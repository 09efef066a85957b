"""RegistryService on real parts: a bare repository and a SQLite index in tmp_path.

The starter catalogue is seeded once per module (one commit per version, in dependency order)
and copied for each test that writes.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from registry.errors import (
    Conflict,
    Forbidden,
    IncompatibleChange,
    InvalidTemplate,
    NotFound,
    VersionExists,
)
from registry.layout import TemplateKey, VersionKey
from registry.readmodels import Author
from registry.seeding import plan, seed
from registry.service import RegistryService
from tests.conftest import CATALOGUE
from tests.storage.conftest import TAMA, fsck_ok, opened, version_files

INAGI = Author(name="企画部 ICT推進課", email="ict@city.inagi.invalid", municipality="132250",
               municipality_name="稲城市")
LUNCH = TemplateKey("132241", "staff-lunch-survey")
INAGI_LUNCH = TemplateKey("132250", "staff-lunch-survey")


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("seeded") / "data"
    with opened(data) as service:
        seed(service, CATALOGUE)
    return data


@pytest.fixture
def service(seeded: Path, tmp_path: Path) -> Iterator[RegistryService]:
    with opened(tmp_path / "data", copy_of=seeded) as svc:
        yield svc


@pytest.fixture
def empty(tmp_path: Path) -> Iterator[RegistryService]:
    with opened(tmp_path / "empty") as svc:
        yield svc


def files_of(service: RegistryService, key: VersionKey) -> dict[str, Any]:
    got = service.get_version(key)
    return {"template": got.template, "schema": got.schema, "files": dict(got.files)}


def as_files(key: VersionKey, template: Any, schema: Any, base: dict[str, bytes]) -> dict[str, bytes]:
    schema = {**schema, "$id": key.schema_id}
    return {**base, "template.json": json.dumps(template, ensure_ascii=False).encode(),
            "schema.json": json.dumps(schema, ensure_ascii=False).encode()}


# -- seeding -----------------------------------------------------------------------------------
def test_seeding_orders_upstreams_and_refs_first() -> None:
    order = [str(k) for k, _ in plan(CATALOGUE)]
    assert order.index("132241/staff-lunch-survey@1.0.0") < order.index("132250/staff-lunch-survey@1.0.0")
    assert order.index("132241/staff-lunch-survey@1.0.0") < order.index("132241/staff-lunch-survey@1.1.0")
    assert len(order) == len(set(order))


def test_seeded_catalogue_is_in_git_and_index(service: RegistryService) -> None:
    in_git = {str(v.key) for v in service.store.iter_versions()}
    assert {str(k) for k, _ in plan(CATALOGUE)} == in_git
    fork = next(h for h in service.history(INAGI_LUNCH) if h.version == "1.0.0")
    assert fork.event == "forked"
    assert fork.author == "企画部 ICT推進課 (稲城市 132250)"
    assert [r.version for r in service.index.versions("132241", "staff-lunch-survey")] == ["1.0.0", "1.1.0"]
    lineage = service.lineage(INAGI_LUNCH)
    assert lineage.upstream_chain == ["132241/staff-lunch-survey@1.0.0"]
    assert [f"{r.lg}/{r.slug}" for r in service.lineage(LUNCH).forks] == ["132250/staff-lunch-survey"]
    fsck_ok(service.store)


# -- publish -----------------------------------------------------------------------------------
def test_publish_then_refuse_the_same_version(empty: RegistryService) -> None:
    key = VersionKey("132241", "absence-form", "1.0.0")
    result = empty.publish(version_files(key), actor=TAMA, key=key)
    assert result.commit == empty.store.tip()
    assert result.previous is None
    assert all(w.severity != "error" for w in result.warnings)
    with pytest.raises(VersionExists, match="already published"):
        empty.publish(version_files(key), actor=TAMA, key=key)
    assert [r.version for r in empty.index.versions("132241", "absence-form")] == ["1.0.0"]


def test_publish_accepts_repository_paths(empty: RegistryService) -> None:
    key = VersionKey("132241", "absence-form", "1.0.0")
    files = {f"{key.relpath}/{p}": d for p, d in version_files(key).items()}
    assert empty.publish(files, actor=TAMA).version == "1.0.0"


def test_invalid_version_writes_nothing(empty: RegistryService) -> None:
    key = VersionKey("132241", "absence-form", "1.0.0")
    files = version_files(key)
    files["examples/valid/弁当.json"] = b'{"lunch": "pizza"}'
    with pytest.raises(InvalidTemplate) as err:
        empty.publish(files, actor=TAMA, key=key)
    assert any(i.file and "弁当" in i.file for i in err.value.issues)
    assert empty.store.tip() is None


def test_dry_run_checks_everything_and_writes_nothing(service: RegistryService) -> None:
    tip = service.store.tip()
    key = VersionKey("132241", "staff-lunch-survey", "1.2.0")
    current = files_of(service, VersionKey("132241", "staff-lunch-survey", "1.1.0"))
    result = service.publish(as_files(key, current["template"], current["schema"], current["files"]),
                             actor=TAMA, key=key, dry_run=True)
    assert result.dry_run
    assert result.commit is None
    assert result.previous == "1.1.0"
    assert service.store.tip() == tip
    assert not service.store.exists(key)


def test_other_municipality_is_forbidden(empty: RegistryService) -> None:
    key = VersionKey("132241", "absence-form", "1.0.0")
    with pytest.raises(Forbidden):
        empty.publish(version_files(key), actor=INAGI, key=key)


def _without_enum_value(schema: dict[str, Any]) -> dict[str, Any]:
    schema = json.loads(json.dumps(schema))
    schema["properties"]["budget"] = {**schema["properties"]["budget"]}
    props = schema["properties"]["lunch_minutes"]
    if "enum" in props:
        props["enum"] = props["enum"][:-1]
    else:
        props["maximum"] = 30
    return schema


def test_under_declared_bump_is_refused_with_the_right_version(service: RegistryService) -> None:
    prev = files_of(service, VersionKey("132241", "staff-lunch-survey", "1.1.0"))
    key = VersionKey("132241", "staff-lunch-survey", "1.2.0")
    with pytest.raises(IncompatibleChange) as err:
        service.publish(as_files(key, prev["template"], _without_enum_value(prev["schema"]),
                                 prev["files"]), actor=TAMA, key=key)
    assert err.value.extra["suggested_version"] == "2.0.0"
    assert any(i.pointer.startswith("/properties/lunch_minutes") for i in err.value.issues)


def test_breaking_change_is_published_as_a_major_version(service: RegistryService) -> None:
    prev = files_of(service, VersionKey("132241", "staff-lunch-survey", "1.1.0"))
    schema = _without_enum_value(prev["schema"])
    none = {**prev["template"], "compatibility": "NONE"}
    minor = VersionKey("132241", "staff-lunch-survey", "1.2.0")
    with pytest.raises(IncompatibleChange, match="major"):  # NONE still needs major to break
        service.publish(as_files(minor, none, schema, prev["files"]), actor=TAMA, key=minor)
    major = VersionKey("132241", "staff-lunch-survey", "2.0.0")
    result = service.publish(as_files(major, prev["template"], schema, prev["files"]),
                             actor=TAMA, key=major)
    assert (result.bump, result.required_bump, result.compatibility) == ("major", "major", "BACKWARD")
    assert any(c.backward == "breaking" for c in result.changes)


# -- fork and locked fields --------------------------------------------------------------------
def test_fork_keeps_the_upstream_version_and_resets_own_fields(service: RegistryService) -> None:
    result = service.fork(LUNCH, to_lg="132250", to_slug="lunch-survey", actor=INAGI)
    assert (result.template, result.version, result.event) == ("132250/lunch-survey", "1.1.0", "forked")
    got = service.get_version("132250/lunch-survey@1.1.0")
    assert got.template["upstream"] == {"template": "132241/staff-lunch-survey", "version": "1.1.0"}
    assert "maintainers" not in got.template
    assert "local" not in got.template
    assert got.template["license"] == "CC-BY-4.0"
    assert got.schema["$id"] == "https://yoshiki.invalid/132250/lunch-survey/1.1.0/schema.json"
    assert service.behind("132250/lunch-survey") == 0
    assert "132250/lunch-survey" in {f"{r.lg}/{r.slug}" for r in service.lineage(LUNCH).forks}
    with pytest.raises(VersionExists):
        service.fork(LUNCH, to_lg="132250", to_slug="lunch-survey", actor=INAGI)
    with pytest.raises(NotFound):
        service.fork(LUNCH, "9.9.9", to_lg="132250", to_slug="other", actor=INAGI)


def test_fork_may_not_drop_or_change_a_locked_field(service: RegistryService) -> None:
    ours = files_of(service, VersionKey("132250", "staff-lunch-survey", "1.0.0"))
    key = VersionKey("132250", "staff-lunch-survey", "2.0.0")
    template = {**ours["template"], "compatibility": "NONE"}
    dropped = json.loads(json.dumps(ours["schema"]))
    del dropped["properties"]["days_eating_out"]
    dropped["required"].remove("days_eating_out")
    with pytest.raises(IncompatibleChange) as err:
        service.publish(as_files(key, template, dropped, ours["files"]), actor=INAGI, key=key)
    assert [(i.rule, i.pointer) for i in err.value.issues] == [
        ("ci.locked-field", "/properties/days_eating_out")]
    assert "外食・購入する日数" in err.value.issues[0].message_ja
    changed = json.loads(json.dumps(ours["schema"]))
    changed["properties"]["lunch_style"]["enum"].append("kitchen-car")
    with pytest.raises(IncompatibleChange) as err:
        service.publish(as_files(key, template, changed, ours["files"]), actor=INAGI, key=key)
    assert [(i.rule, i.pointer) for i in err.value.issues] == [
        ("ci.locked-field", "/properties/lunch_style")]
    retitled = json.loads(json.dumps(ours["schema"]))
    retitled["properties"]["lunch_style"]["title"] = "ふだんの昼食"
    patch = VersionKey("132250", "staff-lunch-survey", "1.0.1")
    assert service.publish(as_files(patch, ours["template"], retitled, ours["files"]),
                           actor=INAGI, key=patch).version == "1.0.1"


# -- pull --------------------------------------------------------------------------------------
def test_inagi_pulls_the_newer_tama_version_cleanly(service: RegistryService) -> None:
    assert service.behind(INAGI_LUNCH) == 1
    result = service.pull(INAGI_LUNCH, actor=INAGI)
    assert (result.base_version, result.theirs_version, result.ours_version) == ("1.0.0", "1.1.0", "1.0.0")
    assert result.published is not None
    assert result.published.event == "pulled"
    new = service.get_version(f"{INAGI_LUNCH}@{result.published.version}")
    assert result.published.version == "1.1.0"  # menu added upstream: a minor change for ours
    assert new.template["upstream"] == {"template": "132241/staff-lunch-survey", "version": "1.1.0"}
    assert new.template["local"]["department"] == "企画部 ICT推進課"  # the city's own, kept
    props = new.schema["properties"]
    assert "menu" in props  # theirs
    assert "kitchen_car_wish" in props  # ours
    assert new.schema["$id"] == f"https://yoshiki.invalid/{INAGI_LUNCH}/1.1.0/schema.json"
    assert service.behind(INAGI_LUNCH) == 0
    assert service.pull(INAGI_LUNCH, actor=INAGI).up_to_date
    assert [h.event for h in service.history(INAGI_LUNCH)] == ["forked", "pulled"]


def test_conflicting_pull_reports_pointers_and_writes_nothing(service: RegistryService) -> None:
    up = files_of(service, VersionKey("132241", "staff-lunch-survey", "1.1.0"))
    schema = json.loads(json.dumps(up["schema"]))
    schema["description"] = "多摩市で改訂した説明です。"
    key = VersionKey("132241", "staff-lunch-survey", "1.1.1")
    service.publish(as_files(key, {**up["template"], "changelog": "説明を改訂"}, schema, up["files"]),
                    actor=TAMA, key=key)
    tip = service.store.tip()
    with pytest.raises(Conflict) as err:
        service.pull(INAGI_LUNCH, actor=INAGI)
    conflicts = err.value.extra["conflicts"]
    assert [(c["file"], c["pointer"]) for c in conflicts] == [("schema.json", "/description")]
    assert conflicts[0]["theirs"] == "多摩市で改訂した説明です。"
    assert "キッチンカー" in conflicts[0]["ours"]
    assert service.store.tip() == tip
    assert service.store.list_versions(INAGI_LUNCH) == ["1.0.0"]
    result = service.pull(INAGI_LUNCH, actor=INAGI, resolutions={"/description": "ours"})
    assert result.published is not None
    assert service.get_version(f"{INAGI_LUNCH}@{result.published.version}").schema[
        "description"] == files_of(service, VersionKey("132250", "staff-lunch-survey", "1.0.0"))[
        "schema"]["description"]


# -- deprecate, history, reindex ---------------------------------------------------------------
def test_deprecate_keeps_the_version_readable(service: RegistryService) -> None:
    key = VersionKey("132241", "staff-lunch-survey", "1.0.0")
    service.deprecate(key, "1.1.0 を使ってください", TAMA)
    got = service.get_version(key)
    assert got.deprecated
    assert got.deprecated_reason == "1.1.0 を使ってください"
    assert [r.deprecated for r in service.index.versions(key.lg, key.slug)] == [True, False]
    history = service.history(key.template)
    assert [(h.version, h.deprecated) for h in history] == [("1.0.0", True), ("1.1.0", False)]
    service.reindex()
    assert [r.deprecated for r in service.index.versions(key.lg, key.slug)] == [True, False]


def test_reindex_rebuilds_the_same_index_from_git(service: RegistryService) -> None:
    def snapshot() -> list[tuple[Any, ...]]:
        return sorted((r.lg, r.slug, r.version, r.commit, r.bump, r.upstream_template,
                       r.upstream_version, r.upstream_commit)
                      for t in service.store.list_templates()
                      for r in service.index.versions(t.lg, t.slug))

    before = snapshot()
    count = service.reindex()
    assert count == len(before)
    assert snapshot() == before
    service.reindex()
    assert snapshot() == before


def test_history_shows_author_date_bump_and_changelog(service: RegistryService) -> None:
    history = service.history(LUNCH)
    assert [(h.version, h.event, h.bump) for h in history] == [
        ("1.0.0", "published", None), ("1.1.0", "published", "minor")]
    assert history[1].changelog is not None
    assert "menu" in history[1].changelog
    assert history[1].author.endswith("(多摩市 132241)")
    log = subprocess.run(["git", f"--git-dir={service.store.path}", "log", "-1", "--format=%s",
                          history[1].commit], capture_output=True, text=True, check=True).stdout
    assert log.strip() == "publish 132241/staff-lunch-survey 1.1.0 (minor)"


# -- the CLI -----------------------------------------------------------------------------------
def test_yoshiki_reindex_seeds_and_rebuilds(run_cli: Any, tmp_path: Path) -> None:
    data = tmp_path / "cli-data"
    env = {"YOSHIKI_DATABASE_URL": "", "YOSHIKI_REPO_PATH": ""}
    first = run_cli("reindex", "--data-dir", data, "--seed", CATALOGUE, "--format", "json", env=env)
    assert first.returncode == 0, first.stderr
    body = json.loads(first.stdout)
    expected = len(plan(CATALOGUE))
    assert (body["ok"], body["versions"], body["seeded"]) == (True, expected, expected)
    again = run_cli("reindex", "--data-dir", data, env=env)
    assert again.returncode == 0, again.stderr
    assert again.stdout.startswith(f"索引を作り直しました: {expected} 版")
    assert (data / "templates.git" / "HEAD").is_file()
    assert (data / "index.sqlite3").is_file()
