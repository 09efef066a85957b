"""Yoshiki's semantic diff beside jsoncompat (a Rust checker), on the same schema pairs.

    .venv/bin/python bench/diff.py [--runs 21] [--fields 500] [--changes 20] [--process-runs 11]
    .venv/bin/python bench/diff.py --process-only [--process-runs 11]

Pairs:
- a generated form of ``--fields`` leaf fields (mixed types, nested groups, enums, patterns,
  formats, arrays of choices) against a copy with ``--changes`` scattered edits;
- the catalogue's templates pairwise by version (consecutive versions in ``templates_repo``),
  ``$ref``s to common definitions resolved by Yoshiki's SchemaSet; jsoncompat gets the same
  schemas dereferenced by jsonschema-rs (it cannot fetch ``/common/...``).

Times are the median of ``--runs`` runs per diff: Yoshiki ``diff`` (lenient, the default, and
strict), jsoncompat ``check_compat`` per direction (``deserializer`` = backward, ``serializer`` =
forward) and both directions (the sum, and one ``"both"`` call). JSON text for jsoncompat is
prepared outside the timing (Yoshiki takes Python objects).

Verdicts are compared under strict set semantics (Yoshiki ``--policy strict``). Each
disagreement is settled with a concrete value: candidates from the side that must be included
(Yoshiki's witness, ``jsoncompat.generate_value``, Yoshiki's test value generator) validated with
jsonschema-rs against both schemas; a value one accepts and the other rejects proves "breaking".

Goal (issue 4): the 500-field form's diff faster than jsoncompat's check of both directions, and
under 50 ms. Goal (issue 12): a whole ``yoshiki diff`` process at least 3x faster than a whole
process running jsoncompat on both directions (last section: wall and CPU time of each child).
"""

from __future__ import annotations

import argparse
import copy
import itertools
import json
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(1, str(ROOT / "tests"))

import jsoncompat  # noqa: E402
import jsonschema_rs  # noqa: E402

from registry.diff import Policy, diff  # noqa: E402
from registry.layout import COMMON_BASE  # noqa: E402
from registry.syntax.refs import SchemaSet  # noqa: E402

CATALOGUE = ROOT / "templates_repo"
WORDS = ["欠席", "遅刻", "早退", "病気", "けが", "家庭の事情", "その他", "はい", "いいえ", "未定"]
PATTERNS = ["^[0-9]{3}-[0-9]{4}$", "^0[0-9]{1,4}-[0-9]{1,4}-[0-9]{4}$", "^[ァ-ヶー　]+$",
            "^[0-9]{4}$", "^[A-Z]{2}[0-9]{6}$"]


# ---------------------------------------------------------------------------------------- forms
def leaf(rng: random.Random, i: int) -> dict[str, Any]:
    """One field of a generated form."""
    title = {"title": f"項目{i}"}
    kind = rng.choice(["text", "text", "pattern", "integer", "number", "enum", "enum", "boolean",
                       "date", "checkboxes", "nullable"])
    if kind == "text":
        return {"type": "string", "maxLength": rng.choice([20, 50, 100, 400]), **title}
    if kind == "pattern":
        return {"type": "string", "pattern": rng.choice(PATTERNS), **title}
    if kind == "integer":
        return {"type": "integer", "minimum": 0, "maximum": rng.choice([10, 99, 120, 9999]), **title}
    if kind == "number":
        # Integral multipleOf: jsoncompat refuses non-integral ones.
        return {"type": "number", "minimum": 0, "exclusiveMaximum": 1000, "multipleOf": 5, **title}
    if kind == "enum":
        return {"type": "string", "enum": rng.sample(WORDS, rng.randint(2, 6)), **title}
    if kind == "boolean":
        return {"type": "boolean", **title}
    if kind == "date":
        return {"type": "string", "format": "date", **title}
    if kind == "checkboxes":
        return {"type": "array", "items": {"enum": rng.sample(WORDS, 4)}, "uniqueItems": True,
                "maxItems": 4, **title}
    return {"type": ["string", "null"], "maxLength": 50, **title}


