"""Validate templates (layout, template.json, schema, refs, examples) → Issues; also from files.

Submissions are checked by ``registry.submissions.validator`` (``compile_form``), which this
module uses for a version's examples.

Validation uses jsonschema-rs: its ``pattern`` follows ECMA-262 (``\\d`` is ASCII, ``$`` only at the
very end), as browsers and the JSON Schema spec do, and it is fast enough to check a month of
submissions in seconds. References resolve through ``SchemaSet.retrieve`` only: never the network.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema_rs

from registry.checks import keywords
from registry.errors import NotFound, RegistryError, UsageError
from registry.layout import (
    EXAMPLES_DIR,
    LG_RE,
    SCHEMA_FILE,
    TEMPLATE_FILE,
    VersionKey,
    find_repository_root,
    is_slug,
)
from registry.models import Issue
from registry.resources import schemas_dir
from registry.submissions.validator import (
    MAX_SCHEMA_DEPTH,
    FormValidator,
    compile_form,
    compile_validator,
)
from registry.syntax import pointers, validators
from registry.syntax.applicators import (
    in_place_children,
)
from registry.syntax.documents import MAX_DOCUMENT_BYTES, decode_utf8, parse_json_text
from registry.syntax.refs import META_SCHEMA_2020_12, Resolver, SchemaSet, UnresolvableRef
from registry.syntax.sourcemap import SourceMap
from registry.versioning import Version

MAX_REFS = 1000
MIN_EXAMPLES = 2

# Keywords whose values are not schemas (their contents must not be walked as subschemas).
_DATA_KEYWORDS = frozenset({"const", "enum", "examples", "default", "required", "type",
                            "x-yoshiki-enum-labels", "dependentRequired"})


# --------------------------------------------------------------------------- helpers


@dataclass
class _Source:
    """One file of a version: its path for messages and its text for line/column."""

    path: str
    text: str | None = None
    _map: SourceMap | None = field(default=None, repr=False)

    def locate(self, pointer: str) -> tuple[int | None, int | None]:
        if self.text is None:
            return None, None
        if self._map is None:
            self._map = SourceMap(self.text)
        found = self._map.locate(pointer)
        return found if found is not None else (None, None)


def _issue(rule: str, en: str, ja: str, src: _Source | None, pointer: str = "", *,
           severity: str = "error", hint: str | None = None, hint_ja: str | None = None) -> Issue:
    line, column = src.locate(pointer) if src is not None else (None, None)
    return Issue(rule=rule, message=en, message_ja=ja, severity=severity,  # type: ignore[arg-type]
                 pointer=pointer, file=src.path if src else None, line=line, column=column,
                 hint=hint, hint_ja=hint_ja)


def _with_file(issues: list[Issue], src: _Source) -> list[Issue]:
    """Issues of a document error, stamped with the file when they lack one."""
    out = []
    for i in issues:
        if i.file is None:
            line, column = (i.line, i.column) if i.line is not None else src.locate(i.pointer)
            i = Issue(**{**{f: getattr(i, f) for f in i.__struct_fields__},
                         "file": src.path, "line": line, "column": column})
        out.append(i)
    return out


def _ptr(path: Any) -> str:
    return pointers.join(list(path))


def _depth(node: Any, limit: int) -> bool:
    """True when ``node`` nests deeper than ``limit`` (iterative: never a RecursionError)."""
    stack: list[tuple[Any, int]] = [(node, 0)]
    while stack:
        n, d = stack.pop()
        if d > limit:
            return True
        if isinstance(n, dict):
            stack.extend((v, d + 1) for v in n.values())
        elif isinstance(n, list):
            stack.extend((v, d + 1) for v in n)
    return False


def _subschemas(node: Any, path: list[str | int]) -> Iterator[tuple[Any, list[str | int]]]:
    """Every schema object inside ``node`` with its path (data-valued keywords are skipped)."""
    stack: list[tuple[Any, list[str | int]]] = [(node, path)]
    while stack:
        n, p = stack.pop()
        if isinstance(n, dict):
            yield n, p
            for k, v in n.items():
                if k in _DATA_KEYWORDS or k.startswith("x-"):
                    continue
                if isinstance(v, dict | list):
                    stack.append((v, [*p, k]))
        elif isinstance(n, list):
            for i, v in enumerate(n):
                if isinstance(v, dict | list):
                    stack.append((v, [*p, i]))


# --------------------------------------------------------------------------- schemas


def _ref_issues(schema: Any, schemas: SchemaSet, src: _Source | None) -> list[Issue]:
    """Every ``$ref`` resolves locally; cycles that never consume input are reported."""
    issues: list[Issue] = []
    resolver = Resolver(schema, schemas)
    refs: list[tuple[dict[str, Any], str, str, str]] = []  # (node, base, keyword, pointer)
    bases: dict[int, str] = {}

    def base_for(path: list[str | int]) -> str:
        # The base URI changes at every embedded $id on the way down.
        base, node = resolver.root_uri, schema
        for tok in path:
            node = node[tok]
            base = Resolver.base_of(base, node)
        return base

    for node, path in _subschemas(schema, []):
        for kw in ("$ref", "$dynamicRef"):
            if isinstance(node.get(kw), str):
                refs.append((node, base_for(path), kw, _ptr([*path, kw])))
    if len(refs) > MAX_REFS:
        return [_issue("schema.too-many-refs", f"The schema has {len(refs)} references; the limit is {MAX_REFS}.",
                       f"スキーマの参照（$ref）が {len(refs)} 個あり、上限 {MAX_REFS} 個を超えています。", src)]
    resolved: dict[int, tuple[str, Any]] = {}
    for node, base, kw, pointer in refs:
        try:
            resolved[id(node)] = resolver.resolve(base, node[kw])
            bases[id(node)] = base
        except UnresolvableRef as exc:
            detail = exc.issues[0] if exc.issues else None
            issues.append(_issue(
                "ref.unresolvable",
                detail.message if detail else str(exc), detail.message_ja if detail else exc.detail_ja, src, pointer,
                hint="Refer to /common/<name>.json, #/$defs/<name> or a template of this repository.",
                hint_ja="/common/<名前>.json、#/$defs/<名前>、またはこのリポジトリのテンプレートを参照してください。"))
        except RegistryError as exc:
            issues.append(_issue("ref.unresolvable", str(exc), exc.detail_ja, src, pointer))

    def step(node: Any, base: str) -> Iterator[tuple[Any, str]]:
        """Schemas applied to the same instance as ``node`` (following $ref)."""
        if not isinstance(node, dict):
            return
        for kw in ("$ref", "$dynamicRef"):
            if isinstance(node.get(kw), str):
                if id(node) in resolved:
                    target_base, target = resolved[id(node)]
                else:
                    try:
                        target_base, target = resolver.resolve(base, node[kw])
                    except RegistryError:
                        continue
                yield target, Resolver.base_of(target_base, target)
        for child in in_place_children(node):
            yield child, Resolver.base_of(base, child)

    for node, base, kw, pointer in refs:
        if id(node) not in resolved:
            continue
        seen: set[int] = set()
        stack = list(step(node, base))
        budget = 10 * MAX_REFS
        while stack and budget:
            budget -= 1
            current, cbase = stack.pop()
            if current is node:
                issues.append(_issue(
                    "ref.cycle", f"The reference {node[kw]} leads back here without reading any input: a validator would loop forever.",
                    f"参照 {node[kw]} が入力を読み進めないまま自分自身に戻ります（循環参照）。", src, pointer,
                    hint="Break the cycle; a recursive form must go through properties or items.",
                    hint_ja="循環を解消してください。入れ子の繰り返しは properties か items を経由させてください。"))
                break
            if id(current) in seen:
                continue
            seen.add(id(current))
            stack.extend(step(current, cbase))
    return issues


def check_schema(schema: Any, schemas: SchemaSet, *, file: str | None = None,
                 text: str | None = None) -> list[Issue]:
    """A schema document is a valid 2020-12 schema whose references all resolve locally."""
    src = _Source(file, text) if file is not None else None
    if _depth(schema, MAX_SCHEMA_DEPTH * 2):
        return [_issue("schema.too-deep", f"The schema nests deeper than {MAX_SCHEMA_DEPTH} levels.",
                       f"スキーマの入れ子が {MAX_SCHEMA_DEPTH} 段を超えています。", src)]
    if not isinstance(schema, dict):
        return [_issue("schema.meta", "A form schema must be a JSON object.",
                       "フォームのスキーマは JSON オブジェクトでなければなりません。", src)]
    issues: list[Issue] = []
    dialect = schema.get("$schema")
    if dialect != META_SCHEMA_2020_12:
        issues.append(_issue(
            "schema.dialect", f"$schema must be {META_SCHEMA_2020_12} (found {dialect!r}).",
            f"$schema は {META_SCHEMA_2020_12} にしてください（現在: {dialect!r}）。", src,
            "/$schema" if "$schema" in schema else "",
            hint="Yoshiki forms are JSON Schema draft 2020-12.", hint_ja="様式のフォームは JSON Schema 2020-12 で書きます。"))
    for err in _meta_validator().iter_errors(schema):
        pointer = _ptr(err.instance_path)
        issues.append(_issue("schema.meta", f"Not a valid JSON Schema 2020-12: {err.message}.",
                             f"JSON Schema 2020-12 として正しくありません: {err.message}。", src, pointer))
    for pointer, keyword, guess in keywords.unknown_keywords(schema):
        en, ja = keywords.messages(keyword, guess)
        issues.append(_issue("schema.unknown-keyword", en, ja, src, pointer,
                             hint=f"Write {guess!r}." if guess else "Rename it x-… or remove it.",
                             hint_ja=f"{guess} と書いてください。" if guess else "x- で始まる名前にするか、削除してください。"))
    if issues:
        return issues
    issues.extend(_ref_issues(schema, schemas, src))
    if issues:
        return issues
    try:
        compile_validator(schema, schemas, validate_formats=True)
    except (ValueError, jsonschema_rs.ValidationError) as exc:
        message = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        issues.append(_issue("schema.compile", f"The schema cannot be compiled: {message}.",
                             f"スキーマを組み立てられません: {message}。", src))
    return issues


_META: jsonschema_rs.Validator | None = None
_TEMPLATE_META: dict[str, jsonschema_rs.Validator] = {}


def _meta_validator() -> jsonschema_rs.Validator:
    """The 2020-12 meta-schema (built into jsonschema-rs; no network)."""
    global _META
    if _META is None:
        _META = validators.compile_schema({"$ref": META_SCHEMA_2020_12})
    return _META


def _template_meta() -> jsonschema_rs.Validator | None:
    """The validator of template.json, or None while the packaged meta-schema is absent."""
    path = schemas_dir() / "template.schema.json"
    key = str(path)
    if key not in _TEMPLATE_META:
        if not path.is_file():
            return None
        doc = json.loads(path.read_text(encoding="utf-8"))
        _TEMPLATE_META[key] = validators.compile_schema(doc, validate_formats=True,
                                                        retriever=SchemaSet().retrieve)
    return _TEMPLATE_META[key]


# --------------------------------------------------------------------------- versions


def _layout_issues(lg: str, slug: str, version: str, src: _Source | None) -> list[Issue]:
    issues: list[Issue] = []
    if not LG_RE.fullmatch(lg):
        issues.append(_issue("layout.lg-code", f"Folder {lg!r} is not a six-digit municipality code.",
                             f"フォルダ名 {lg!r} は6桁の全国地方公共団体コードではありません。", src,
                             hint="Use the code with its check digit, e.g. 132241 for 多摩市.",
                             hint_ja="検査数字を含む6桁のコード（多摩市なら 132241）にしてください。"))
    else:
        from registry.municipalities import check_code

        try:
            check_code(lg)
        except RegistryError as exc:
            issues.append(_issue("layout.lg-code", exc.detail, exc.detail_ja, src,
                                 hint="Use the code with its check digit.",
                                 hint_ja="検査数字を含む正しいコードにしてください。"))
    if not is_slug(slug):
        issues.append(_issue("layout.slug", f"Folder {slug!r} is not a valid slug (^[a-z0-9][a-z0-9-]*$, at most 64).",
                             f"フォルダ名 {slug!r} はスラッグの規則（半角英小文字・数字・ハイフン、64文字以内）に合いません。", src,
                             hint="e.g. absence-notice", hint_ja="例: absence-notice"))
    if not Version.is_valid(version):
        issues.append(_issue("layout.version", f"Folder {version!r} is not a version MAJOR.MINOR.PATCH.",
                             f"フォルダ名 {version!r} は版番号（メジャー.マイナー.パッチ）ではありません。", src,
                             hint="e.g. 1.0.0", hint_ja="例: 1.0.0"))
    return issues


def _template_issues(template: Any, src: _Source, upstream_exists: Callable[[str, str], bool] | None) -> list[Issue]:
    issues: list[Issue] = []
    meta = _template_meta()
    if meta is not None:
        for err in meta.iter_errors(template):
            issues.append(_issue("template.meta", f"template.json: {err.message}.",
                                 f"template.json が形式に合いません: {err.message}。", src, _ptr(err.instance_path),
                                 hint="See docs/format.md for the fields of template.json.",
                                 hint_ja="template.json の項目は docs/format.md を参照してください。"))
    elif not isinstance(template, dict) or not isinstance(template.get("title"), str):
        issues.append(_issue("template.meta", "template.json must be an object with a title.",
                             "template.json は title を持つオブジェクトにしてください。", src))
    upstream = template.get("upstream") if isinstance(template, dict) else None
    if upstream_exists is not None and isinstance(upstream, dict):
        name, version = upstream.get("template"), upstream.get("version")
        if isinstance(name, str) and isinstance(version, str) and not upstream_exists(name, version):
            issues.append(_issue("layout.upstream-missing", f"The upstream {name}@{version} does not exist in this repository.",
                                 f"元のテンプレート {name}@{version} がこのリポジトリにありません。", src, "/upstream",
                                 hint="Point upstream at an existing template version.",
                                 hint_ja="upstream には存在するテンプレートの版を指定してください。"))
    return issues


def _example_issues(form: FormValidator, examples: dict[str, list[tuple[str, Any]]],
                    sources: dict[str, _Source], prefix: str) -> list[Issue]:
    issues: list[Issue] = []
    for kind in ("valid", "invalid"):
        items = examples.get(kind, [])
        if len(items) < MIN_EXAMPLES:
            issues.append(_issue(
                "example.missing", f"Only {len(items)} {kind} example(s); at least {MIN_EXAMPLES} are expected.",
                f"{'正しい' if kind == 'valid' else '誤った'}入力例が {len(items)} 件しかありません（{MIN_EXAMPLES} 件以上必要です）。",
                _Source(f"{prefix}{EXAMPLES_DIR}/{kind}"), severity="warning",
                hint=f"Add examples under examples/{kind}/.", hint_ja=f"examples/{kind}/ に例を追加してください。"))
        for name, value in items:
            rel = f"{EXAMPLES_DIR}/{kind}/{name}"
            src = sources.get(rel) or _Source(prefix + rel)
            found = form.check(value)
            if kind == "valid" and found:
                first = found[0]
                issues.append(_issue(
                    "example.valid-rejected", f"This example should be accepted but is rejected: {first.message}",
                    f"この入力例は受け付けられるはずですが、不正と判定されました: {first.message_ja}", src, first.pointer))
            elif kind == "invalid" and not found:
                issues.append(_issue(
                    "example.invalid-accepted", "This example should be rejected but the form accepts it.",
                    "この入力例は不正と判定されるはずですが、受け付けられました。", src,
                    hint="Tighten the schema or move the example to examples/valid/.",
                    hint_ja="スキーマの条件を見直すか、例を examples/valid/ に移してください。"))
    return issues


def _version_checks(key: VersionKey | None, template: Any, schema: Any,
                    examples: dict[str, list[tuple[str, Any]]] | None, schemas: SchemaSet,
                    upstream_exists: Callable[[str, str], bool] | None,
                    sources: dict[str, _Source], prefix: str = "") -> list[Issue]:
    issues: list[Issue] = []
    tsrc = sources.get(TEMPLATE_FILE) or _Source(prefix + TEMPLATE_FILE)
    ssrc = sources.get(SCHEMA_FILE) or _Source(prefix + SCHEMA_FILE)
    if template is not _MISSING:
        issues.extend(_template_issues(template, tsrc, upstream_exists))
    if schema is _MISSING:
        return issues
    if key is not None and isinstance(schema, dict) and schema.get("$id") != key.schema_id:
        issues.append(_issue("layout.id-mismatch", f"$id must be {key.schema_id} (the folder's registry URI).",
                             f"$id はフォルダの場所に合わせて {key.schema_id} にしてください。", ssrc,
                             "/$id" if "$id" in schema else "",
                             hint="The $id is derived from <lg>/<slug>/<version>.",
                             hint_ja="$id は <団体コード>/<スラッグ>/<版> から決まります。"))
    schema_issues = check_schema(schema, schemas, file=ssrc.path, text=ssrc.text)
    issues.extend(schema_issues)
    if examples is not None and not any(i.severity == "error" for i in schema_issues):
        try:
            form = compile_form(schema, schemas)
        except RegistryError as exc:
            issues.append(_issue("schema.compile", exc.detail, exc.detail_ja, ssrc))
        else:
            issues.extend(_example_issues(form, examples, sources, prefix))
    return issues


_MISSING: Any = object()


def validate_version_documents(key: VersionKey, template: Any, schema: Any,
                               examples: dict[str, list[tuple[str, Any]]], schemas: SchemaSet, *,
                               upstream_exists: Callable[[str, str], bool] | None = None) -> list[Issue]:
    """All checks of one version on in-memory documents (file names relative to the version)."""
    issues = _layout_issues(key.lg, key.slug, key.version, _Source(key.relpath))
    return issues + _version_checks(key, template, schema, examples, schemas, upstream_exists, {})


def _load(path: Path, display: str) -> tuple[Any, _Source, list[Issue]]:
    """Parse a file keeping its text for positions; document errors become issues."""
    src = _Source(display)
    try:
        if path.stat().st_size > MAX_DOCUMENT_BYTES:
            mib = MAX_DOCUMENT_BYTES // (1024 * 1024)
            return _MISSING, src, [_issue("json.too-large", f"The file is larger than {mib} MiB.",
                                          f"ファイルが {mib} MiB を超えています。", src)]
        text = decode_utf8(path.read_bytes(), display)
        src.text = text
        return parse_json_text(text, display), src, []
    except RegistryError as exc:
        return _MISSING, src, _with_file(exc.issues, src) or [
            _issue(exc.code, exc.detail, exc.detail_ja, src)]
    except OSError as exc:
        return _MISSING, src, [_issue("file.unreadable", f"Cannot read the file: {exc.strerror}.",
                                      f"ファイルを読めません: {exc.strerror}。", src)]


def _display(path: Path) -> str:
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return str(path)
    return str(path) if rel.startswith("..") else rel


UpstreamExists = Callable[[str, str], bool]
"""``(template "LG/slug", version) -> bool``: whether an upstream version exists elsewhere (a registry)."""


def validate_version_dir(folder: Path, *, schemas: SchemaSet | None = None,
                         remote_upstream: UpstreamExists | None = None) -> list[Issue]:
    """All checks of one version folder ``<lg>/<slug>/<version>``.

    An upstream not in the folder's repository is looked up with ``remote_upstream`` when given
    (``yoshiki validate --registry``: a fork downloaded alone validates).
    """
    folder = folder.resolve()
    where = _display(folder)
    lg, slug, version = folder.parent.parent.name, folder.parent.name, folder.name
    issues = _layout_issues(lg, slug, version, _Source(where))
    key = VersionKey(lg, slug, version) if not issues else None
    root = folder.parent.parent.parent
    schemas = schemas or SchemaSet.for_folder(root)
    sources: dict[str, _Source] = {}
    docs: dict[str, Any] = {}
    for name in (TEMPLATE_FILE, SCHEMA_FILE):
        path = folder / name
        if not path.is_file():
            issues.append(_issue("file.missing", f"{name} is missing.", f"{name} がありません。",
                                 _Source(f"{where}/{name}")))
            docs[name] = _MISSING
            continue
        docs[name], sources[name], found = _load(path, f"{where}/{name}")
        issues.extend(found)
    examples: dict[str, list[tuple[str, Any]]] = {"valid": [], "invalid": []}
    for kind in ("valid", "invalid"):
        d = folder / EXAMPLES_DIR / kind
        for path in sorted(d.glob("*.json")) if d.is_dir() else []:
            rel = f"{EXAMPLES_DIR}/{kind}/{path.name}"
            value, src, found = _load(path, f"{where}/{rel}")
            sources[rel] = src
            issues.extend(found)
            if value is not _MISSING:
                examples[kind].append((path.name, value))

    def upstream_exists(name: str, ver: str) -> bool:
        if ".." not in name and (root / name / ver / TEMPLATE_FILE).is_file():
            return True
        return remote_upstream is not None and remote_upstream(name, ver)

    return issues + _version_checks(key, docs[TEMPLATE_FILE], docs[SCHEMA_FILE], examples, schemas,
                                    upstream_exists, sources, prefix=f"{where}/")


def validate_schema_file(path: Path, *, schemas: SchemaSet | None = None) -> list[Issue]:
    """A plain schema file: a valid 2020-12 schema whose references resolve locally."""
    display = _display(path)
    value, src, issues = _load(path, display)
    if value is _MISSING:
        return issues
    if schemas is None:
        schemas = SchemaSet.for_folder(find_repository_root(path.parent))
    return check_schema(value, schemas, file=display, text=src.text)


def validate_template_file(path: Path, *, remote_upstream: UpstreamExists | None = None) -> list[Issue]:
    """A lone template.json: checked against the template meta-schema (and its upstream)."""
    display = _display(path)
    value, src, issues = _load(path, display)
    if value is _MISSING:
        return issues
    root = find_repository_root(path.parent)

    def upstream_exists(name: str, ver: str) -> bool:
        if root is not None and ".." not in name and (root / name / ver / TEMPLATE_FILE).is_file():
            return True
        return remote_upstream is not None and remote_upstream(name, ver)

    return _template_issues(value, src, upstream_exists if root is not None or remote_upstream else None)


def _candidate_folders(root: Path) -> Iterator[Path]:
    """Folders holding a template.json or schema.json below ``root`` (hidden and examples skipped)."""
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d != EXAMPLES_DIR)
        if TEMPLATE_FILE in filenames or SCHEMA_FILE in filenames:
            dirnames[:] = [d for d in dirnames if d != EXAMPLES_DIR]
            yield Path(dirpath)
            dirnames[:] = []


def validate_paths(paths: list[Path], *, remote_upstream: UpstreamExists | None = None) -> list[Issue]:
    """What ``yoshiki validate`` does: every version folder or schema file under the paths."""
    issues: list[Issue] = []
    for path in paths:
        if not path.exists():
            raise NotFound(f"{path}: no such file or folder", detail_ja=f"{path}: ファイルもフォルダもありません")
        if path.is_file():
            if path.suffix != ".json":
                raise UsageError(f"{path}: give a folder or a .json schema file",
                                 detail_ja=f"{path}: フォルダか .json のスキーマファイルを指定してください")
            if path.name == TEMPLATE_FILE:
                issues.extend(validate_template_file(path, remote_upstream=remote_upstream))
            else:
                issues.extend(validate_schema_file(path))
            continue
        folders = list(_candidate_folders(path))
        if not folders:
            issues.append(_issue("layout.empty", "No template versions found here (expected <lg>/<slug>/<version>/schema.json).",
                                 "テンプレートの版が見つかりません（<団体コード>/<スラッグ>/<版>/schema.json の形にしてください）。",
                                 _Source(_display(path)), severity="warning"))
        for folder in folders:
            issues.extend(validate_version_dir(folder, remote_upstream=remote_upstream))
    return issues
