"""``yoshiki migrate --from A --to B DATA [-o OUT] [--map FILE] [--plan]``: move submissions to a new version.

A and B are ``LG/SLUG@VERSION`` (in ``--repo``) or version folders. The diff between them and a
mapping (``--map`` YAML/JSON, or the ``migrations`` entry B's template.json ships for A) make the
plan; ``--plan`` prints it and moves nothing. Each row is carried, changed or refused with the
reason; fields B does not have go to ``OUT.removed.jsonl`` with the row's id, refused rows to
``OUT.refused.jsonl`` whole. Every written row is valid under B. Exit 0 when no row is refused.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from cli.options import EXIT_INVALID, guarded, lang_option, traceback_option

HELP = """申請データを新しい版へ移す / migrate submissions from one form version to another.

--from / --to: LG/SLUG@VERSION（--repo のリポジトリ内）または版のフォルダ。フォークをまたいでも
移せます（template.json の upstream から系統を調べます）。

DATA: .json・.jsonl・.csv・.xlsx。-o OUT: .jsonl・.json・.csv・.xlsx（既定: DATA と同じ形式で
<DATA>.migrated.<拡張子>）。新しい版にない項目は OUT.removed.jsonl に行の番号・id とともに、
移せない行は理由とともに OUT.refused.jsonl にそのまま移します（データは失われません）。

--map FILE: 対応表（YAML か JSON）: renames（旧項目ID: 新項目ID）、values（項目ID: {旧値: 新値}）、
defaults（項目ID: 値）。B の template.json の migrations に同じ形で書いて配布することもできます。
--plan: 差分から作った移行計画を表示するだけで、データは動かしません。