def big_form(n_fields: int, seed: int = 4) -> dict[str, Any]:
    """A closed object of ``n_fields`` leaves: about half at the top, the rest in groups of 10."""
    rng = random.Random(seed)
    props: dict[str, Any] = {}
    i = 0
    while i < n_fields:
        if rng.random() < 0.5 and n_fields - i >= 10:
            group = {f"g{i}_{k}": leaf(rng, i + k) for k in range(10)}
            props[f"group{i}"] = {"type": "object", "title": f"グループ{i}", "properties": group,
                                  "required": [k for k in group if rng.random() < 0.3],
                                  "additionalProperties": False}
            i += 10
        else:
            props[f"f{i}"] = leaf(rng, i)
            i += 1
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
            "title": "大きな様式", "properties": props,
            "required": [k for k in props if rng.random() < 0.3], "additionalProperties": False}


def leaves(schema: dict[str, Any]) -> list[tuple[dict[str, Any], str]]:
    """(parent object schema, property name) of every leaf field."""
    out = []
    for name, sub in schema["properties"].items():
        if sub.get("type") == "object":
            out.extend((sub, k) for k in sub["properties"])
        else:
            out.append((schema, name))
    return out


def scatter_changes(schema: dict[str, Any], n: int) -> dict[str, Any]:
    """A copy with ``n`` edits at fields spread over the form (narrowing, widening, cosmetic)."""
    new = copy.deepcopy(schema)
    targets = leaves(new)
    picks = [targets[int(k * len(targets) / n)] for k in range(n)]
    for k, (parent, name) in enumerate(picks):
        field = parent["properties"][name]
        op = k % 10
        if op == 0 and "maxLength" in field:
            field["maxLength"] = max(1, field["maxLength"] // 2)
        elif op == 1 and "enum" in field:
            field["enum"] = [*field["enum"], "追加の選択肢"]
        elif op == 2 and "enum" in field and len(field["enum"]) > 1:
            field["enum"] = field["enum"][:-1]
        elif op == 3:
            parent["required"] = sorted({*parent.get("required", []), name})
        elif op == 4:
            field["title"] = field["title"] + " (改)"
        elif op == 5 and "maximum" in field:
            field["maximum"] = field["maximum"] * 2
        elif op == 6:
            parent["properties"][f"{name}_new"] = {"type": "string", "maxLength": 30, "title": "新しい項目"}
        elif op == 7 and "pattern" in field:
            field["pattern"] = field["pattern"].replace("$", "?$")
        elif op == 8:
            parent["required"] = [r for r in parent.get("required", []) if r != name]
            field["description"] = "任意になりました"
        else:
            field["type"] = "integer" if field.get("type") == "number" else field.get("type", "string")
            field.setdefault("minimum", 1)
    return new


# -------------------------------------------------------------------------------------- pairs
def catalogue_pairs() -> list[tuple[str, Any, Any]]:
    """Consecutive versions of each catalogue template."""
    from registry.versioning import Version

    pairs = []
    for template in sorted(p for p in CATALOGUE.glob("*/*") if p.is_dir()):
        versions = sorted((v for v in template.iterdir() if (v / "schema.json").is_file()),
                          key=lambda v: Version.parse(v.name))
        for a, b in itertools.pairwise(versions):
            old = json.loads((a / "schema.json").read_text(encoding="utf-8"))
            new = json.loads((b / "schema.json").read_text(encoding="utf-8"))
            pairs.append((f"{template.relative_to(CATALOGUE)} {a.name}→{b.name}", old, new))
    return pairs


def median_ms(fn: Callable[[], Any], runs: int) -> float:
    """Median wall time of ``fn`` in milliseconds (one warm-up call first)."""
    fn()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


# ---------------------------------------------------------------------------- disagreement
def candidates(schema: Any, schemas: SchemaSet, count: int) -> list[Any]:
    """Values from the schema: jsoncompat's generator and Yoshiki's test generator."""
    out: list[Any] = []
    text = json.dumps(schema)
    for _ in range(count):
        try:
            out.append(json.loads(jsoncompat.generate_value(text, 6)))
        except Exception:  # the generator gives up on some schemas
            break
    try:
        from diffcheck.values import Context, values
        from hypothesis import HealthCheck, given, settings

        from registry.syntax.refs import Resolver

        resolver = Resolver(schema, schemas)
        strategy = values([(resolver.root_uri, schema)], Context(resolver, True, ["x", "extra"]))

        @settings(max_examples=count, database=None, deadline=None, suppress_health_check=list(HealthCheck))
        @given(strategy)
        def collect(value: Any) -> None:
            out.append(value)

        collect()
    except ImportError:
        pass
    return out


def settle(direction: str, old: Any, new: Any, schemas: SchemaSet, witness: Any | None) -> str:
    """A concrete value deciding the direction, or the absence of one among the candidates."""
    src, dst = (old, new) if direction == "backward" else (new, old)
    v_src = jsonschema_rs.validator_for(src, retriever=schemas.retrieve)
    v_dst = jsonschema_rs.validator_for(dst, retriever=schemas.retrieve)
    pool = ([witness] if witness is not None else []) + candidates(src, schemas, 300)
    for value in pool:
        if v_src.is_valid(value) and not v_dst.is_valid(value):
            return "breaking: " + json.dumps(value, ensure_ascii=False)[:160]
    valid = sum(1 for v in pool if v_src.is_valid(v))
    return f"no counterexample among {valid} valid candidates (compatible as far as tested)"


def without_ids(node: Any, in_data: bool = False) -> Any:
    """The schema without ``$id``/``$schema`` (jsoncompat takes an ``$id`` for a remote ``$ref``)."""
    if isinstance(node, list):
        return [without_ids(v, in_data) for v in node]
    if not isinstance(node, dict):
        return node
    return {k: without_ids(v, in_data or k in ("enum", "const", "examples", "default"))
            for k, v in node.items() if in_data or k not in ("$id", "$schema")}


def dereferenced(schema: Any, schemas: SchemaSet) -> Any:
    """The schema with ``$ref``s inlined (for jsoncompat, which cannot resolve registry URIs)."""
    try:
        return without_ids(jsonschema_rs.dereference(schema, retriever=schemas.retrieve))
    except Exception:
        return without_ids(schema)


def main() -> None:
    """Run the benchmark and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--fields", type=int, default=500)
    parser.add_argument("--changes", type=int, default=20)
    parser.add_argument("--process-runs", type=int, default=11,
                        help="runs per whole-process timing (0: skip that section)")
    parser.add_argument("--process-only", action="store_true",
                        help="only the whole-process section (the 500-field form)")
    args = parser.parse_args()
    if args.process_only:
        form = big_form(args.fields)
        process_section(args.process_runs, form, scatter_changes(form, args.changes))
        return

    schemas = SchemaSet.for_folder(CATALOGUE)
    form = big_form(args.fields)
    pairs = [(f"form {args.fields} fields, {args.changes} changes", form, scatter_changes(form, args.changes))]
    pairs += catalogue_pairs()
    print(f"common definitions: {COMMON_BASE}…; catalogue pairs: {len(pairs) - 1}; runs per timing: {args.runs}\n")

    header = (f"{'pair':58} {'yoshiki':>8} {'strict':>8} {'jc back':>8} {'jc fwd':>8} {'jc b+f':>8} "
              f"{'jc both':>8} {'ratio':>6}  verdicts yoshiki(strict) / jsoncompat")
    print(header)
    print("-" * len(header))
    disagreements = []
    form_times: list[float] = []
    for name, old, new in pairs:
        old_j, new_j = json.dumps(dereferenced(old, schemas)), json.dumps(dereferenced(new, schemas))
        t_lenient = median_ms(lambda o=old, n=new: diff(o, n, old_schemas=schemas, new_schemas=schemas), args.runs)
        t_strict = median_ms(lambda o=old, n=new: diff(o, n, Policy("strict"), old_schemas=schemas,
                                                       new_schemas=schemas), args.runs)
        t_back = median_ms(lambda o=old_j, n=new_j: joncall(o, n, "deserializer"), args.runs)
        t_fwd = median_ms(lambda o=old_j, n=new_j: joncall(o, n, "serializer"), args.runs)
        t_both = median_ms(lambda o=old_j, n=new_j: joncall(o, n, "both"), args.runs)
        strict = diff(old, new, Policy("strict"), old_schemas=schemas, new_schemas=schemas)
        jc = {"backward": joncall(old_j, new_j, "deserializer"), "forward": joncall(old_j, new_j, "serializer")}
        ratio = (t_back + t_fwd) / t_lenient if t_lenient else float("inf")
        if not form_times:
            form_times.extend([t_lenient, t_back + t_fwd, t_both])
        verdicts = " ".join(f"{d[0].upper()}:{getattr(strict, d)[:4]}/{jc[d]}" for d in ("backward", "forward"))
        print(f"{name[:58]:58} {t_lenient:8.2f} {t_strict:8.2f} {t_back:8.2f} {t_fwd:8.2f} "
              f"{t_back + t_fwd:8.2f} {t_both:8.2f} {ratio:5.1f}x  {verdicts}")
        for direction in ("backward", "forward"):
            mine, theirs = getattr(strict, direction), jc[direction]
            if theirs == "error" or ((mine == "compatible") == (theirs == "compatible") and mine != "unknown"):
                continue
            witness = next((c.witness.value for c in strict.changes if c.witness is not None
                            and c.witness.accepted_by == ("old" if direction == "backward" else "new")), None)
            disagreements.append((name, direction, mine, theirs, settle(direction, old, new, schemas, witness)))
    print("\nms = median milliseconds per diff; ratio = jsoncompat both directions (b+f) ÷ Yoshiki (lenient).")
    print(f"goal (500-field form): Yoshiki {form_times[0]:.1f} ms vs jsoncompat both directions "
          f"{form_times[1]:.1f} ms (two calls) / {form_times[2]:.1f} ms (one 'both' call): "
          f"{'faster' if form_times[0] < min(form_times[1], form_times[2]) else 'NOT faster'}, "
          f"{'under' if form_times[0] < 50 else 'NOT under'} 50 ms")
    print("\nDisagreements (strict set semantics; Yoshiki 'unknown' listed too):")
    if not disagreements:
        print("  none")
    for name, direction, mine, theirs, verdict in disagreements:
        proved = verdict.startswith("breaking")
        said_breaking = [tool for tool, v in (("Yoshiki", mine), ("jsoncompat", theirs)) if v == "breaking"]
        said_compatible = [tool for tool, v in (("Yoshiki", mine), ("jsoncompat", theirs)) if v == "compatible"]
        if proved:
            who = " and ".join(said_breaking) + " (proved by the value)" if said_breaking else "neither"
        else:
            who = " and ".join(said_compatible) + " (no counterexample found; not a proof)" if said_compatible else "undecided"
        print(f"  {name} [{direction}]: Yoshiki {mine}, jsoncompat {theirs} → {verdict}\n"
              f"      right: {who}")
    corpus_section()
    process_section(args.process_runs, form, pairs[0][2])


def corpus_section() -> None:
    """Both tools on the diff corpus' strict-semantics cases, scored against the corpus truth."""
    cases = []
    for path in sorted((ROOT / "tests" / "data" / "diff").glob("*/*.json")):
        case = json.loads(path.read_text(encoding="utf-8"))
        if case.get("policy") == "lenient" or case.get("format_assertion"):
            continue
        cases.append((f"{path.parent.name}/{path.stem}", case))
    score: dict[str, dict[str, list[str]]] = {"Yoshiki": {}, "jsoncompat": {}}
    for name, case in cases:
        mine = diff(case["old"], case["new"], Policy("strict"))
        old_j, new_j = json.dumps(without_ids(case["old"])), json.dumps(without_ids(case["new"]))
        theirs = {"backward": joncall(old_j, new_j, "deserializer"), "forward": joncall(old_j, new_j, "serializer")}
        for direction in ("backward", "forward"):
            truth = case["expected"][direction]
            for tool, answer in (("Yoshiki", getattr(mine, direction)), ("jsoncompat", theirs[direction])):
                if answer == truth:
                    outcome = "right"
                elif answer == "compatible" and truth == "breaking":
                    outcome = "UNSOUND (compatible, truth breaking)"
                elif answer == "breaking" and truth == "compatible":
                    outcome = "false alarm (breaking, truth compatible)"
                else:
                    outcome = answer
                score[tool].setdefault(outcome, []).append(f"{name}[{direction[0]}]")
    print(f"\nDiff corpus, {len(cases)} strict-semantics cases × 2 directions, scored against the corpus truth:")
    for tool, outcomes in score.items():
        print(f"  {tool}: " + ", ".join(f"{k} {len(v)}" for k, v in sorted(outcomes.items())))
        for key in ("UNSOUND (compatible, truth breaking)", "false alarm (breaking, truth compatible)"):
            if key in outcomes:
                print(f"    {key}: {' '.join(outcomes[key][:40])}{' …' if len(outcomes[key]) > 40 else ''}")


# ------------------------------------------------------------------------ whole processes
# What a user or a CI job pays: a fresh interpreter, the imports, reading the files, both
# directions. jsoncompat's process reads the two files and checks both directions (two calls,
# as a CLI doing backward and forward would); Yoshiki's is the ``yoshiki diff`` entry point.
JC_PROCESS = """
import sys, jsoncompat
old = open(sys.argv[1], encoding="utf-8").read()
new = open(sys.argv[2], encoding="utf-8").read()
b = jsoncompat.check_compat(old, new, "deserializer")
f = jsoncompat.check_compat(old, new, "serializer")
print("backward", "compatible" if b else "breaking", "forward", "compatible" if f else "breaking")
"""
YOSHIKI_PROCESS = "import sys; from cli.main import main; main(sys.argv[1:])"


def _run_timed(cmd: list[str], env: dict[str, str]) -> tuple[float, float]:
    """(wall ms, CPU ms of the child: user + system) of one process."""
    import resource
    import subprocess

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, check=False, timeout=120)
    wall = (time.perf_counter() - t0) * 1000
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if proc.returncode != 0:
        raise SystemExit(f"{cmd[:3]} failed: {proc.stderr.decode(errors='replace')[-400:]}")
    cpu = ((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)) * 1000
    return wall, cpu


