"""``yoshiki watch`` and ``yoshiki admin audit`` in subprocesses against ``yoshiki serve``."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from served import start, stop

from registry.config import Settings
from registry.wiring import open_service

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "unit"))
from test_lineage_tree import INAGI, MIZUHO, ROOT, SLUG, TOKYO, build


def test_watch_and_admin_audit(tmp_path: Path) -> None:
    data = tmp_path / "registry-data"
    service = open_service(Settings.for_data_dir(data))
    build(service)
    service.index.close()  # type: ignore[attr-defined]
    reg = start(tmp_path, empty=True)
    try:
        r = reg.cli("watch", INAGI, "--format", "json")
        assert r.returncode == 10, r.stderr
        out = json.loads(r.stdout)
        assert out["behind"] == [{"template": f"{INAGI}/{SLUG}", "latest_version": "1.1.0",
                                  "upstream_template": str(ROOT), "upstream_version": "1.0.0",
                                  "upstream_latest": "1.2.0", "behind": 2}]
        text = reg.cli("watch", MIZUHO, "--lang", "ja")
        assert text.returncode == 10
        assert f"yoshiki pull {MIZUHO}/{SLUG}" in text.stdout
        assert reg.cli("watch", TOKYO).returncode == 0      # an original is never behind
        assert reg.cli("watch", "999999").returncode == 3   # no such municipality

        token = reg.token(INAGI, "総務課")
        pulled = reg.cli("pull", f"{INAGI}/{SLUG}", env={"YOSHIKI_TOKEN": token})
        assert pulled.returncode == 0, pulled.stdout + pulled.stderr
        assert reg.cli("watch", INAGI).returncode == 0

        audit = reg.cli("admin", "audit", "--municipality", INAGI, "--format", "json",
                        "--data-dir", data)
        assert audit.returncode == 0, audit.stderr
        entries = json.loads(audit.stdout)
        assert [e["action"] for e in entries] == ["pull"]
        assert entries[0]["target"].startswith(f"{INAGI}/{SLUG}@")
        later = reg.cli("admin", "audit", "--since", "2999-01-01", "--data-dir", data)
        assert later.returncode == 0
        assert later.stdout == ""
        assert reg.cli("admin", "audit", "--since", "soon", "--data-dir", data).returncode == 2
    finally:
        stop(reg)
