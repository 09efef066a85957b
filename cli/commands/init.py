"""``yoshiki init [DIR] [--municipality LG]``: start a city's template repository in one command.

Writes the canonical layout with one sample template that passes ``validate``, ``lint`` and
``ci``, a ``.yoshiki.json``, a ``.pre-commit-config.yaml`` using Yoshiki's hooks, a GitHub Actions
workflow using Yoshiki's action, a GitLab CI file and a Japanese README. Existing files are never
overwritten: if any would be, nothing is written and the command exits 4.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from cli.options import guarded, lang_option, traceback_option

# Where the hooks and the action come from; a city pins a release tag (rev / @ref) in its copy.
PROJECT_REPO = "https://github.com/yoshiki-registry/yoshiki"
PROJECT_ACTION = "yoshiki-registry/yoshiki"
PROJECT_REV = "v0.1.0"
SAMPLE_SLUG = "event-application"
SAMPLE_VERSION = "1.0.0"


def sample_template(name: str) -> dict[str, Any]:
    """template.json of the sample version."""
    return {
        "title": "イベント・講座 参加申込",
        "title_en": "Event and course sign-up",
        "description": f"{name}のイベント・講座への参加申込（yoshiki init が作成した見本。書き換えて使ってください）。",
        "category": "施設・イベント",
        "tags": ["イベント", "講座", "申込"],
        "license": "CC-BY-4.0",
        "maintainers": [{"department": "デジタル推進課"}],
        "compatibility": "BACKWARD",
        "changelog": "初版。",
    }


def sample_schema(lg: str) -> dict[str, Any]:
    """schema.json of the sample version: common fields by $ref, a count, a free comment."""
    from registry.layout import schema_uri

    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": schema_uri(lg, SAMPLE_SLUG, SAMPLE_VERSION),
        "title": "イベント・講座 参加申込",
        "description": "参加を希望するイベント・講座の申込フォームです。",
        "type": "object",
        "properties": {
            "name": {"$ref": "/common/person-name.json", "title": "申込者氏名"},
            "email": {"$ref": "/common/email.json", "title": "連絡先メールアドレス"},
            "participants": {
                "type": "integer",
                "title": "参加人数",
                "description": "申込者本人を含む人数です。",
                "minimum": 1,
                "maximum": 5,
            },
            "comment": {
                "type": "string",
                "title": "ご質問・ご要望",
                "maxLength": 400,
                "x-yoshiki-widget": "textarea",
            },
        },
        "required": ["name", "email", "participants"],
        "additionalProperties": False,
    }


SAMPLE_VALID = {
    "one-person.json": {"name": "山田 花子", "email": "hanako@example.jp", "participants": 1},
    "family-with-comment.json": {"name": "佐藤 太郎", "email": "taro@example.jp", "participants": 3,
                                 "comment": "車いすで参加します。"},
}
SAMPLE_INVALID = {
    "too-many-participants.json": {"name": "山田 花子", "email": "hanako@example.jp", "participants": 6},
    "missing-email.json": {"name": "山田 花子", "participants": 1},
}

PRE_COMMIT = f"""# pre-commit (https://pre-commit.com) のフック: コミットの前にテンプレートを検査します。
#   pip install pre-commit && pre-commit install
repos:
  - repo: {PROJECT_REPO}
    rev: {PROJECT_REV}
    hooks:
      - id: yoshiki-validate
      - id: yoshiki-lint
      - id: yoshiki-ci
"""

GITHUB_WORKFLOW = f"""# プルリクエストごとに yoshiki ci を実行し、結果を注釈とジョブの概要に表示します。
name: yoshiki
on:
  pull_request:
  push:
    branches: [main]
jobs:
  yoshiki:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0   # 比較の基点（既定ブランチとのマージベース）を得るために全履歴が必要です
      - uses: {PROJECT_ACTION}@{PROJECT_REV}
"""

GITLAB_CI = f"""# マージリクエストごとに yoshiki ci を実行します（docs/ci.md）。
yoshiki:
  image: python:3.11
  variables:
    GIT_DEPTH: "0"
  rules:
    - if: $CI_PIPELINE_SOURCE == "merge_request_event"
    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH
  script:
    - pip install "yoshiki @ git+{PROJECT_REPO}@{PROJECT_REV}"
    - git fetch origin "${{CI_MERGE_REQUEST_TARGET_BRANCH_NAME:-$CI_DEFAULT_BRANCH}}"
    - yoshiki ci --base "origin/${{CI_MERGE_REQUEST_TARGET_BRANCH_NAME:-$CI_DEFAULT_BRANCH}}" --format markdown > yoshiki-report.md || status=$?
    - cat yoshiki-report.md
    - exit ${{status:-0}}
  artifacts:
    when: always
    paths: [yoshiki-report.md]
