"""Form-quality lint: rules with stable ids, severities, Japanese and English messages and hints.

Errors block publishing; warnings and infos do not. The rule table is ``RULES`` (documented in
docs/lint.md). Rules are switched off or re-graded per repository (``.yoshiki.json``) and off per
template (``template.json`` ``lint.disable``) through ``LintConfig``.

How a schema is read: every subschema of the document is checked for what it says on its own
(patterns, description length, formats, contradictory bounds, ``required`` names); "field sites"
— the root, each ``properties`` member, ``prefixItems`` members and ``items`` — are checked as
form fields (title, personal data, enum labels, ``maxLength``) on a *view* that merges the
field's ``$ref`` target and ``allOf`` members under its own keywords, so a field that reuses
``/common/person-name.json`` inherits its title and personal mark. Subschemas under ``if``,
``not``, ``contains`` and ``propertyNames`` are conditions, not fields; a property in a
``then``/``else``/``allOf``/``anyOf``/``oneOf`` branch that the enclosing object already defines
is a refinement, not a new field. References resolve locally (registry.syntax.refs), never over the
network; an unresolvable reference is validate's finding and is skipped here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_args

import msgspec

from registry.errors import RegistryError, UsageError
from registry.layout import (
    COMMON_BASE,
    CONFIG_FILE,
    REGISTRY_BASE,
    SCHEMA_FILE,
    TEMPLATE_FILE,
    find_repository_root,
    is_version_dir,
    iter_version_dirs,
)
from registry.models import Issue, Severity
from registry.syntax import pointers, regexes, validators
from registry.syntax.documents import read_json
from registry.syntax.refs import Resolver, SchemaSet

MAX_DEPTH = 6
MAX_FIELDS = 200
MAX_DESCRIPTION = 400
# Words of a technical note that residents should never read (docs/format.md, x-yoshiki-note).
TECHNICAL_NOTE = re.compile(
    r"nfkc|nfc\b|正規化|正規表現|コード順|x-yoshiki|json|maxLength|minLength|\bpattern\b|#/|/properties/"
    r"|\$ref|\$defs|\btrue\b|\bfalse\b|文字数\s*[0-9０-９]+\s*[〜~-]", re.IGNORECASE)


@dataclass(frozen=True)
class Rule:
    """One lint rule: stable id, default severity, what it checks, and how to fix it."""

    id: str
    severity: Severity
    what_ja: str
    what: str
    hint_ja: str
    hint: str


RULES: dict[str, Rule] = {r.id: r for r in (
    Rule("lint.root-object", "error",
         "フォームのルートが type: object ではありません", "The form's root is not type: object",
         "ルートに \"type\": \"object\" と properties を書いてください。",
         "Give the root \"type\": \"object\" and properties."),
    Rule("lint.title-missing", "error",
         "項目に title（日本語の項目名）がありません", "A field has no title (Japanese label)",
         "\"title\" に職員・住民が画面で見る日本語の項目名を書いてください（$ref 先の title でも構いません）。",
         "Add a Japanese \"title\" as staff and residents see it (a $ref target's title also counts)."),
    Rule("lint.title-not-japanese", "warning",
         "title に日本語（かな・漢字）が含まれていません", "A title contains no Japanese (kana or kanji)",
         "日本語の項目名にし、英語名は x-yoshiki-title-en に書いてください。",
         "Write the title in Japanese; put the English name in x-yoshiki-title-en."),
    Rule("lint.title-duplicate", "warning",
         "同じオブジェクトの中で title が重複しています", "Two fields of one object share a title",
         "項目名を区別できるように変えてください（CSV の列は title で対応づけられます）。",
         "Make the titles distinct (CSV columns are matched by title)."),
    Rule("lint.enum-labels", "error",
         "コード値の選択肢に表示名がありません", "Coded choice values have no labels",
         "\"x-yoshiki-enum-labels\": {\"値\": \"表示名\"} ですべての値に日本語の表示名を付けるか、oneOf の各選択肢に title を付けてください。",
         "Label every value with \"x-yoshiki-enum-labels\": {\"value\": \"label\"}, or give each oneOf option a title."),
    Rule("lint.enum-duplicate", "warning",
         "enum に同じ値が二回あります", "An enum lists the same value twice",
         "重複した値を一つにしてください。", "Remove the repeated value."),
    Rule("lint.required-unknown", "error",
         "required に properties にない項目名があります", "required names a property that is not defined",
         "項目名の綴りを確かめるか、properties に項目を追加してください。",
         "Check the spelling or add the property to properties."),
    Rule("lint.pattern-invalid", "error",
         "pattern が ECMA-262（ブラウザの正規表現, u フラグ）として不正です",
         "A pattern is not a valid ECMA-262 regular expression (u flag)",
         "ブラウザと同じ規則（u フラグ）で通る正規表現に直してください。u フラグでは不要なエスケープ（\\- など）も誤りになります。",
         "Write a pattern that compiles as browsers do with the u flag; needless escapes such as \\- are errors there."),
    Rule("lint.pattern-redos", "error",
         "pattern が破滅的なバックトラックを起こします", "A pattern is prone to catastrophic backtracking",
         "入れ子の繰り返し（(a+)+）や重なる選択肢の繰り返し（(\\w|\\d)+）をやめ、一通りにしか一致しない形（[\\w]+ など）に書き換えてください。",
         "Remove nested quantifiers ((a+)+) and repeated overlapping alternatives ((\\w|\\d)+); write a form that matches each text one way only (e.g. [\\w]+)."),
    Rule("lint.pattern-slow", "warning",
         "pattern の照合時間が入力の長さのべき乗で増えます", "A pattern's matching time grows polynomially with the input",
         "隣り合う繰り返しが重ならないように書き換え（\\d+\\d+ → \\d{2,}）、^ と $ で両端を固定してください。",
         "Make adjacent repetitions disjoint (\\d+\\d+ → \\d{2,}) and anchor both ends with ^ and $."),
    Rule("lint.pattern-unanchored", "warning",
         "pattern の一方または両方の端が ^ / $ で固定されていません", "A pattern is not anchored with ^ and $",
         "JSON Schema の pattern は部分一致です。入力全体を検査するなら ^…$ で囲んでください。",
         "JSON Schema patterns search anywhere in the text; wrap the pattern in ^…$ to check the whole input."),
    Rule("lint.pattern-browser", "warning",
         "pattern がブラウザの入力欄（HTML の pattern 属性, v フラグ）では使えません",
         "A pattern does not compile in a browser's input field (HTML pattern attribute, v flag)",
         "文字クラスの中の - ( ) [ ] { } / | はエスケープしてください（[0-9-] → [0-9\\-]）。",
         "Escape - ( ) [ ] { } / | inside character classes ([0-9-] → [0-9\\-])."),
    Rule("lint.pattern-engine-divergence", "warning",
         "pattern をサーバーとブラウザで違う意味に読みます（. / \\b / 先読み・後方参照）",
         "Server and browser read a pattern differently (., \\b, look-arounds, back-references)",
         ". は [^\\n\\r\\u2028\\u2029] と書き、\\b は [A-Za-z0-9_] の有無を明示した形に、"
         "先読み・後方参照は使わない形に書き換えてください。",
         "Write . as [^\\n\\r\\u2028\\u2029], spell \\b out with [A-Za-z0-9_], and rewrite "
         "look-arounds and back-references without them."),
    Rule("lint.personal-unmarked", "warning",
         "個人情報らしい項目に x-yoshiki-personal がありません", "A field that looks personal is not marked",
         "\"x-yoshiki-personal\": true を付けてください（共通定義の $ref なら付いています）。個人情報でなければ false と明記してください。",
         "Add \"x-yoshiki-personal\": true (common definitions carry it); write false if it is not personal."),
    Rule("lint.max-length", "warning",
         "自由記述の文字列に maxLength がありません", "A free-text string has no maxLength",
         "\"maxLength\" で上限を決めてください（例: 氏名 50、連絡事項 400）。",
         "Set a \"maxLength\" (e.g. 50 for a name, 400 for a note)."),
    Rule("lint.format-unknown", "warning",
         "format が JSON Schema 2020-12 にない値です", "A format is not one that JSON Schema 2020-12 defines",
         "date, email などの定義済みの format にするか、pattern で書いてください（未知の format は検査されません）。",
         "Use a defined format (date, email, …) or a pattern; unknown formats are not checked."),
    Rule("lint.range-empty", "error",
         "下限が上限を超えていて、どの値も受け付けません", "A lower bound exceeds the upper bound; no value is valid",
         "minLength/maxLength, minimum/maximum, minItems/maxItems の値を見直してください。",
         "Fix the minLength/maxLength, minimum/maximum or minItems/maxItems values."),
    Rule("lint.yoshiki-keyword-value", "error",
         "x-yoshiki-* の値が正しくありません", "An x-yoshiki-* keyword has a wrong value",
         "docs/format.md の表のとおりの値にしてください（personal・locked は true/false、widget は textarea, radio, select, checkboxes, date, hidden、normalize は [\"nfkc\", \"trim\"] の中から）。",
         "Use the values docs/format.md lists (personal/locked: true or false; widget: textarea, radio, select, checkboxes, date, hidden; normalize: a list of nfkc, trim)."),
    Rule("lint.yoshiki-keyword-unknown", "warning",
         "知らない x-yoshiki-* キーワードです（綴りの誤り？）", "An unknown x-yoshiki-* keyword (a typo?)",
         "綴りを確かめてください。綴りを誤った注釈（x-yoshiki-personnal など）は何もしません。",
         "Check the spelling: a misspelt annotation (x-yoshiki-personnal) silently does nothing."),
    Rule("lint.depth", "error",
         f"入れ子が深すぎます（{MAX_DEPTH} 段まで）", f"Fields nest too deeply (at most {MAX_DEPTH} levels)",
         "項目をまとめ直して入れ子を浅くしてください。", "Flatten the form's structure."),
    Rule("lint.field-count", "error",
         f"項目が多すぎます（{MAX_FIELDS} 項目まで）", f"The form has too many fields (at most {MAX_FIELDS})",
         "フォームを分けてください。", "Split the form."),
    Rule("lint.description-length", "warning",
         f"description が長すぎます（{MAX_DESCRIPTION} 文字まで）", f"A description is too long (at most {MAX_DESCRIPTION} characters)",
         "説明は短くし、詳しい案内はフォームの外（案内ページ）に書いてください。",
         "Shorten it; put long guidance on a page outside the form."),
    Rule("lint.description-technical", "warning",
         "description に技術的な注記があります（住民に表示されます）",
         "A description holds a technical note (residents see it)",
         "正規化・コード順・桁数の検査方法など職員・IT 向けの注記は \"x-yoshiki-note\" に移してください。description は住民向けの案内だけにします。",
         "Move notes for staff and IT (normalisation, code order, how a value is checked) to \"x-yoshiki-note\"; keep description for residents."),
    Rule("lint.additional-properties-open", "info",
         "フォームが定義していない項目も受け付けます", "The form accepts keys it does not define",
         "ルートに \"additionalProperties\": false を書くと、綴りの違う項目名が黙って保存されなくなります。",
         "Add \"additionalProperties\": false at the root so misspelt keys are not silently stored."),
)}

SEVERITIES: tuple[str, ...] = get_args(Severity)

# JSON Schema 2020-12, Validation §7.3.
KNOWN_FORMATS = frozenset({
    "date-time", "date", "time", "duration", "email", "idn-email", "hostname", "idn-hostname",
    "ipv4", "ipv6", "uri", "uri-reference", "iri", "iri-reference", "uuid", "uri-template",
    "json-pointer", "relative-json-pointer", "regex",
})
# Formats whose values have a short fixed shape: maxLength adds nothing.
BOUNDED_FORMATS = frozenset({"date-time", "date", "time", "duration", "ipv4", "ipv6", "uuid"})

PERSONAL_JA = ("氏名", "名前", "フリガナ", "ふりがな", "住所", "電話", "携帯", "メール", "生年月日",
               "郵便番号", "マイナンバー", "個人番号")
# Property-name words that are personal whatever the title says.
PERSONAL_EN = frozenset({"address", "addr", "phone", "tel", "telephone", "mobile", "email", "mail",
                         "birth", "birthday", "birthdate", "dob", "furigana", "kana", "mynumber"})

WIDGETS = ("textarea", "radio", "select", "checkboxes", "date", "hidden")
NORMALIZATIONS = ("nfkc", "trim")
YOSHIKI_KEYWORDS = ("x-yoshiki-personal", "x-yoshiki-locked", "x-yoshiki-enum-labels",
                    "x-yoshiki-widget", "x-yoshiki-normalize", "x-yoshiki-title-en",
                    "x-yoshiki-placeholder", "x-yoshiki-note", "x-yoshiki-staff-only",
                    "x-yoshiki-consent-label")

_BRANCHES = ("allOf", "anyOf", "oneOf", "then", "else")
_CONDITIONS = ("if", "not", "contains", "propertyNames")


def is_japanese_char(ch: str) -> bool:
    """True for kana (full and half width) and CJK ideographs (incl. 々 〆 〇)."""
    o = ord(ch)
    return (0x3040 <= o <= 0x30FF or 0x31F0 <= o <= 0x31FF or 0xFF66 <= o <= 0xFF9F
            or 0x3400 <= o <= 0x4DBF or 0x4E00 <= o <= 0x9FFF or 0xF900 <= o <= 0xFAFF
            or 0x3005 <= o <= 0x3007 or 0x20000 <= o <= 0x3FFFF)


def has_japanese(text: str) -> bool:
    """True when ``text`` contains a kana or kanji."""
    return any(is_japanese_char(c) for c in text)


# --- configuration ---------------------------------------------------------------------------


class InvalidConfig(UsageError):
    """``.yoshiki.json`` or a template's ``lint`` section is malformed."""

    code = "invalid-config"


