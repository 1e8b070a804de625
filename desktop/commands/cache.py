"""`torchdesk cache info|clean`: how much the package caches hold, and reclaiming what no environment uses."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict


def add_arguments(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="action", metavar="ACTION")
    info = sub.add_parser("info", help="show the caches: size, the part environments link to, what clean would free")
    info.add_argument("--json", action="store_true", help="print JSON")
    clean = sub.add_parser("clean", help="remove cached packages no environment links to (all of it when none do)")
    clean.add_argument("--dry-run", action="store_true", help="say what would be removed; remove nothing")
    clean.add_argument("--json", action="store_true", help="print JSON")


def run(args: argparse.Namespace) -> int:
    from ..diskuse import cache_info, clean_caches, mib

    action = getattr(args, "action", None) or "info"
    as_json = bool(getattr(args, "json", False))
    if action == "info":
        infos = cache_info()
        if as_json:
            out = [{"cache": i.cache, "path": i.path, "total_bytes": i.total_bytes, "in_use_bytes": i.in_use_bytes,
                    "freeable_bytes": i.freeable_bytes, "entries": len(i.entries),
                    "entries_in_use": sum(e.in_use for e in i.entries)} for i in infos]
            json.dump(out, sys.stdout, indent=2)
            sys.stdout.write("\n")
            return 0
        for i in infos:
            label = "conda packages (rattler)" if i.cache == "conda" else "wheels (uv)"
            print(f"{label}: {i.path}")
            print(f"  {mib(i.total_bytes)} in {len(i.entries)} entries; {mib(i.in_use_bytes)} linked into "
                  f"environments ({sum(e.in_use for e in i.entries)} entries); clean would free {mib(i.freeable_bytes)}")
        return 0
    res = clean_caches(dry_run=args.dry_run)
    if as_json:
        json.dump(asdict(res), sys.stdout, indent=2)
        sys.stdout.write("\n")
        return 1 if res.errors else 0
    verb = "would remove" if args.dry_run else "removed"
    print(f"{verb} {len(res.removed)} cache entries, {mib(res.freed_bytes)}; kept {res.kept_in_use} that "
          f"environments link to")
    for e in res.errors:
        print(f"error: could not remove {e}", file=sys.stderr)
    return 1 if res.errors else 0