"""

YOSHIKI_JSON: dict[str, Any] = {"lint": {"disable": [], "severity": {}}}


def readme(name: str, lg: str) -> str:
    """The repository's README, in Japanese."""
    return f"""# {name} の申請フォーム テンプレート

{name}（全国地方公共団体コード {lg}）のオンライン申請フォームのテンプレートを管理するリポジトリです。
[様式 Yoshiki]({PROJECT_REPO}) の形式に従います。

## フォルダの構成

```
{lg}/<スラッグ>/<版>/template.json        題名・分類・担当課・変更内容
{lg}/<スラッグ>/<版>/schema.json          フォームの項目（JSON Schema 2020-12）
{lg}/<スラッグ>/<版>/examples/valid/      受け付けるべき入力例（2 件以上）
{lg}/<スラッグ>/<版>/examples/invalid/    受け付けてはいけない入力例（2 件以上）
.yoshiki.json                             lint の設定
```

見本として `{lg}/{SAMPLE_SLUG}/{SAMPLE_VERSION}/` があります。

## 変更のしかた

- **公開した版のフォルダは変更しません。** 変更は新しい版のフォルダとして追加します
  （例: `{SAMPLE_VERSION}` を `1.0.1` にコピーして編集し、`schema.json` の `$id` も書き換える）。
- 版番号の上げ方: 文言だけの変更はパッチ（1.0.1）、項目の追加など以前のデータがそのまま通る変更は
  マイナー（1.1.0）、選択肢の削除や必須項目の追加など以前のデータが通らなくなる変更はメジャー（2.0.0）。
- 手元での確認:

```
yoshiki validate .
yoshiki lint .
yoshiki ci
```

## CI

- GitHub: `.github/workflows/yoshiki.yml` がプルリクエストごとに `yoshiki ci` を実行し、
  問題のある行に注釈を付け、ジョブの概要に結果の表を出します。
- GitLab: `.gitlab-ci.yml` を使います。
- pre-commit: `pip install pre-commit && pre-commit install` でコミット前に検査します。
"""


def files_for(lg: str, name: str) -> dict[str, str]:
    """Every file ``init`` writes, relative to the target folder."""
    def dump(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False, indent=2) + "\n"

    version = f"{lg}/{SAMPLE_SLUG}/{SAMPLE_VERSION}"
    files = {
        f"{version}/template.json": dump(sample_template(name)),
        f"{version}/schema.json": dump(sample_schema(lg)),
        ".yoshiki.json": dump(YOSHIKI_JSON),
        ".pre-commit-config.yaml": PRE_COMMIT,
        ".github/workflows/yoshiki.yml": GITHUB_WORKFLOW,
        ".gitlab-ci.yml": GITLAB_CI,
        "README.md": readme(name, lg),
    }
    for kind, examples in (("valid", SAMPLE_VALID), ("invalid", SAMPLE_INVALID)):
        for file, value in examples.items():
            files[f"{version}/examples/{kind}/{file}"] = dump(value)
    return files


@click.command(help="自治体のテンプレートリポジトリを新しく作る（見本・pre-commit・CI の設定）"
                    " / start a municipality's template repository")
@click.argument("directory", required=False, default=".", type=click.Path(path_type=Path, file_okay=False))
@click.option("--municipality", "lg", metavar="LG", default="132241", show_default=True,
              help="全国地方公共団体コード（6桁） / municipality code")
@lang_option
@traceback_option
@guarded
def command(directory: Path, lg: str, lang: str, show_traceback: bool) -> int:
    """Write the layout, a sample template and the CI files into DIRECTORY."""
    from registry.errors import VersionExists
    from registry.municipalities import check_code

    municipality = check_code(lg)
    files = files_for(municipality.code, municipality.name)
    existing = sorted(p for p in files if (directory / p).exists())
    if existing:
        raise VersionExists(
            f"{directory}: these files exist already and are never overwritten: {', '.join(existing)}",
            detail_ja=f"{directory}: 次のファイルがすでにあるため何も書きませんでした（上書きはしません）: {'、'.join(existing)}")
    for rel, text in files.items():
        path = directory / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    if lang == "ja":
        click.echo(f"{directory} に {municipality.name}（{municipality.code}）のテンプレートリポジトリを作りました:")
    else:
        click.echo(f"Created a template repository for {municipality.name} ({municipality.code}) in {directory}:")
    for rel in sorted(files):
        click.echo(f"  {rel}")
    click.echo("次: git init && git add . && git commit -m 初版 && yoshiki ci" if lang == "ja" else
               "next: git init && git add . && git commit -m first && yoshiki ci")
    return 0
