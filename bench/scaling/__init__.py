"""The scale benchmark's parts (issue #12): `bench/scale.py` runs them.

A package, not bench/*.py modules, so that `make bench` does not run them one by one.

- `tasks`: what runs inside Django, in a subprocess per database (import, incidents, URLs to measure, a
  1,000-alert group);
- `serving`: gunicorn as deployed, HTTP timings, `wrk`, the RSS of a process tree;
- `postgres`: a throwaway PostgreSQL cluster, as `bin/test-all` starts one;
- `report`: the table and its section of BENCHMARKS.md.
"""
