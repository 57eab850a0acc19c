"""``python -m syncer.cli SOURCE.json TARGET.json``: sync one JSON file tree into another."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from syncer.core import sync
from syncer.log import set_verbosity


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="syncer")
    parser.add_argument("source")
    parser.add_argument("target")
    parser.add_argument("-v", "--verbose", action="store_true")
    parser.add_argument("-q", "--quiet", action="store_true")
    parser.add_argument("--delete", action="store_true")
    args = parser.parse_args(argv)
    set_verbosity("DEBUG" if args.verbose else "ERROR" if args.quiet else "WARNING")
    try:
        with open(args.source, encoding="utf-8") as f:
            source = json.load(f)
        with open(args.target, encoding="utf-8") as f:
            target = json.load(f)
    except OSError as error:
        print(f"syncer: {error}", file=sys.stderr)
        return 2
    result = sync(source, target, delete=args.delete)
    with open(args.target, "w", encoding="utf-8") as f:
        json.dump(target, f)
    print(result.summary())
    return 0


if __name__ == "__main__":
    sys.exit(main())
