"""Bench the store: reindex, publish throughput, search latency.

    .venv/bin/python bench/store.py [--templates 10000] [--writers 8] [--publishes 25]
                                    [--queries 400] [--no-postgres] [--keep DIR]

1. reindex: a repository of N templates x 3 versions is generated with ONE ``git fast-import``
   (one commit per version, with the store's trailers), then ``RegistryService.reindex`` reads it
   (one ls-tree, one cat-file --batch, one log) and rebuilds the SQLite index. Timed at N/10,
   N/3 and N; the slope between the last two extrapolates to 100,000 templates (goal < 60 s).
2. publish throughput: 1 writer and W writer processes, each its own RegistryService on the same
   bare repository and SQLite file, publishing new templates through the full path (validate,
   lint, git CAS, index). Every accepted version is then checked in git and in the index
   (goal >= 50 publishes/s with 8 writers, none lost).
3. search latency: SqlIndex.search over the 3N versions on SQLite and on PostgreSQL
   (127.0.0.1:5432, database ``yoshiki_bench``): median and p99 (goal p99 < 50 ms).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import msgspec

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from registry.config import Settings  # noqa: E402
from registry.layout import VersionKey, schema_uri  # noqa: E402
from registry.municipalities import all_municipalities  # noqa: E402
from registry.readmodels import Author  # noqa: E402
from registry.storage.git_store import commit_message  # noqa: E402

WORDS = ["欠席", "遅刻", "早退", "連絡", "申請", "届出", "アンケート", "予約", "保育所", "入所",
         "図書館", "利用", "登録", "犬", "死亡", "参加", "教室", "パブリックコメント", "職員", "ランチ",
         "医療券", "調剤券", "放課後", "児童", "母子健康手帳", "交付", "住民票", "写し", "入札", "事業者"]
CATEGORIES = ["子育て", "教育", "福祉", "健康・医療", "動物・環境", "住民票・戸籍", "税", "防災",
              "施設・イベント", "事業者", "職員", "意見・アンケート", "その他"]


def dump(value: Any) -> bytes:
    """What ``json.dumps(value, ensure_ascii=False, indent=2)`` writes, from msgspec (C, ~20x)."""
    return msgspec.json.format(msgspec.json.encode(value), indent=2) + b"\n"


EXAMPLES = {"examples/valid/a.json": dump({"name": "多摩 太郎"}),
            "examples/valid/b.json": dump({"name": "稲城 花子", "reason": "発熱"}),
            "examples/invalid/a.json": dump({}),
            "examples/invalid/b.json": dump({"name": 1})}


def version_files(key: VersionKey, title: str, category: str, n_fields: int) -> dict[str, bytes]:
    """A realistic small version: template, schema, 2 valid and 2 invalid examples."""
    props: dict[str, Any] = {"name": {"$ref": "/common/person-name.json", "title": "氏名"},
                             "reason": {"type": "string", "title": "理由", "maxLength": 200}}
    for i in range(n_fields):
        props[f"q{i}"] = {"type": "string", "title": f"質問{i + 1}", "enum": ["はい", "いいえ"]}
    template = {"title": title, "category": category, "tags": title.split("・")[:2],
                "license": "CC-BY-4.0", "description": f"{title}のための様式です。",
                "changelog": f"{key.version} を公開"}
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema",
              "$id": schema_uri(key.lg, key.slug, key.version), "title": title,
              "type": "object", "properties": props, "required": ["name"]}
    return {"template.json": dump(template), "schema.json": dump(schema), **EXAMPLES}


GEN_BRANCHES = 8


def generate(repo: Path, n_templates: int, seed: int = 7) -> int:
    """Write N templates x 3 versions (one commit per version, with the store's trailers).

    Each commit rewrites the root tree (one entry per municipality: 1,741 + 47), which is what
    makes ``git fast-import`` slow on a big catalogue (~2.4 ms per template with one stream).
    So the municipalities are dealt to GEN_BRANCHES branches, each written by its own
    fast-import at the same time (a root tree of 1/8th the size, both cores busy), and ``main``
    is one octopus merge of them: ``git log`` still lists every version's commit.
    """
    rng = random.Random(seed)
    lgs = [m.code for m in all_municipalities()]
    subprocess.run(["git", "init", "--bare", "--quiet", "--initial-branch=main", str(repo)],
                   check=True)
    titles = ["・".join(rng.sample(WORDS, 3)) for _ in range(n_templates)]
    shares: list[list[int]] = [[] for _ in range(GEN_BRANCHES)]
    for i in range(n_templates):
        shares[(i % len(lgs)) % GEN_BRANCHES].append(i)
    counts = [0] * GEN_BRANCHES

    def stream(b: int) -> None:
        proc = subprocess.Popen(["git", "-c", "pack.compression=1", f"--git-dir={repo}",
                                 "fast-import", "--quiet", "--done"], stdin=subprocess.PIPE)
        assert proc.stdin is not None
        out = proc.stdin
        # The examples are the same bytes in every version: one blob each, named by a mark.
        marks: dict[bytes, bytes] = {}
        for n, data in enumerate(EXAMPLES.values(), start=1):
            out.write(b"blob\nmark :%d\ndata %d\n%s\n" % (n, len(data), data))
            marks[data] = b":%d" % n
        t0 = 1_700_000_000
        for i in shares[b]:
            lg = lgs[i % len(lgs)]
            slug = f"form-{i:06d}"
            category = CATEGORIES[i % len(CATEGORIES)]
            for j, version in enumerate(("1.0.0", "1.1.0", "1.2.0")):
                key = VersionKey(lg, slug, version)
                files = version_files(key, titles[i], category, 2 + j)
                message = commit_message("publish", key, "minor" if j else None,
                                         f"{version} を公開").encode()
                when = t0 + 3 * i + j
                out.write(b"commit refs/heads/gen-%d\n" % b)
                out.write(f"author bench ({lg}) <{lg}@bench.invalid> {when} +0900\ncommitter "
                          f"Yoshiki Registry <registry@yoshiki.invalid> {when} +0000\n".encode())
                out.write(b"data %d\n%s\n" % (len(message), message))
                for path, data in files.items():
                    target = f"{key.relpath}/{path}".encode()
                    if data in marks:
                        out.write(b"M 100644 %s %s\n" % (marks[data], target))
                    else:
                        out.write(b"M 100644 inline %s\ndata %d\n%s\n" % (target, len(data), data))
                counts[b] += 1
        out.write(b"done\n")
        out.close()
        if proc.wait() != 0:
            raise RuntimeError("git fast-import failed")

    threads = [threading.Thread(target=stream, args=(b,)) for b in range(GEN_BRANCHES) if shares[b]]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    branches = [f"refs/heads/gen-{b}" for b in range(GEN_BRANCHES) if shares[b]]
    if len(branches) != sum(1 for c in counts if c):
        raise RuntimeError("git fast-import failed")

    def git(*a: str, data: bytes | None = None) -> str:
        return subprocess.run(["git", f"--git-dir={repo}", *a], input=data, check=True,
                              capture_output=True).stdout.decode().strip()

    entries = sorted(line for b in branches for line in git("ls-tree", b).splitlines())
    tree = git("mktree", data=("\n".join(entries) + "\n").encode())
    parents = [x for b in branches for x in ("-p", git("rev-parse", b))]
    merge = git("-c", "user.name=Yoshiki Registry", "-c", "user.email=registry@yoshiki.invalid",
                "commit-tree", tree, *parents, "-m", "bench: merge the generated branches")
    git("update-ref", "refs/heads/main", merge)
    for b in branches:
        git("update-ref", "-d", b)
    return sum(counts)


def bench_reindex(work: Path, n: int) -> tuple[float, float, float]:
    """(seconds reading git, seconds rebuilding the index, total) for n templates."""
    from registry.wiring import open_service

    data = work / f"reindex-{n}"
    settings = Settings.for_data_dir(data)
    started = time.perf_counter()
    if not (settings.repo_path / "HEAD").exists():  # --keep DIR reuses a generated repository
        generate(settings.repo_path, n)
    gen = time.perf_counter() - started
    for stale in data.glob("index.sqlite3*"):
        stale.unlink()
    service = open_service(settings)
    t0 = time.perf_counter()
    records = service.records()
    t1 = time.perf_counter()
    service.index.rebuild(records)
    t2 = time.perf_counter()
    assert len(records) == 3 * n, len(records)
    print(f"  {n:>6} templates ({3 * n} versions): generate {gen:6.2f} s | reindex {t2 - t0:6.2f} s "
          f"(git {t1 - t0:5.2f} s + index {t2 - t1:5.2f} s)", flush=True)
    return t1 - t0, t2 - t1, t2 - t0


def _writer(args: tuple[str, int, int, int, Any]) -> tuple[list[str], list[str]]:
    data_dir, writer, count, shared, barrier = args
    from registry.errors import RegistryError
    from registry.wiring import open_service

    service = open_service(Settings.for_data_dir(Path(data_dir)), migrate=False)
    lgs = ["132241", "132250", "272264", "271403", "272272", "272094"]
    ok, refused = [], []
    barrier.wait()
    for i in range(count):
        lg = lgs[(writer + i) % len(lgs)]
        key = VersionKey(lg, f"w{shared}-{writer}-{i}", "1.0.0")
        files = version_files(key, "欠席・遅刻・早退連絡", "教育", 2)
        actor = Author(name="bench", municipality=lg)
        try:
            service.publish(files, actor=actor, key=key)
            ok.append(str(key))
        except RegistryError as exc:
            refused.append(f"{key}: {exc}")
    return ok, refused


def bench_publish(work: Path, writers: int, per_writer: int) -> float:
    """Publishes/s with ``writers`` processes; checks nothing was lost."""
    from registry.wiring import open_service

    data = work / f"publish-{writers}"
    shutil.rmtree(data, ignore_errors=True)
    settings = Settings.for_data_dir(data)
    service = open_service(settings)  # creates the repository and migrates the index once
    ctx = mp.get_context("spawn")
    with ctx.Manager() as manager:
        barrier = manager.Barrier(writers + 1)
        with ctx.Pool(writers) as pool:
            result = pool.map_async(_writer, [(str(data), w, per_writer, writers, barrier)
                                              for w in range(writers)])
            barrier.wait()
            t0 = time.perf_counter()
            outcomes = result.get()
            elapsed = time.perf_counter() - t0
    ok = [k for o, _ in outcomes for k in o]
    refused = [r for _, rs in outcomes for r in rs]
    in_git = {str(v.key) for v in service.store.iter_versions()}
    in_index = sum(1 for k in ok if service.index.versions(*k.split("@")[0].split("/")))
    lost = [k for k in ok if k not in in_git]
    rate = len(ok) / elapsed
    print(f"  {writers} writer(s) x {per_writer}: {len(ok)} published in {elapsed:5.2f} s = "
          f"{rate:6.1f} publishes/s | refused {len(refused)} | lost {len(lost)} | "
          f"in index {in_index}/{len(ok)} | fsck rc {service.store.fsck().returncode}", flush=True)
    if refused:
        print("    refused:", refused[:3])
    return rate


def _bare_git(args: tuple[str, int, int, Any]) -> int:
    """The floor: per commit only what any git writer must run — hash-object, mktree,
    commit-tree and a compare-and-swap update-ref — with no validation and no index."""
    repo, writer, count, barrier = args
    barrier.wait()
    done = 0
    for i in range(count):
        def git(*a: str, data: bytes | None = None) -> str:
            return subprocess.run(["git", f"--git-dir={repo}", *a], input=data, check=True,
                                  capture_output=True).stdout.decode().strip()
        blob = git("hash-object", "-w", "--stdin", data=f"{writer}-{i}".encode())
        for _ in range(50):
            old = git("rev-parse", "-q", "--verify", "refs/heads/main")
            tree = git("mktree", data=f"100644 blob {blob}\tw{writer}-{i}.json\n".encode())
            new = git("commit-tree", tree, "-p", old, "-m", "bench", data=None)
            if subprocess.run(["git", f"--git-dir={repo}", "update-ref", "refs/heads/main", new, old],
                              capture_output=True).returncode == 0:
                done += 1
                break
    return done


def bench_bare_git(work: Path, writers: int, per_writer: int) -> float:
    """Commits/s of the bare git loop with ``writers`` processes (the floor for publishes)."""
    repo = work / "bare-git.git"
    shutil.rmtree(repo, ignore_errors=True)
    subprocess.run(["git", "init", "--bare", "--quiet", "--initial-branch=main", str(repo)], check=True)
    env_commit = subprocess.run(["git", f"--git-dir={repo}", "commit-tree",
                                 "4b825dc642cb6eb9a060e54bf8d69288fbee4904", "-m", "root"],
                                check=True, capture_output=True).stdout.decode().strip()
    subprocess.run(["git", f"--git-dir={repo}", "update-ref", "refs/heads/main", env_commit], check=True)
    ctx = mp.get_context("spawn")
    with ctx.Manager() as manager:
        barrier = manager.Barrier(writers + 1)
        with ctx.Pool(writers) as pool:
            result = pool.map_async(_bare_git, [(str(repo), w, per_writer, barrier) for w in range(writers)])
            barrier.wait()
            t0 = time.perf_counter()
            done = sum(result.get())
            elapsed = time.perf_counter() - t0
    print(f"  floor: bare git loop (hash-object, mktree, commit-tree, update-ref CAS), {writers} "
          f"writers: {done / elapsed:6.1f} commits/s", flush=True)
    return done / elapsed


QUERIES = ["欠席", "遅刻", "連絡", "保育所", "図書館", "アンケート", "申請", "パブリックコメント",
           "犬", "交付", "事業者", "入所", "ランチ", "写し", "早退連絡"]


def bench_search(index: Any, label: str, n_queries: int) -> tuple[float, float]:
    """Median and p99 (ms) of a mix of text, category, municipality and paged queries."""
    rng = random.Random(3)
    times = []
    for i in range(n_queries):
        kind = i % 4
        kwargs: dict[str, Any] = {"limit": 20}
        if kind == 0:
            kwargs["q"] = rng.choice(QUERIES)
        elif kind == 1:
            kwargs["q"] = rng.choice(QUERIES)
            kwargs["category"] = rng.choice(CATEGORIES)
        elif kind == 2:
            kwargs["municipality"] = rng.choice(["132241", "011002", "271403"])
        else:
            kwargs["q"] = rng.choice(QUERIES)
            kwargs["prefecture"] = "東京都"
        t0 = time.perf_counter()
        _items, cursor = index.search(**kwargs)
        if cursor and kind == 0:
            index.search(cursor=cursor, **kwargs)
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    med, p99 = statistics.median(times), times[int(len(times) * 0.99) - 1]
    print(f"  {label:<10} {n_queries} queries: median {med:6.2f} ms | p99 {p99:6.2f} ms", flush=True)
    return med, p99


def postgres_index(records: list[Any]) -> Any:
    import psycopg

    from registry.storage.sql_index import SqlIndex

    with psycopg.connect("postgresql://postgres@127.0.0.1:5432/postgres", autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS yoshiki_bench")
        conn.execute("CREATE DATABASE yoshiki_bench")
    index = SqlIndex("postgresql://postgres@127.0.0.1:5432/yoshiki_bench")
    index.migrate()
    t0 = time.perf_counter()
    index.rebuild(records)
    print(f"  postgres rebuild of {len(records)} versions: {time.perf_counter() - t0:.2f} s")
    return index


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--templates", type=int, default=10_000)
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--publishes", type=int, default=25, help="per writer")
    parser.add_argument("--queries", type=int, default=400)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--keep", type=Path, default=None, help="work in DIR and keep it")
    args = parser.parse_args()
    work = args.keep or Path(tempfile.mkdtemp(prefix="yoshiki-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        print(f"reindex (goal: 100,000 templates < 60 s) — work dir {work}")
        sizes = sorted({max(args.templates // 10, 10), max(args.templates // 3, 20), args.templates})
        results = {n: bench_reindex(work, n) for n in sizes}
        a, b = sizes[-2], sizes[-1]
        slope = (results[b][2] - results[a][2]) / (b - a)
        projected = results[b][2] + slope * (100_000 - b)
        print(f"  slope {slope * 1000:.3f} ms/template -> 100,000 templates ≈ {projected:.1f} s "
              f"({'OK' if projected < 60 else 'MISSED'})")

        print("publish throughput (goal: >= 100/s with 8 writers, none lost)")
        one = bench_publish(work, 1, args.publishes * 2)
        many = bench_publish(work, args.writers, args.publishes)
        floor = bench_bare_git(work, args.writers, args.publishes)
        print(f"  {args.writers} writers / 1 writer = {many / one:.2f}x; "
              f"{many / floor:.2f}x the bare git loop ({'OK' if many >= 100 else 'MISSED'})")
        import resource

        print(f"  peak RSS of this process {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB; "
              f"largest writer {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024:.0f} MB")

        print(f"search latency over {3 * args.templates} versions (goal: p99 < 50 ms)")
        from registry.wiring import open_service

        service = open_service(Settings.for_data_dir(work / f"reindex-{args.templates}"))
        bench_search(service.index, "sqlite", args.queries)
        if not args.no_postgres:
            pg = postgres_index(service.records())
            bench_search(pg, "postgres", args.queries)
    finally:
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