def _config_error(source: str, pointer: str, en: str, ja: str) -> InvalidConfig:
    return InvalidConfig(
        f"{source}#{pointer}: {en}", detail_ja=f"{source}#{pointer}: {ja}",
        issues=[Issue(rule="lint.config", message=en, message_ja=ja, file=source, pointer=pointer,
                      hint="Rule ids are listed in docs/lint.md.",
                      hint_ja="ルール ID の一覧は docs/lint.md にあります。")],
    )


def _rule_ids(value: Any, source: str, pointer: str) -> list[str]:
    if not isinstance(value, list):
        raise _config_error(source, pointer, "must be a list of rule ids",
                            "ルール ID の配列にしてください")
    for i, rule in enumerate(value):
        if not isinstance(rule, str) or rule not in RULES:
            raise _config_error(source, f"{pointer}/{i}", f"unknown lint rule {rule!r}",
                                f"{rule!r} という lint ルールはありません")
    return list(value)


@dataclass(frozen=True)
class LintConfig:
    """Which rules run and at which severity (repository ``.yoshiki.json`` + template.json)."""

    disabled: frozenset[str] = frozenset()
    severities: dict[str, Severity] = field(default_factory=dict)

    @classmethod
    def for_repository(cls, repo_root: Path | None) -> LintConfig:
        """The settings of ``<repo_root>/.yoshiki.json`` (defaults when there is none)."""
        if repo_root is None or not (repo_root / CONFIG_FILE).is_file():
            return cls()
        path = repo_root / CONFIG_FILE
        source = str(path)
        data = read_json(path)
        if not isinstance(data, dict):
            raise _config_error(source, "", "must be a JSON object", "JSON オブジェクトにしてください")
        lint = data.get("lint", {})
        if not isinstance(lint, dict):
            raise _config_error(source, "/lint", "must be an object", "オブジェクトにしてください")
        for key in lint:
            if key not in ("disable", "severity"):
                raise _config_error(source, "/lint/" + pointers.escape(key),
                                    f"unknown setting {key!r} (expected disable, severity)",
                                    f"{key!r} という設定はありません（disable か severity）")
        disabled = set(_rule_ids(lint.get("disable", []), source, "/lint/disable"))
        severity = lint.get("severity", {})
        if not isinstance(severity, dict):
            raise _config_error(source, "/lint/severity", "must be an object of rule id → severity",
                                "「ルール ID: 重要度」のオブジェクトにしてください")
        severities: dict[str, Severity] = {}
        for rule, level in severity.items():
            ptr = "/lint/severity/" + pointers.escape(rule)
            if rule not in RULES:
                raise _config_error(source, ptr, f"unknown lint rule {rule!r}",
                                    f"{rule!r} という lint ルールはありません")
            if level == "off":
                disabled.add(rule)
            elif level in SEVERITIES:
                severities[rule] = level
            else:
                raise _config_error(source, ptr, f"severity must be error, warning, info or off, not {level!r}",
                                    f"重要度は error, warning, info, off のどれかにしてください（{level!r} は使えません）")
        return cls(frozenset(disabled), severities)

    def with_template(self, template: Any, source: str = TEMPLATE_FILE) -> LintConfig:
        """These settings plus the rules a template.json turns off in ``lint.disable``."""
        if not isinstance(template, dict) or "lint" not in template:
            return self
        lint = template["lint"]
        if not isinstance(lint, dict):
            raise _config_error(source, "/lint", "must be an object", "オブジェクトにしてください")
        extra = _rule_ids(lint.get("disable", []), source, "/lint/disable")
        return LintConfig(self.disabled | frozenset(extra), self.severities)

    @classmethod
    def load(cls, repo_root: Path | None, template: dict[str, Any] | None, *,
             template_file: str = TEMPLATE_FILE) -> LintConfig:
        """Merge the repository's ``.yoshiki.json`` with a template's ``lint.disable``."""
        return cls.for_repository(repo_root).with_template(template, template_file)

    def enabled(self, rule: str) -> bool:
        """True unless the rule is turned off."""
        return rule not in self.disabled

    def severity(self, rule: str) -> Severity:
        """The severity a rule reports at (its default unless re-graded)."""
        return self.severities.get(rule, RULES[rule].severity)


