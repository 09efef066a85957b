"""``yoshiki login [--registry URL] [--token T]``: check a token and store it (0600) for later commands."""

from __future__ import annotations

import click

from cli.client import registry_options
from cli.options import format_option, guarded, lang_option, traceback_option


@click.command(help="トークンを確認して保存する / check a token and store it for this registry")
@registry_options
@format_option("text", "json")
@lang_option
@traceback_option
@guarded
def command(registry: str | None, token: str | None, fmt: str, lang: str,
            show_traceback: bool) -> int:
    """Ask for the token when not given, check it with /api/v1/whoami, store it."""
    from cli.client import Client, echo_json, save_credentials

    if not token:
        token = click.prompt("トークン / token", hide_input=True).strip()
    client = Client(registry, token)
    account = client.request("GET", "/api/v1/whoami", auth=True)
    path = save_credentials(client.base, str(token), account)
    if fmt == "json":
        echo_json({"ok": True, "registry": client.base, "account": account, "credentials": str(path)})
        return 0
    who = f"{account['name']}（{account['municipality_name']} {account['municipality']}）" \
        if account.get("municipality") else account["name"]
    if lang == "ja":
        click.echo(f"{client.base} に {who}{' 管理者' if account.get('admin') else ''} としてログインしました（{path} に保存）")
    else:
        click.echo(f"logged in to {client.base} as {who}{' (admin)' if account.get('admin') else ''} (stored in {path})")
    return 0
