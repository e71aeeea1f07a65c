"""bench/scale.py's served figures over several passes: one noisy pass must not decide a figure, and a ratio
to the login page is taken within its pass, against that pass's floor."""

from bench.scaling import report, serving

PAGES = ["login", *report.PAGES]


def _timing(p95: float, median: float = 2.0) -> dict:
    return {"median": median, "p95": p95, "n": 30, "errors": 0}


def _pass(p95: float, login_rps: float, runbook_rps: float) -> dict:
    return {
        "idle_rss": 190 << 20,
        "/api/search first": _timing(p95),
        "/api/search": _timing(p95 / 2),
        "/search/?q=": _timing(p95 / 2),
        "pages": {page: _timing(5.0 if page == "login" else p95) for page in PAGES},
        "wrk": {
            "login": {"rps": login_rps, "errors": 0},
            "runbook": {"rps": runbook_rps, "errors": 0},
            "search": {"rps": login_rps / 2, "errors": 0},
        },
        "wrk_peak_rss": 200 << 20,
        "wrk_peak_pss": 120 << 20,
    }


def _engine(served: dict) -> dict:
    return served | {
        "version": "SQLite 3",
        "documents": 300,
        "markdown_floor_dps": 300.0,
        "import_dps": 100.0,
        "import_peak_rss": 70 << 20,
        "incidents_per_s": 1000.0,
        "more_documents": 100,
        "more_full_dps": 90.0,
        "more_empty_dps": 100.0,
        "group_full_s": 0.4,
        "group_empty_s": 0.3,
        "counts": {"documents": 400, "incidents": 8000, "alerts": 300, "entities": 2000},
        "grep_floor": _timing(6.0, 5.0),
    }


RUN = {
    "size": "small",
    "manifest": {"runbooks": 250, "postmortems": 50, "documents_bytes": 1 << 20, "incidents": 2000},
    "commit": "abc1234",
    "date": "2026-12-03 19:00 UTC",
    "cpus": 2,
    "load": (1.0, 2.0),
    "minutes": 6.0,
    "python": "3.11",
}


def _row(table: str, label: str) -> str:
    return next(line for line in table.splitlines() if line.startswith(f"| {label}"))


def test_a_figure_is_the_median_of_the_passes_with_each_pass_beside_it():
    passes = [_pass(14.0, 500, 350), _pass(61.0, 150, 150), _pass(12.0, 600, 300)]
    figures = serving.combined(passes)
    assert figures["/api/search first"]["p95"] == 14.0
    assert figures["pages"]["runbook"]["p95s"] == [14.0, 61.0, 12.0]
    table = report.table(RUN | {"passes": 3}, {"sqlite": _engine(figures)})
    assert "14 ms [14 · 61 · 12]" in _row(table, "`/api/search` median / p95, each query asked the first")
    assert "median of 3 passes" in table


def test_a_throughput_ratio_is_taken_within_its_pass():
    # Ratios within each pass: 0.70, 1.00, 0.50. Medians of the passes' requests/s would say 300 / 500 = 0.60.
    passes = [_pass(14.0, 500, 350), _pass(14.0, 150, 150), _pass(14.0, 600, 300)]
    table = report.table(RUN | {"passes": 3}, {"sqlite": _engine(serving.combined(passes))})
    assert "runbook **0.70×** [0.70 · 1.00 · 0.50]" in _row(table, "`wrk -t2 -c8`")


def test_a_saved_single_pass_result_still_makes_its_table():
    table = report.table(RUN, {"sqlite": _engine(_pass(14.0, 500, 350))})
    assert "14 ms (grep" in _row(table, "`/api/search` median / p95, each query asked the first")
    assert "runbook **0.70×**, search **0.50×** login" in table
    assert "passes" not in table


def test_the_import_row_says_how_busy_the_cores_were_when_it_was_measured():
    engine = _engine(_pass(14.0, 500, 350))
    busy = report.table(RUN, {"sqlite": engine | {"import_cores_busy": 0.874}})
    assert "100 documents/s (0.333× the floor); cores busy: 87%" in _row(busy, "import into an empty database")
    # A result saved before the figure existed still makes its table.
    assert "cores busy" not in report.table(RUN, {"sqlite": engine})


def test_an_import_just_short_of_a_third_of_the_floor_does_not_read_as_a_third():
    # 154 documents/s against a floor of 464.5: 0.3316, which two decimals showed as the target's 0.33.
    short = report.table(
        RUN, {"sqlite": _engine(_pass(14.0, 500, 350)) | {"import_dps": 154.0, "markdown_floor_dps": 464.5}}
    )
    assert "154 documents/s (0.332× the floor)" in _row(short, "import into an empty database")
    assert "≥ 1/3 (0.333×) the floor" in _row(short, "import into an empty database")