# --- the linter ------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Ctx:
    condition: bool = False          # under if/not/contains/propertyNames: tests, not fields
    outer: frozenset[str] = frozenset()  # property names the enclosing object defines
    personal: bool = False           # an enclosing field is marked personal


def _types(view: dict[str, Any]) -> set[str]:
    t = view.get("type")
    if isinstance(t, str):
        return {t}
    if isinstance(t, list):
        return {x for x in t if isinstance(x, str)}
    return set()


def _object_like(view: dict[str, Any]) -> bool:
    return "object" in _types(view) or isinstance(view.get("properties"), dict)


def _array_like(view: dict[str, Any]) -> bool:
    return "array" in _types(view) or "items" in view or "prefixItems" in view


def _keyword_problem(key: str, value: Any, node: dict[str, Any]) -> tuple[str, str] | None:
    """(English, Japanese) of what is wrong with an ``x-yoshiki-*`` value, or None."""
    if key in ("x-yoshiki-personal", "x-yoshiki-locked", "x-yoshiki-staff-only"):
        if not isinstance(value, bool):
            return "must be true or false", "true か false にしてください"
    elif key == "x-yoshiki-enum-labels":
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            return ("must be an object of value → label (strings)",
                    "「値: 表示名」（表示名は文字列）のオブジェクトにしてください")
    elif key == "x-yoshiki-widget":
        if value not in WIDGETS:
            return (f"must be one of {', '.join(WIDGETS)}, not {json.dumps(value, ensure_ascii=False)}",
                    f"{', '.join(WIDGETS)} のどれかにしてください（{json.dumps(value, ensure_ascii=False)} は使えません）")
        types = _types(node)
        if value == "checkboxes" and types and "array" not in types:
            return "checkboxes need an array field", "checkboxes は配列（type: array）の項目に使います"
    elif key == "x-yoshiki-normalize":
        if not isinstance(value, list) or any(v not in NORMALIZATIONS for v in value):
            return (f"must be a list of {', '.join(NORMALIZATIONS)}",
                    f"{', '.join(NORMALIZATIONS)} の配列にしてください")
    elif not isinstance(value, str):  # title-en, placeholder, note, consent-label
        return "must be a string", "文字列にしてください"
    return None