終了コード / exit: 0 全行を移行 all migrated, 1 移せない行あり some refused, 2 指定の誤り usage,
3 見つからない not found.
"""

MAX_SHOWN = 50


def _load(source: str, repo: Path | None) -> tuple[Any, dict[str, Any], Any, Any, Path]:
    from registry.layout import VersionKey, find_repository_root
    from registry.sheets.folders import locate, read_version
    from registry.syntax.refs import SchemaSet

    folder = locate(source, repo)
    template, schema, _ = read_version(folder)
    key = VersionKey.parse(source) if "@" in source and not Path(source).is_dir() else \
        VersionKey.from_folder(folder.resolve())
    return key, template, schema, SchemaSet.for_folder(find_repository_root(folder)), folder


def _read_mapping(path: Path) -> Any:
    from registry.errors import NotFound, UsageError

    if not path.is_file():
        raise NotFound(f"{path}: no such file", detail_ja=f"{path}: ファイルがありません")
    text = path.read_text(encoding="utf-8-sig")
    try:
        if path.suffix.lower() in (".yaml", ".yml"):
            import yaml

            return yaml.safe_load(text)
        import json

        return json.loads(text)
    except Exception as exc:
        raise UsageError(f"{path}: cannot read the mapping ({exc})",
                         detail_ja=f"{path}: 対応表を読めません（{exc}）") from None


@click.command(help=HELP)
@click.option("--from", "source", required=True, help="移行元の版 / version the data was collected with")
@click.option("--to", "target", required=True, help="移行先の版 / version to migrate to")
@click.argument("data", type=click.Path(path_type=Path, dir_okay=False), required=False)
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), help="出力ファイル / output file")
@click.option("--map", "mapping_file", type=click.Path(path_type=Path, dir_okay=False),
              help="対応表 YAML/JSON / mapping file (renames, values, defaults)")
@click.option("--plan", "plan_only", is_flag=True, help="計画を表示するだけ / print the plan, move nothing")
@click.option("--repo", type=click.Path(path_type=Path, file_okay=False),
              help="LG/SLUG@VERSION を探すリポジトリ（既定: 現在のフォルダ） / repository for LG/SLUG@VERSION")
@lang_option
@traceback_option
@guarded
def command(source: str, target: str, data: Path | None, output: Path | None, mapping_file: Path | None,
            plan_only: bool, repo: Path | None, lang: str, show_traceback: bool) -> int:
    """Migrate DATA from version SOURCE to version TARGET."""
    from registry.diff import diff
    from registry.errors import NotFound, UsageError
    from registry.migration import lineage
    from registry.migration.plan import Mapping, declared_defaults, make_plan, plan_text
    from registry.migration.rows import Migrator
    from registry.migration.streams import JsonlSide, RowWriter
    from registry.sheets.entry import columns as entry_columns
    from registry.submissions.readers import CsvColumns, iter_records
    from registry.submissions.validator import compile_form
    from registry.submissions.values import ValueReader

    a_key, a_template, a_schema, a_schemas, _ = _load(source, repo)
    b_key, b_template, b_schema, b_schemas, _ = _load(target, repo)
    a_form = compile_form(a_schema, a_schemas)
    b_form = compile_form(b_schema, b_schemas)
    a_root = ValueReader(a_schema, a_form.resolver).root
    b_root = ValueReader(b_schema, b_form.resolver).root
    mapping = lineage.shipped_mapping(a_key, b_key, b_template) or Mapping()
    if mapping_file is not None:
        mapping = mapping.merged(Mapping.parse(_read_mapping(mapping_file), str(mapping_file)))
    changes = diff(a_schema, b_schema, old_schemas=a_schemas, new_schemas=b_schemas, witnesses=False).changes
    plan = make_plan(str(a_key or source), str(b_key or target), a_root, b_root, changes, mapping,
                     declared_defaults(a_root, b_root), lineage.describe(a_key, a_template, b_key, b_template))
    if plan_only:
        click.echo(plan_text(plan, lang), nl=False)
        return 0
    if data is None:
        raise UsageError("give DATA (or --plan to see the plan only)",
                         detail_ja="DATA を指定してください（計画だけなら --plan）")
    if not data.is_file():
        raise NotFound(f"{data}: no such file", detail_ja=f"{data}: ファイルがありません")
    out = output or data.with_name(f"{data.stem}.migrated{data.suffix if data.suffix != '.ndjson' else '.jsonl'}")
    if out.resolve() == data.resolve():
        raise UsageError("the output would overwrite DATA", detail_ja="出力先が DATA と同じです（上書きしません）")
    cols = [c.path for c in entry_columns(b_schema, b_form.resolver)[0]]
    writer = RowWriter(out, cols)
    removed_side = JsonlSide(out.with_name(f"{out.stem}.removed.jsonl"))
    refused_side = JsonlSide(out.with_name(f"{out.stem}.refused.jsonl"))
    migrator = Migrator(plan, b_form, ValueReader(b_schema, b_form.resolver))
    counts = {"migrated": 0, "changed": 0, "refused": 0}
    shown = 0
    records = iter_records(data, columns=CsvColumns(a_schema, a_form.resolver), source=str(data))
    err = sys.stderr
    try:
        for rec in records:
            row_id: str | int
            if rec.error is not None:
                reasons = [{"pointer": rec.error.pointer, "ja": rec.error.message_ja, "en": rec.error.message}]
                outcome_status, value, row_id = "refused", None, rec.number
            else:
                outcome = migrator.row(rec.value)
                outcome_status, value, reasons = outcome.status, outcome.value, outcome.reasons
                raw_id = rec.value.get("id") if isinstance(rec.value, dict) else None
                row_id = raw_id if isinstance(raw_id, str | int) else rec.number
                if outcome.removed and outcome.status != "refused":  # a refused row is kept whole instead
                    removed_side.write({"record": rec.number, "id": row_id, "removed": outcome.removed})
            counts[outcome_status] += 1
            if outcome_status == "refused":
                refused_side.write({"record": rec.number, "id": row_id, "reasons": reasons, "row": value})
                if shown < MAX_SHOWN:
                    shown += 1
                    text = "; ".join(r["ja" if lang == "ja" else "en"] for r in reasons)
                    err.write(f"{data}:{rec.line or rec.number}: 移行できません: {text}\n" if lang == "ja"
                               else f"{data}:{rec.line or rec.number}: refused: {text}\n")
            else:
                writer.write(value)
    finally:
        writer.close()
        removed_side.close()
        refused_side.close()
    total = sum(counts.values())
    if lang == "ja":
        click.echo(f"{total} 行: そのまま移行 {counts['migrated']}、変更して移行 {counts['changed']}、"
                   f"移行できず {counts['refused']} → {out}（{writer.count} 行）")
        if removed_side.count:
            click.echo(f"新しい版にない項目: {removed_side.path}（{removed_side.count} 行）")
        if refused_side.count:
            click.echo(f"移行できなかった行と理由: {refused_side.path}（{refused_side.count} 行）")
    else:
        click.echo(f"{total} row(s): {counts['migrated']} migrated unchanged, {counts['changed']} changed, "
                   f"{counts['refused']} refused → {out} ({writer.count} rows)")
        if removed_side.count:
            click.echo(f"fields not in the new version: {removed_side.path} ({removed_side.count} rows)")
        if refused_side.count:
            click.echo(f"refused rows with reasons: {refused_side.path} ({refused_side.count} rows)")
    return EXIT_INVALID if counts["refused"] else 0