def process_section(runs: int, old: Any, new: Any) -> None:
    """Whole processes: ``yoshiki diff OLD NEW`` beside a jsoncompat process checking both
    directions, on the same two files, interleaved so both see the same machine load."""
    import os
    import tempfile

    if runs <= 0:
        return
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONPATH"] = str(ROOT)  # bytecode cached as in an installed package (warm-up writes it)
    with tempfile.TemporaryDirectory() as tmp:
        o, n = Path(tmp) / "old.schema.json", Path(tmp) / "new.schema.json"
        o.write_text(json.dumps(old, ensure_ascii=False), encoding="utf-8")
        n.write_text(json.dumps(new, ensure_ascii=False), encoding="utf-8")
        commands = {
            "python -c pass (interpreter start)": [sys.executable, "-c", "pass"],
            "yoshiki diff OLD NEW": [sys.executable, "-c", YOSHIKI_PROCESS, "diff", str(o), str(n)],
            "yoshiki diff --format json": [sys.executable, "-c", YOSHIKI_PROCESS, "diff", str(o), str(n),
                                           "--format", "json"],
            "jsoncompat, both directions": [sys.executable, "-c", JC_PROCESS, str(o), str(n)],
        }
        times: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
        for cmd in commands.values():
            _run_timed(cmd, env)  # warm-up: bytecode, file cache
        for _ in range(runs):
            for name, cmd in commands.items():
                times[name].append(_run_timed(cmd, env))
    print(f"\nWhole processes, 500-field form with its changes ({runs} runs each, interleaved; "
          f"median wall ms / median CPU ms = user + system of the child):")
    med = {name: (statistics.median(w for w, _ in t), statistics.median(c for _, c in t))
           for name, t in times.items()}
    for name, (wall, cpu) in med.items():
        print(f"  {name:40} {wall:8.1f} wall {cpu:8.1f} CPU")
    jc, yo = med["jsoncompat, both directions"], med["yoshiki diff OLD NEW"]
    print(f"  ratio jsoncompat ÷ yoshiki diff: {jc[0] / yo[0]:.2f}x wall, {jc[1] / yo[1]:.2f}x CPU "
          f"(goal, issue 12: at least 3x)")


def joncall(old_j: str, new_j: str, role: str) -> str:
    """jsoncompat's verdict for one role: compatible / breaking / error."""
    try:
        return "compatible" if jsoncompat.check_compat(old_j, new_j, role) else "breaking"
    except Exception:
        return "error"


if __name__ == "__main__":
    main()