def _label_key(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _name_words(name: str) -> set[str]:
    words: list[str] = []
    current = ""
    for ch in name:
        if ch in "_-. " or (ch.isupper() and current and not current[-1].isupper()):
            if current:
                words.append(current)
            current = "" if ch in "_-. " else ch
        else:
            current += ch
    if current:
        words.append(current)
    return {w.lower() for w in words}


class _Linter:
    def __init__(self, schema: Any, schemas: SchemaSet | None, config: LintConfig) -> None:
        self.root = schema
        self.config = config
        # A shared field definition (schemas/common/*.json) is one field, not a form.
        root_id = schema.get("$id") if isinstance(schema, dict) else None
        self.definition = isinstance(root_id, str) and root_id.startswith(COMMON_BASE)
        self.resolver = Resolver(schema, schemas or SchemaSet(), base_uri=REGISTRY_BASE)
        self.issues: list[Issue] = []

    def add(self, rule: str, pointer: str, en: str, ja: str) -> None:
        if not self.config.enabled(rule):
            return
        r = RULES[rule]
        self.issues.append(Issue(rule=rule, message=en, message_ja=ja, pointer=pointer,
                                 severity=self.config.severity(rule), hint=r.hint, hint_ja=r.hint_ja))

    # A field's view: its $ref target and allOf members merged under its own keywords.
    def view(self, node: Any, base: str, seen: frozenset[int] = frozenset()) -> dict[str, Any]:
        if not isinstance(node, dict) or id(node) in seen or len(seen) > 32:
            return {}
        seen = seen | {id(node)}
        base = Resolver.base_of(base, node)
        layers: list[dict[str, Any]] = []
        members = node.get("allOf")
        if isinstance(members, list):
            layers.extend(self.view(m, base, seen) for m in members)
        ref = node.get("$ref")
        if isinstance(ref, str):
            try:
                uri, target = self.resolver.resolve(base, ref)
            except RegistryError:
                target = None  # validate reports unresolvable references
            if target is not None:
                layers.append(self.view(target, Resolver.base_of(uri, target), seen))
        layers.append(node)
        merged: dict[str, Any] = {}
        for layer in layers:
            for key, value in layer.items():
                if key == "properties" and isinstance(value, dict) and isinstance(merged.get(key), dict):
                    merged[key] = {**merged[key], **value}
                elif key == "required" and isinstance(value, list) and isinstance(merged.get(key), list):
                    merged[key] = merged[key] + [v for v in value if v not in merged[key]]
                else:
                    merged[key] = value
        return merged

    def run(self) -> list[Issue]:
        root = self.root
        view = self.view(root, self.resolver.root_uri)
        if self.definition:
            self.walk(root, "", self.resolver.root_uri, "definition", _Ctx())
            self.measure()
            return self.issues
        is_object = isinstance(root, dict) and "object" in _types(view)
        if not is_object:
            self.add("lint.root-object", "", "The form's root is not \"type\": \"object\".",
                     "フォームのルートが \"type\": \"object\" ではありません。")
        if isinstance(root, dict):
            if is_object and view.get("additionalProperties", True) is True and view.get("unevaluatedProperties", True) is True:
                self.add("lint.additional-properties-open", "",
                         "The form accepts keys it does not define (no \"additionalProperties\": false).",
                         "フォームが定義していない項目も受け付けます（\"additionalProperties\": false がありません）。")
            self.walk(root, "", self.resolver.root_uri, "root", _Ctx())
            self.measure()
        return self.issues

    # --- the walk over the document ----------------------------------------------------------

    def walk(self, node: Any, ptr: str, base: str, site: str | None, ctx: _Ctx,
             name: str | None = None) -> None:
        if not isinstance(node, dict):
            return
        base = Resolver.base_of(base, node)
        self.check_local(node, ptr, base, ctx)
        view = self.view(node, base) if site is not None or not ctx.condition else node
        if site is not None and not ctx.condition:
            self.check_field(node, view, ptr, site, ctx, name)
        personal = ctx.personal or view.get("x-yoshiki-personal") is True
        names = frozenset(view["properties"]) if isinstance(view.get("properties"), dict) else frozenset()
        inner = _Ctx(ctx.condition, frozenset(), personal)
        props = node.get("properties")
        if isinstance(props, dict):
            titles: dict[str, str] = {}
            for key, sub in props.items():
                refinement = key in ctx.outer
                sub_ptr = pointers.child(ptr, "properties", key)
                self.walk(sub, sub_ptr, base, None if refinement else "property", inner, key)
                title = self.view(sub, base).get("title")
                if isinstance(title, str) and not refinement and not ctx.condition:
                    if title in titles:
                        self.add("lint.title-duplicate", sub_ptr,
                                 f"Fields {titles[title]!r} and {key!r} share the title {title!r}.",
                                 f"項目「{titles[title]}」と「{key}」の title がどちらも「{title}」です。")
                    titles.setdefault(title, key)
        for kw in ("patternProperties", "dependentSchemas"):
            group = node.get(kw)
            if isinstance(group, dict):
                for key, sub in group.items():
                    self.walk(sub, pointers.child(ptr, kw, key), base,
                              "item" if kw == "patternProperties" else None,
                              inner if kw == "patternProperties" else _Ctx(ctx.condition, ctx.outer | names, personal))
        for kw in ("items", "additionalProperties", "unevaluatedProperties", "unevaluatedItems"):
            if isinstance(node.get(kw), dict):
                self.walk(node[kw], pointers.child(ptr, kw), base, "item", inner)
        if isinstance(node.get("prefixItems"), list):
            for i, sub in enumerate(node["prefixItems"]):
                self.walk(sub, pointers.child(ptr, "prefixItems", i), base, "prefix-item", inner)
        branch_ctx = _Ctx(ctx.condition, ctx.outer | names, personal)
        for kw in _BRANCHES:
            value = node.get(kw)
            subs = value if isinstance(value, list) else [value] if isinstance(value, dict) else []
            for i, sub in enumerate(subs):
                sub_ptr = pointers.child(ptr, kw, i) if isinstance(value, list) else pointers.child(ptr, kw)
                self.walk(sub, sub_ptr, base, None, branch_ctx)
        for kw in _CONDITIONS:
            if isinstance(node.get(kw), dict):
                self.walk(node[kw], pointers.child(ptr, kw), base, None,
                          _Ctx(True, ctx.outer | names, personal))
        for kw in ("$defs", "definitions"):
            defs = node.get(kw)
            if isinstance(defs, dict):
                for key, sub in defs.items():
                    self.walk(sub, pointers.child(ptr, kw, key), base, None, _Ctx())

    def check_local(self, node: dict[str, Any], ptr: str, base: str, ctx: _Ctx) -> None:
        """What a subschema says on its own, wherever it is."""
        pattern = node.get("pattern")
        if isinstance(pattern, str):
            self.check_pattern(pattern, pointers.child(ptr, "pattern"), search=True)
        pattern_props = node.get("patternProperties")
        if isinstance(pattern_props, dict):
            for key in pattern_props:
                self.check_pattern(key, pointers.child(ptr, "patternProperties", key), search=False)
        description = node.get("description")
        if isinstance(description, str) and len(description) > MAX_DESCRIPTION:
            self.add("lint.description-length", pointers.child(ptr, "description"),
                     f"The description has {len(description)} characters (at most {MAX_DESCRIPTION}).",
                     f"description が {len(description)} 文字あります（{MAX_DESCRIPTION} 文字まで）。")
        if isinstance(description, str) and (hit := TECHNICAL_NOTE.search(description)):
            self.add("lint.description-technical", pointers.child(ptr, "description"),
                     f"The description mentions {hit.group(0)!r}: a note for staff, not residents.",
                     f"description に「{hit.group(0)}」があります。住民ではなく職員向けの注記です。")
        fmt = node.get("format")
        if isinstance(fmt, str) and fmt not in KNOWN_FORMATS:
            self.add("lint.format-unknown", pointers.child(ptr, "format"),
                     f"Format {fmt!r} is not defined by JSON Schema 2020-12; validators ignore it.",
                     f"format「{fmt}」は JSON Schema 2020-12 にありません。検査されずに通ります。")
        for low, high, strict in (("minLength", "maxLength", False), ("minimum", "maximum", False),
                                  ("exclusiveMinimum", "exclusiveMaximum", True),
                                  ("minimum", "exclusiveMaximum", True), ("exclusiveMinimum", "maximum", True),
                                  ("minItems", "maxItems", False), ("minProperties", "maxProperties", False),
                                  ("minContains", "maxContains", False)):
            lo, hi = node.get(low), node.get(high)
            if (isinstance(lo, int | float) and isinstance(hi, int | float)
                    and not isinstance(lo, bool) and not isinstance(hi, bool)
                    and (lo >= hi if strict else lo > hi)):
                self.add("lint.range-empty", pointers.child(ptr, low),
                         f"{low} {lo} is {'not below' if strict else 'above'} {high} {hi}: no value is valid.",
                         f"{low} {lo} が {high} {hi} {'以上' if strict else 'より大きい'}ため、どの値も受け付けません。")
        enum = node.get("enum")
        if isinstance(enum, list):
            seen: set[str] = set()
            for i, value in enumerate(enum):
                key = json.dumps(value, sort_keys=True)
                if key in seen:
                    self.add("lint.enum-duplicate", pointers.child(ptr, "enum", i),
                             f"The value {_label_key(value)!r} appears twice.",
                             f"値「{_label_key(value)}」が二回あります。")
                seen.add(key)
        self.check_required(node, ptr, base, ctx)
        self.check_keywords(node, ptr)

    def check_keywords(self, node: dict[str, Any], ptr: str) -> None:
        """``x-yoshiki-*`` annotations: known names, values of the documented shape."""
        import difflib

        for key, value in node.items():
            if not key.startswith("x-yoshiki-"):
                continue
            where = pointers.child(ptr, key)
            if key not in YOSHIKI_KEYWORDS:
                close = difflib.get_close_matches(key, YOSHIKI_KEYWORDS, n=1)
                also = f" Did you mean {close[0]}?" if close else ""
                also_ja = f"{close[0]} の誤りではありませんか。" if close else ""
                self.add("lint.yoshiki-keyword-unknown", where,
                         f"Yoshiki does not know the keyword {key}.{also}",
                         f"{key} というキーワードはありません。{also_ja}")
                continue
            problem = _keyword_problem(key, value, node)
            if problem is not None:
                self.add("lint.yoshiki-keyword-value", where, f"{key}: {problem[0]}.",
                         f"{key}: {problem[1]}。")

    def check_pattern(self, pattern: str, ptr: str, *, search: bool) -> None:
        error = regexes.compile_error(pattern, "u")
        if error is not None:
            self.add("lint.pattern-invalid", ptr,
                     f"The pattern /{pattern}/ is not a valid ECMA-262 regular expression: {error}.",
                     f"pattern「{pattern}」は ECMA-262 の正規表現として不正です（{error}）。")
            return
        finding = regexes.find_backtracking(pattern)
        if finding is not None and finding.kind == "exponential":
            example = finding.example(12)
            shown = f" Try {example!r}." if example else ""
            shown_ja = f"例: {example!r} のような入力で照合が終わらなくなります。" if example else ""
            self.add("lint.pattern-redos", ptr,
                     f"The pattern /{pattern}/ is prone to catastrophic backtracking: {finding.reason}.{shown}",
                     f"pattern「{pattern}」は破滅的なバックトラックを起こします。{finding.reason_ja}。{shown_ja}")
        elif finding is not None:
            self.add("lint.pattern-slow", ptr,
                     f"The pattern /{pattern}/ can be slow: {finding.reason}.",
                     f"pattern「{pattern}」は遅くなることがあります。{finding.reason_ja}。")
        if regexes.compile_error(pattern, "v") is not None:
            self.add("lint.pattern-browser", ptr,
                     f"Browsers cannot use /{pattern}/ in an input field (the HTML pattern attribute compiles with the v flag), so they will not check it while the resident types.",
                     f"pattern「{pattern}」はブラウザの入力欄（HTML の pattern 属性, v フラグ）では使えず、入力中の確認が働きません。")
        self.check_engine(pattern, ptr)
        if search:
            try:
                start, end = regexes.is_anchored(pattern)
            except regexes.PatternSyntaxError:
                return  # regress accepts it but our reader does not: say nothing rather than guess
            if (start != end) or (not start and (regexes.min_match_length(pattern) or 0) >= 2):
                self.add("lint.pattern-unanchored", ptr,
                         f"The pattern /{pattern}/ is searched anywhere in the text: "
                         f"{'it has ^ but no $' if start else 'it has $ but no ^' if end else 'it has neither ^ nor $'}, "
                         "so text around a matching part is accepted.",
                         f"pattern「{pattern}」は部分一致で検査されます（"
                         f"{'^ はあるが $ がありません' if start else '$ はあるが ^ がありません' if end else '^ も $ もありません'}）。"
                         "一致する部分の前後に何があっても通ります。")

    def check_engine(self, pattern: str, ptr: str) -> None:
        """Constructs the server's validator (registry/syntax/validators.py) reads otherwise than
        ECMA-262 and the resident's browser do."""
        found = validators.divergences(pattern)
        en: list[str] = []
        ja: list[str] = []
        if "dot" in found:
            en.append("the server lets . match CR, U+2028 and U+2029; the browser does not")
            ja.append("サーバーでは . が CR・U+2028・U+2029 にも一致しますが、ブラウザでは一致しません")
        if "boundary" in found:
            en.append("the server's \\b counts non-ASCII letters (é, あ) as word characters; the browser's only [A-Za-z0-9_]")
            ja.append("サーバーの \\b は é・あ なども単語文字とみなしますが、ブラウザは [A-Za-z0-9_] だけです")
        if "fancy" in found:
            en.append("the server runs a look-around or back-reference only on fancy-regex, and then runs every "
                      "pattern of this schema on it, which accepts \"1\" for ^\\d+-?\\d+$")
            ja.append("先読み・後方参照があるとサーバーはこのスキーマの全 pattern を fancy-regex で照合し、"
                      "^\\d+-?\\d+$ に \"1\" が通るなどブラウザと食い違います")
        if en:
            self.add("lint.pattern-engine-divergence", ptr,
                     f"The pattern /{pattern}/ is read differently by the server and the browser: {'; '.join(en)}.",
                     f"pattern「{pattern}」はサーバーとブラウザで解釈が異なります。{'。'.join(ja)}。")

    def check_required(self, node: dict[str, Any], ptr: str, base: str, ctx: _Ctx) -> None:
        required = node.get("required")
        dep = node.get("dependentRequired")
        if not isinstance(required, list) and not isinstance(dep, dict):
            return
        view = self.view(node, base)
        props = view.get("properties")
        known = (set(props) if isinstance(props, dict) else set()) | set(ctx.outer)
        pattern_map = view.get("patternProperties")
        patterns = [p for p in pattern_map if isinstance(p, str)] if isinstance(pattern_map, dict) else []
        extra = view.get("additionalProperties")
        if isinstance(extra, dict) and extra:
            return  # a map: any key may be supplied by additionalProperties' schema

        def check(name: Any, where: str) -> None:
            if not isinstance(name, str) or name in known:
                return
            if any(regexes.compile_error(p) is None and regexes.search(p, name) for p in patterns):
                return
            self.add("lint.required-unknown", where,
                     f"{name!r} is required but not defined in properties, so the form has no field for it.",
                     f"「{name}」が必須ですが properties にないため、入力欄がありません。")

        if isinstance(required, list):
            for i, name in enumerate(required):
                check(name, pointers.child(ptr, "required", i))
        if isinstance(dep, dict):
            for key, names in dep.items():
                check(key, pointers.child(ptr, "dependentRequired", key))
                if isinstance(names, list):
                    for i, name in enumerate(names):
                        check(name, pointers.child(ptr, "dependentRequired", key, i))

    def check_field(self, node: dict[str, Any], view: dict[str, Any], ptr: str, site: str,
                    ctx: _Ctx, name: str | None) -> None:
        """Field-site rules on the merged view."""
        title = view.get("title")
        needs_title = site in ("root", "definition", "property", "prefix-item") or _object_like(view)
        if isinstance(title, str) and title.strip():
            if not has_japanese(title):
                self.add("lint.title-not-japanese", pointers.child(ptr, "title") if "title" in node else ptr,
                         f"The title {title!r} contains no Japanese.",
                         f"title「{title}」に日本語（かな・漢字）がありません。")
        elif needs_title:
            what = "The form" if site == "root" else f"Field {name!r}" if name else "This field"
            what_ja = "フォームに" if site == "root" else f"項目「{name}」に" if name else "この項目に"
            self.add("lint.title-missing", ptr, f"{what} has no title.",
                     f"{what_ja} title（日本語の項目名）がありません。")
        # A yes/no answer (「メールで受け取る」) holds no personal data, whatever its title says.
        if (site in ("property", "prefix-item", "definition") and not ctx.personal
                and "x-yoshiki-personal" not in view and _types(view) != {"boolean"}):
            text = title if isinstance(title, str) else ""
            hit = next((w for w in PERSONAL_JA if w in text), None)
            words = _name_words(name or "")
            if hit is None:
                hit = next((w for w in sorted(words & PERSONAL_EN)), None)
            if hit is None and "name" in words and not has_japanese(text):
                hit = "name"
            if hit is not None:
                label = text or name or ""
                self.add("lint.personal-unmarked", ptr,
                         f"{label!r} looks like personal data ({hit}) but has no \"x-yoshiki-personal\".",
                         f"「{label}」は個人情報のようですが（{hit}）、\"x-yoshiki-personal\" がありません。")
        self.check_enum(node, view, ptr)
        types = _types(view)
        bounded_by_pattern = isinstance(view.get("pattern"), str) and \
            regexes.compile_error(view["pattern"]) is None and \
            regexes.max_match_length(view["pattern"]) is not None
        if ("string" in types and "maxLength" not in view and "enum" not in view
                and "const" not in view and view.get("format") not in BOUNDED_FORMATS
                and not bounded_by_pattern and not ("oneOf" in view or "anyOf" in view)):
            label = title if isinstance(title, str) else name or ptr
            self.add("lint.max-length", ptr,
                     f"{label!r} is free text with no maxLength.",
                     f"「{label}」は自由記述ですが maxLength がありません。")

    def check_enum(self, node: dict[str, Any], view: dict[str, Any], ptr: str) -> None:
        enum = view.get("enum")
        labels = view.get("x-yoshiki-enum-labels")
        labels = labels if isinstance(labels, dict) else {}
        if isinstance(enum, list):
            missing = [_label_key(v) for v in enum
                       if (not isinstance(v, str) or v.isascii()) and _label_key(v) not in labels]
            if missing:
                where = pointers.child(ptr, "enum") if "enum" in node else ptr
                shown = ", ".join(missing[:5]) + (" …" if len(missing) > 5 else "")
                self.add("lint.enum-labels", where,
                         f"Values {shown} are codes with no label in \"x-yoshiki-enum-labels\".",
                         f"値 {shown} はコードですが \"x-yoshiki-enum-labels\" に表示名がありません。")
        for kw in ("oneOf", "anyOf"):
            options = view.get(kw)
            if not (isinstance(options, list) and options
                    and all(isinstance(o, dict) and "const" in o for o in options)):
                continue
            for i, option in enumerate(options):
                value = option["const"]
                label = option.get("title")
                if isinstance(label, str) and label.strip():
                    continue
                if isinstance(value, str) and not value.isascii():
                    continue
                if _label_key(value) in labels:
                    continue
                where = pointers.child(ptr, kw, i) if kw in node else ptr
                self.add("lint.enum-labels", where,
                         f"The option {_label_key(value)!r} is a code with no title.",
                         f"選択肢「{_label_key(value)}」はコードですが title（表示名）がありません。")

    # --- size: depth and field count, following references ----------------------------------

    def measure(self) -> None:
        state = _Measure()
        self.visit_size(self.root, self.resolver.root_uri, "", True, 0, state, ())
        if state.too_deep is not None:
            ptr, depth = state.too_deep
            self.add("lint.depth", ptr,
                     f"Fields nest {depth} levels deep here (at most {MAX_DEPTH}).",
                     f"ここで入れ子が {depth} 段になります（{MAX_DEPTH} 段まで）。")
        if state.recursive is not None:
            self.add("lint.depth", state.recursive,
                     "The form refers to itself, so it can nest without end.",
                     "フォームが自分自身を参照しており、入れ子に終わりがありません。")
        if state.fields > MAX_FIELDS:
            self.add("lint.field-count", "",
                     f"The form has {'more than ' if state.truncated else ''}{state.fields} fields (at most {MAX_FIELDS}).",
                     f"項目が {state.fields} {'以上' if state.truncated else ''}あります（{MAX_FIELDS} 項目まで）。")

    def visit_size(self, node: Any, base: str, ptr: str, local: bool, depth: int,
                   state: _Measure, stack: tuple[int, ...],
                   outer: frozenset[str] = frozenset()) -> None:
        """Count fields and container depth; ``outer``: names the enclosing object already counted."""
        if not isinstance(node, dict) or state.truncated:
            return
        state.visits += 1
        if state.visits > 20_000:
            state.truncated = True
            return
        base = Resolver.base_of(base, node)
        if id(node) in stack:
            if state.recursive is None:
                state.recursive = ptr
            return
        stack = (*stack, id(node))
        container = _object_like(node) or _array_like(node)
        depth += 1 if container else 0
        if depth > MAX_DEPTH and state.too_deep is None:
            state.too_deep = (ptr, depth)
        props = node.get("properties")
        names = frozenset(props) if isinstance(props, dict) else frozenset()
        # A branch or a referenced schema is the same field: same depth, same property names.
        same_depth = depth - (1 if container else 0)
        same_names = outer | names

        def go(sub: Any, *tokens: str | int) -> None:
            self.visit_size(sub, base, pointers.child(ptr, *tokens) if local else ptr, local,
                            depth, state, stack)

        def same(sub: Any, sub_base: str, sub_ptr: str, sub_local: bool) -> None:
            self.visit_size(sub, sub_base, sub_ptr, sub_local, same_depth, state, stack, same_names)

        ref = node.get("$ref")
        if isinstance(ref, str):
            try:
                uri, target = self.resolver.resolve(base, ref)
            except RegistryError:
                target = None
            if target is not None:
                same(target, Resolver.base_of(uri, target), ptr, False)
        if isinstance(props, dict):
            for key, sub in props.items():
                if key not in outer:  # a branch refining a field is not another field
                    state.fields += 1
                go(sub, "properties", key)
        if isinstance(node.get("prefixItems"), list):
            for i, sub in enumerate(node["prefixItems"]):
                state.fields += 1
                go(sub, "prefixItems", i)
        for kw in ("items", "additionalProperties"):
            go(node.get(kw), kw)
        for kw in ("allOf", "anyOf", "oneOf"):
            if isinstance(node.get(kw), list):
                for i, sub in enumerate(node[kw]):
                    same(sub, base, pointers.child(ptr, kw, i) if local else ptr, local)
        for kw in ("then", "else"):
            same(node.get(kw), base, pointers.child(ptr, kw) if local else ptr, local)


@dataclass
class _Measure:
    fields: int = 0
    visits: int = 0
    truncated: bool = False
    too_deep: tuple[str, int] | None = None
    recursive: str | None = None


def lint_schema(schema: Any, *, schemas: SchemaSet | None = None,
                config: LintConfig | None = None) -> list[Issue]:
    """Lint one form schema (in memory); issues carry pointers but no file.

    A schema whose ``$id`` is a common definition (``https://yoshiki.invalid/common/...``) is
    linted as one field, not as a form: no root-object or closed-root rules.
    """
    return _Linter(schema, schemas, config or LintConfig()).run()


# --- files -----------------------------------------------------------------------------------


def _with_positions(issues: list[Issue], file: Path) -> list[Issue]:
    """Set ``file`` and, where the source map knows the pointer, line and column."""
    try:
        from registry.syntax.sourcemap import SourceMap
        source_map: SourceMap | None = SourceMap(file.read_text(encoding="utf-8-sig"))
    except (ImportError, OSError, UnicodeDecodeError):
        source_map = None
    out = []
    for issue in issues:
        pos = source_map.locate(issue.pointer) if source_map is not None else None
        out.append(msgspec.structs.replace(issue, file=str(file), line=pos[0] if pos else None,
                                           column=pos[1] if pos else None))
    # In the order a reader meets them in the file.
    out.sort(key=lambda i: (i.line or 0, i.column or 0))
    return out


def _read(path: Path) -> tuple[Any, list[Issue]]:
    """The document, or the issues that say why it cannot be read."""
    try:
        return read_json(path), []
    except RegistryError as exc:
        issues = exc.issues or [Issue(rule="file.unreadable", message=exc.detail,
                                      message_ja=exc.detail_ja)]
        return None, [msgspec.structs.replace(i, file=i.file or str(path)) for i in issues]


def lint_file(path: Path, *, schemas: SchemaSet | None = None,
              config: LintConfig | None = None) -> list[Issue]:
    """Lint one schema file; issues carry the file, line and column."""
    schema, problems = _read(path)
    if problems:
        return problems
    return _with_positions(lint_schema(schema, schemas=schemas, config=config), path)


def lint_version_dir(folder: Path, *, config: LintConfig | None = None,
                     schemas: SchemaSet | None = None) -> list[Issue]:
    """Lint the schema of a version folder with its repository's and template's settings."""
    root = find_repository_root(folder)
    template_path = folder / TEMPLATE_FILE
    if config is None:
        template: Any = None
        if template_path.is_file():
            template, problems = _read(template_path)
            if problems:
                return problems
        config = LintConfig.load(root, template if isinstance(template, dict) else None,
                                 template_file=str(template_path))
    if schemas is None:
        schemas = SchemaSet.for_folder(root)
    return lint_file(folder / SCHEMA_FILE, schemas=schemas, config=config)


class _Repositories:
    """Per-repository settings and schema sets, loaded once for a whole run."""

    def __init__(self) -> None:
        self._configs: dict[Path | None, LintConfig] = {}
        self._schemas: dict[Path | None, SchemaSet] = {}

    def config(self, root: Path | None) -> LintConfig:
        if root not in self._configs:
            self._configs[root] = LintConfig.for_repository(root)
        return self._configs[root]

    def schemas(self, root: Path | None) -> SchemaSet:
        if root not in self._schemas:
            self._schemas[root] = SchemaSet.for_folder(root)
        return self._schemas[root]

    def lint_version(self, folder: Path) -> list[Issue]:
        root = find_repository_root(folder)
        template_path = folder / TEMPLATE_FILE
        template: Any = None
        if template_path.is_file():
            template, problems = _read(template_path)
            if problems:
                return problems
        config = self.config(root).with_template(template, str(template_path))
        return lint_file(folder / SCHEMA_FILE, schemas=self.schemas(root), config=config)


def _targets(paths: list[Path]) -> Iterator[tuple[str, Path]]:
    """("version", folder) or ("file", schema file) for every path, checking each exists."""
    from registry.errors import NotFound

    for path in paths:
        if not path.exists():
            raise NotFound(f"{path}: no such file or folder",
                           detail_ja=f"{path}: ファイルもフォルダもありません")
        if path.is_file():
            if path.suffix != ".json":
                raise UsageError(f"{path}: give a folder or a .json schema file",
                                 detail_ja=f"{path}: フォルダか .json のスキーマファイルを指定してください")
            if path.name in (SCHEMA_FILE, TEMPLATE_FILE) and is_version_dir(path.parent):
                yield "version", path.parent
            else:
                yield "file", path
            continue
        folders = list(iter_version_dirs(path))
        if not folders:
            raise NotFound(f"{path}: no template versions here (expected <lg>/<slug>/<version>/schema.json)",
                           detail_ja=f"{path}: テンプレートの版が見つかりません（<団体コード>/<スラッグ>/<版>/schema.json の形にしてください）")
        for folder in folders:
            yield "version", folder


def lint_paths(paths: list[Path]) -> list[Issue]:
    """What ``yoshiki lint`` does: lint every version folder or schema file under the paths."""
    repos = _Repositories()
    issues: list[Issue] = []
    done: set[tuple[str, Path]] = set()
    for kind, target in _targets(paths):
        if (kind, target.resolve()) in done:
            continue
        done.add((kind, target.resolve()))
        if kind == "version":
            issues.extend(repos.lint_version(target))
        else:
            root = find_repository_root(target.parent)
            issues.extend(lint_file(target, schemas=repos.schemas(root), config=repos.config(root)))
    return issues
