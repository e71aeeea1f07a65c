"""The instructions one warm round of an import's parsing side executes (`pickle.dumps(_read_ahead(c))`
for every EVERY-th file of DATA's runbooks/ and postmortems/), counted by valgrind: load-independent, where CPU
times on the shared machine move by ±30% (BENCHMARKS.md, "Import speed: the parsing process (issue #12, round 6)").

    valgrind --tool=callgrind --dump-before=getppid --callgrind-out-file=OUT \\
        .venv/bin/python bench/parse_instructions.py DATA [--every 3] [--checkout OTHER]
    grep totals: OUT.2      # the measured round; OUT.1 is the start and a first round that warms the caches

A round runs between two os.getppid() calls, so that callgrind writes it as a part of its own. About 60 M
instructions a file: at valgrind's pace, 100 files take a few minutes.
"""

from __future__ import annotations

import argparse
import os
import pickle
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path)
    parser.add_argument("--every", type=int, default=3, help="every how many-th file (default: 3)")
    parser.add_argument("--checkout", type=Path, default=ROOT, help="the code to measure (default: this one)")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from bench.import_rate import generated_files, read_ahead_of_checkout

    candidates = generated_files(args.data, args.checkout, "parse-instructions")[1][:: args.every]
    read_ahead = read_ahead_of_checkout()

    for part in range(2):  # a round that warms the caches, then the one counted
        if part:
            os.getppid()
        for candidate in candidates:
            pickle.dumps(read_ahead(candidate))
    os.getppid()
    print(f"{len(candidates)} files", file=sys.stderr)


if __name__ == "__main__":
    main()
