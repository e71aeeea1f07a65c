"""What an import's parsing process sends, digested: a SHA-256 of `pickle.dumps(_read_ahead(c))`
for every file `importing.find_files` finds in each folder, as one checkout's code computes it. Two
checkouts' digests equal: a change to the parse changed nothing it sends (BENCHMARKS.md, round 5).

    PYTHONHASHSEED=0 .venv/bin/python bench/parse_identity.py OUT.json FOLDER... [--checkout OTHER]
    .venv/bin/python bench/parse_identity.py --compare BEFORE.json AFTER.json
"""

from __future__ import annotations

import argparse
import hashlib
import json
import pickle
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("folders", nargs="*")
    parser.add_argument("--checkout", type=Path, default=ROOT, help="the code to run (default: this one)")
    parser.add_argument("--compare", type=Path, help="digests to compare `out` with, instead of computing")
    args = parser.parse_args()
    if args.compare:
        before, after = (json.loads(path.read_text()) for path in (args.out, args.compare))
        differ = sorted(name for name in before.keys() | after.keys() if before.get(name) != after.get(name))
        print(f"{len(before)} and {len(after)} readings, {len(differ)} different", *differ[:20], sep="\n")
        sys.exit(1 if differ else 0)
    sys.path.insert(0, str(ROOT))
    from bench.import_rate import django_on, read_ahead_of_checkout

    folders = [str(Path(folder).resolve()) for folder in args.folders]
    django_on(args.checkout, "parse-identity")
    import django

    django.setup()
    from kb.documents import importing

    read_ahead = read_ahead_of_checkout()

    digests = {}
    for folder in folders:
        for candidate in importing.find_files([folder], importing.ImportReport()):
            reading = pickle.dumps(read_ahead(candidate))
            digests[f"{folder}:{candidate.identity}"] = hashlib.sha256(reading).hexdigest()
    args.out.write_text(json.dumps(digests, indent=0, sort_keys=True))
    print(f"{len(digests)} readings")


if __name__ == "__main__":
    main()
