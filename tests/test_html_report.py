"""The HTML report (``--html``, ``--plot``): rendered from the JSON's data, self-contained,
and loaded in a real headless Chromium (playwright with the system browser): no console
errors, one matrix cell per planned check with the JSON's status, links that resolve, the
copy button; screenshots at a laptop width and a phone width.

The pages come from the commands themselves (quick profile, few candidates): a known buggy
candidate alone, a known correct one, several at once (``-j 2``) and a ``verify`` subset.
"""

from __future__ import annotations

import html
import json
import os
import re
import runpy
import shutil
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from gradspec.cli import main
from gradspec.conformance import runner
from gradspec.conformance.api import load
from gradspec.conformance.options import STATUSES, Options

ROOT = Path(__file__).resolve().parents[1]
CATALOG = ROOT / "examples" / "candidates"
BUGGY = CATALOG / "bug_tanh_sign.py"  # tanh' with its sign flipped
CORRECT = CATALOG / "good_float32.py"
OTHERS = [CATALOG / "bug_cost_sign.py", CATALOG / "bug_net_hidden_der_omitted.py"]
#: A network whose hidden layer's tanh' factor is left out (W0, b0 wrong; W1, b1 right), and
#: a correct one.
NET_BUGGY = CATALOG / "bug_net_hidden_der_omitted.py"
NET_CORRECT = CATALOG / "good_net_tanh.py"
UNLOADABLE = ROOT / "tests" / "candidates" / "hostile" / "import_raises.py"
CHROMIUM = os.environ.get("GRADSPEC_CHROMIUM", "/usr/bin/chromium")
#: Chromium in a closed network: no sandbox (root in a container), nothing phoned home.
BROWSER_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WIDTHS = {"laptop": (1366, 900), "phone": (390, 844)}


class Cells(HTMLParser):
    """The matrix cells (``data-id`` -> ``data-status``) of each implementation's section,
    the ids on the page, and every URL the page refers to."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: dict[str, dict[str, str]] = {}
        self.current = ""
        self.ids: set[str] = set()
        self.refs: list[tuple[str, str, str]] = []  # (tag, attribute, value)
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = dict(attrs)
        self.tags.append((tag, a))
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "section" and "data-implementation" in a:
            self.current = a["data-implementation"]
            self.cells[self.current] = {}
        if tag == "td" and "data-id" in a:
            assert a["data-id"] not in self.cells[self.current], f"two cells {a['data-id']}"
            self.cells[self.current][a["data-id"]] = a["data-status"]
        for k in ("src", "href", "action", "data", "poster"):
            if k in a:
                self.refs.append((tag, k, a[k]))


def parse(page: str) -> Cells:
    p = Cells()
    p.feed(page)
    return p


def _run(tmp: Path, name: str, argv: list[str]) -> dict:
    page, js, plots = tmp / f"{name}.html", tmp / f"{name}.json", tmp / f"{name}-png"
    code = main([*argv, "--html", str(page), "--json", str(js), "--plot", str(plots)])
    assert code in (0, 1), f"{name}: exit {code}"
    return {"html": page, "json": json.loads(js.read_text()), "plots": plots, "code": code}


@pytest.fixture(scope="module")
def pages(tmp_path_factory) -> dict[str, dict]:
    tmp = tmp_path_factory.mktemp("html")
    quick = ["--profile", "quick"]
    jobs = [*quick, "-j", "2"]
    acts = [*quick, "--only", "activations"]
    return {
        "buggy": _run(tmp, "buggy", ["check", str(BUGGY), *acts, "--dtype", "float64"]),
        "correct": _run(tmp, "correct", ["check", str(CORRECT), *acts]),
        "many": _run(
            tmp,
            "many",
            ["check", str(BUGGY), str(CORRECT), *map(str, OTHERS), str(UNLOADABLE), *jobs],
        ),
        "verify": _run(
            tmp, "verify", ["verify", "--backend", "numpy", *acts, "--dtype", "float64"]
        ),
        "net": _run(
            tmp,
            "net",
            ["check", str(NET_BUGGY), str(NET_CORRECT), *jobs, "--only", "network"],
        ),
    }


@pytest.fixture(scope="module")
def audit_page(tmp_path_factory) -> dict:
    pytest.importorskip("torch")
    tmp = tmp_path_factory.mktemp("audit")
    argv = ["audit", "torch", "--profile", "quick", "--dtype", "float32", "--only", "costs"]
    return _run(tmp, "audit", argv)


def _audit_cells(data: dict) -> dict[str, str]:
    """The checks of an audit's matrix (JSON) with their statuses."""
    return {
        f"{check}[{fn}:{dtype}]": status
        for fn, row in data["matrix"].items()
        for check, by_dtype in row.items()
        for dtype, status in by_dtype.items()
        if status in STATUSES  # not-in-library, no-derivative: no check, no cell
    }


def _expected(run: dict) -> dict[str, dict[str, str]]:
    """Implementation -> check id -> status, from the JSON the command wrote."""
    if "implementations" not in run["json"]:  # an audit
        return {run["json"]["library"]: _audit_cells(run["json"])}
    return {
        i["implementation"]: {r["id"]: r["status"] for r in i["results"]}
        for i in run["json"]["implementations"]
    }


def test_audit_page_has_the_audit_matrix(audit_page) -> None:
    (cells,) = parse(audit_page["html"].read_text()).cells.values()
    expected = _audit_cells(audit_page["json"])
    assert expected and cells == expected
    text = audit_page["html"].read_text()
    for f in audit_page["json"]["findings"]:  # each finding with the library's reproducer
        assert html.escape(f["library_reproducer"].splitlines()[0]) in text


def _planned(path: Path, options: Options) -> list[str]:
    with load(str(path), timeout=options.timeout) as cand:
        return [pc.id for pc in runner.plan(cand, options)]


# -- the page against the JSON, without a browser ------------------------------------------


@pytest.mark.parametrize("name", ["buggy", "correct", "many", "verify", "net"])
def test_every_result_of_the_json_is_a_cell_with_its_status(pages, name) -> None:
    page = pages[name]
    cells = parse(page["html"].read_text()).cells
    impls = page["json"]["implementations"]
    assert list(cells) == [i["implementation"] for i in impls]
    for impl in impls:
        expected = {r["id"]: r["status"] for r in impl["results"]}
        assert expected or impl["error"], impl["implementation"]
        assert cells[impl["implementation"]] == expected


def test_the_matrix_has_one_cell_per_planned_check(pages) -> None:
    acts = Options.make(profile="quick", only="activations")
    for name, path, options in (
        ("buggy", BUGGY, Options.make(profile="quick", only="activations", dtypes="float64")),
        ("correct", CORRECT, acts),
    ):
        cells = parse(pages[name]["html"].read_text()).cells
        (only,) = cells.values()
        planned = _planned(path, options)
        assert sorted(only) == sorted(planned)


def test_buggy_and_correct_candidates_show_the_right_statuses(pages) -> None:
    (buggy,) = parse(pages["buggy"]["html"].read_text()).cells.values()
    # tanh' with a flipped sign: tanh itself is right, its derivative wrong.
    assert buggy["value[tanh:float64]"] == "pass"
    for check in ("derivative", "derivative_numeric", "extremes"):
        assert buggy[f"{check}[tanh:float64]"] == "fail"
    (correct,) = parse(pages["correct"]["html"].read_text()).cells.values()
    assert correct and not {"fail", "error"} & set(correct.values())


def test_the_page_is_self_contained(pages) -> None:
    for name, page in pages.items():
        text = page["html"].read_text()
        p = parse(text)
        for tag, attr, value in p.refs:
            # Only in-page anchors and inline images: nothing is fetched from anywhere.
            assert value.startswith(("#", "data:image/png;base64,")), (name, tag, attr, value)
        assert not [t for t, a in p.tags if t == "link" or (t == "script" and "src" in a)]
        assert not re.search(r"url\((?!data:)", text), name
        assert not re.search(r"@import", text), name


def test_failures_carry_details_reproducer_and_figures(pages) -> None:
    page = pages["buggy"]
    text = page["html"].read_text()
    p = parse(text)
    impl = page["json"]["implementations"][0]
    failed = [(i, r) for i, r in enumerate(impl["results"]) if r["status"] == "fail"]
    assert failed
    for i, r in failed:
        assert f"r0-{i}" in p.ids  # each failure has its details, linked from its cell
        for d in r["diagnosis"]:
            assert html.escape(d) in text
    with_repro = [i for i, r in failed if r["reproducer"]]
    assert with_repro and all(f"r0-{i}-code" in p.ids for i in with_repro)
    pngs = sorted(page["plots"].glob("*.png"))
    assert pngs and len(pngs) == text.count('src="data:image/png;base64,')
    assert any(f.name.endswith("-steps.png") for f in pngs)  # the step-size figure
    for f in pngs:
        assert f.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_samples_and_steps_are_in_the_json_of_failures_only(pages) -> None:
    for impl in pages["many"]["json"]["implementations"]:
        for r in impl["results"]:
            if r["status"] in ("pass", "skip"):
                assert "samples" not in r and "steps" not in r, r["id"]
    buggy = pages["buggy"]["json"]["implementations"][0]["results"]
    d = next(r for r in buggy if r["id"] == "derivative[tanh:float64]")
    s = d["samples"]
    assert len(s["x"]) == len(s["reference"]) == len(s["actual"]) == len(s["units"]) > 0
    # The sign flip: every sampled element is the negated truth.
    assert all(abs(a + t) <= 1e-9 * max(1.0, abs(t)) for a, t in zip(s["actual"],
               s["reference"], strict=True))  # fmt: skip
    num = next(r for r in buggy if r["id"] == "derivative_numeric[tanh:float64]")["steps"]
    err = [abs(c - num["truth"]) for c in num["central"]]
    # Plain central differences are worse than the extrapolated value at both ends.
    assert min(err[0], err[-1]) > abs(num["ridders"] - num["truth"])


def _net_results(pages, candidate: Path) -> list[dict]:
    (impl,) = [
        i
        for i in pages["net"]["json"]["implementations"]
        if Path(i["implementation"]).name == candidate.name
    ]
    return impl["results"]


def test_a_failing_network_records_its_error_per_tensor(pages) -> None:
    results = {r["check"]: r for r in _net_results(pages, NET_BUGGY)}
    params = runpy.run_path(str(NET_BUGGY))["init_params"](0)
    shapes = {k: list(np.shape(v)) for k, v in params.items()}
    for check in ("gradient", "reference"):
        r = results[check]
        assert r["status"] == "fail", check
        tensors = {t["name"]: t for t in r["tensors"]}
        assert {k: t["shape"] for k, t in tensors.items()} == shapes  # the candidate's names
        for k, t in tensors.items():
            flat = [u for row in t["units"] for u in (row if isinstance(row, list) else [row])]
            assert len(flat) == int(np.prod(t["shape"])), k  # small: not downsampled
            assert t["block"] == [1] * len(t["shape"]), k
            assert max(flat) == t["max_units"], k
        # The hidden layer's tanh' is left out: its tensors are wrong, the output layer's are
        # right (its gradient does not pass through the hidden derivative).
        for k in ("W0", "b0"):
            assert tensors[k]["max_units"] > tensors[k]["threshold"], (check, k)
        for k in ("W1", "b1"):
            assert tensors[k]["max_units"] <= tensors[k]["budget"], (check, k)
    # Checks that pass record nothing.
    assert results["determinism_mutation"]["status"] == "pass"
    assert "tensors" not in results["determinism_mutation"]


def test_a_correct_network_records_no_tensor_errors(pages) -> None:
    results = _net_results(pages, NET_CORRECT)
    assert results and all(r["status"] == "pass" for r in results)
    assert not [r["id"] for r in results if "tensors" in r]


def test_the_network_figure_is_in_the_page_and_the_plot_folder(pages) -> None:
    page = pages["net"]
    text = page["html"].read_text()
    failing = [r for r in _net_results(pages, NET_BUGGY) if r.get("tensors")]
    pngs = sorted(page["plots"].glob("*-tensors.png"))
    assert len(pngs) == len(failing) == 2
    for r in failing:
        caption = html.escape(f"{r['id']}: gradient error in eps-units per parameter tensor")
        assert text.count(caption) == 2  # the image's alt text and its caption
    assert text.count('src="data:image/png;base64,') == len(list(page["plots"].glob("*.png")))


def test_tensor_summaries_are_bounded_by_block_maxima() -> None:
    from gradspec.conformance.checks import nettensors

    units = np.zeros((100, 70))
    units[5, 3], units[99, 69] = 1e9, np.nan
    t = nettensors.summary("hidden.weight", units, 6.55e4, 64.0, "reference network")
    assert t["shape"] == [100, 70] and t["block"] == [2, 2]
    assert len(t["units"]) == 50 and {len(row) for row in t["units"]} == {35}
    assert t["units"][2][1] == 1e9 and t["units"][-1][-1] == "inf"  # a NaN shows as worst
    assert sum(u != 0 for row in t["units"] for u in row) == 2
    bias = nettensors.summary("b", np.full(3, 1.23456), 6.55e4, 64.0, "reference network")
    assert bias["units"] == [1.23, 1.23, 1.23]  # 3 significant digits


def test_a_network_figure_is_drawn_for_many_large_tensors() -> None:
    from gradspec.conformance.checks import nettensors
    from gradspec.conformance.html import plots

    big = np.full((100, 70), 3.0)
    big[5, 3], big[99, 69] = 1e9, np.nan
    tensors = [nettensors.summary("hidden.weight", big, 6.55e4, 64.0, "reference network")]
    tensors += [
        nettensors.summary(
            f"layers[{i}].b", np.full(4, float(i)), 6.55e4, 64.0, "reference network"
        )
        for i in range(plots.MAX_PANELS + 3)
    ]
    r = {"id": "reference[net:float64]", "check": "reference", "subject": "net",
         "status": "fail", "tensors": tensors}  # fmt: skip
    png = plots.network_figure(r)
    assert png is not None and png[:8] == b"\x89PNG\r\n\x1a\n"
    impl = {"implementation": "net.py", "results": [r]}
    figures, left_out = plots.draw([impl])
    assert [f.filename.endswith("-tensors.png") for f in figures] == [True] and left_out == 0


def test_a_large_network_gets_one_directional_error_per_tensor(monkeypatch) -> None:
    from gradspec.conformance.checks import nettensors

    # loss = |x|^2 / 2, whose gradient is x; the second tensor's is off by 1%.
    x = np.linspace(-1.0, 1.0, 10)
    g = x.copy()
    g[6:] *= 1.01
    layout = [("W0", (2, 3)), ("b0", (4,))]
    args = (lambda p: 0.5 * float(p @ p), x, g, layout, np.dtype(np.float64), 64.0, 6.55e4)
    v = np.random.default_rng(0).choice([-1.0, 1.0], 10) / np.sqrt(10)
    per_element = nettensors.against_numeric(*args, 1e-2, v)
    assert [t["kind"] for t in per_element] == ["numeric gradient of its loss"] * 2
    assert per_element[0]["max_units"] <= 64 and per_element[1]["max_units"] > 6.55e4
    assert all(u > 6.55e4 for u in per_element[1]["units"])
    monkeypatch.setattr(nettensors, "MAX_NUMERIC_ELEMENTS", 5)
    directional = nettensors.against_numeric(*args, 1e-2, v)
    assert [t["kind"] for t in directional] == ["random direction in the tensor"] * 2
    assert [t["shape"] for t in directional] == [[2, 3], [4]]
    assert directional[0]["max_units"] <= 64 and directional[1]["max_units"] > 6.55e4


def test_many_candidates_summary_and_diagnosis_counts(pages) -> None:
    page = pages["many"]
    text = page["html"].read_text()
    impls = page["json"]["implementations"]
    for impl in impls:
        for r in impl["results"]:
            for d in r["diagnosis"] if r["status"] == "fail" else []:
                assert f"<code>{d.split(':', 1)[0]}</code>" in text
    assert 'class="summary sortable"' in text and "what goes wrong most often" in text


def test_a_candidate_that_cannot_be_loaded_is_a_row_and_a_section(pages) -> None:
    text = pages["many"]["html"].read_text()
    (impl,) = [i for i in pages["many"]["json"]["implementations"] if i["error"]]
    assert 'data-verdict="error"' in text and ">ERROR</td>" in text
    assert html.escape(impl["error"]) in text


@pytest.fixture(scope="module")
def cluster_page(tmp_path_factory) -> dict:
    pytest.importorskip("distributed")
    tmp = tmp_path_factory.mktemp("cluster")
    argv = ["check", str(BUGGY), str(CORRECT), "--profile", "quick", "--only", "activations"]
    return _run(tmp, "cluster", [*argv, "--scheduler", "local:2"])


def test_a_cluster_run_writes_the_same_page(cluster_page) -> None:
    cells = parse(cluster_page["html"].read_text()).cells
    assert cells == _expected(cluster_page)
    # The figures' data came back from the workers with the results.
    assert sorted(cluster_page["plots"].glob("*.png"))


def test_bad_html_path_is_one_usage_line(tmp_path, capsys) -> None:
    code = main(["check", str(BUGGY), "--html", str(tmp_path / "no" / "such" / "r.html")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and "does not exist" in err[0]


# -- in the browser --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("no browser: the playwright package is not installed (pip install playwright)")
    exe = CHROMIUM if os.path.exists(CHROMIUM) else shutil.which("chromium")
    if not exe:
        pytest.skip(f"no browser: {CHROMIUM} is missing (apt-get install chromium; .ci/run does)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, args=BROWSER_ARGS)
        yield b
        b.close()


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    out = os.environ.get("GRADSPEC_SCREENSHOTS")
    return Path(out) if out else tmp_path_factory.mktemp("screenshots")


def _open(browser, path: Path, width: str, hash_: str = ""):
    w, h = WIDTHS[width]
    page = browser.new_page(viewport={"width": w, "height": h})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: None if r.url.startswith(("file:", "data:")) else
            errors.append(f"network request {r.url}"))  # fmt: skip
    page.goto(path.as_uri() + hash_)
    page.wait_for_load_state("load")
    return page, errors


@pytest.mark.parametrize("width", list(WIDTHS))
@pytest.mark.parametrize("name", ["buggy", "correct", "many", "verify", "net"])
def test_page_loads_in_chromium(browser, pages, shots, name, width) -> None:
    _in_browser(browser, pages[name], shots, name, width)


def test_audit_page_loads_in_chromium(browser, audit_page, shots) -> None:
    _in_browser(browser, audit_page, shots, "audit", "laptop")


def _in_browser(browser, run: dict, shots: Path, name: str, width: str) -> None:
    page, errors = _open(browser, run["html"], width)
    try:
        sections = page.eval_on_selector_all(
            "section[data-implementation]", "els => els.map(e => e.dataset.implementation)"
        )
        expected = _expected(run)
        assert len(sections) == len(expected)
        for section, (impl, want) in zip(sections, expected.items(), strict=True):
            sel = f'section[data-implementation="{section}"] td[data-id]'
            got = page.eval_on_selector_all(
                sel, "els => els.map(e => [e.dataset.id, e.dataset.status])"
            )
            assert dict(got) == want, impl
            assert len(got) == len(want)  # one cell per check, no duplicates
        # Nothing wider than the window except inside the scrolling table boxes.
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{name} at {width}: {overflow}px wider than the window"
        if page.locator("pre[id$='-code']").count():
            assert page.locator("button.copy").first.is_visible()
        page.screenshot(path=str(shots / f"{name}-{width}.png"))
        assert errors == []
    finally:
        page.close()


@pytest.mark.parametrize("width", list(WIDTHS))
def test_the_network_figure_fits_the_window(browser, pages, shots, width) -> None:
    page, errors = _open(browser, pages["net"]["html"], width)
    try:
        fig = page.locator("figure:has(img[alt$='per parameter tensor'])").first
        fig.scroll_into_view_if_needed()
        img = "document.querySelector(\"img[alt$='per parameter tensor']\")"
        page.wait_for_function(f"{img}.complete", timeout=10_000)  # loading="lazy"
        natural, shown, window = page.evaluate(
            """() => { const i = document.querySelector("img[alt$='per parameter tensor']");
            return [i.naturalWidth, i.clientWidth, window.innerWidth]; }"""
        )
        assert natural > 0  # the PNG decoded
        assert 0 < shown <= min(natural, window)  # shrunk to a phone's width, never blown up
        fig.screenshot(path=str(shots / f"net-figure-{width}.png"))
        assert errors == []
    finally:
        page.close()


def test_summary_links_resolve_and_scroll(browser, pages) -> None:
    page, errors = _open(browser, pages["many"]["html"], "laptop")
    try:
        links = page.eval_on_selector_all(
            "table.summary a", "els => els.map(e => e.getAttribute('href'))"
        )
        assert len(links) == len(pages["many"]["json"]["implementations"])
        for href in links[::-1]:  # from the last: each one must scroll
            page.click(f'table.summary a[href="{href}"]')
            target = page.locator(href)
            assert target.count() == 1
            top, at_bottom, height = page.evaluate(
                f"""[document.getElementById({json.dumps(href[1:])}).getBoundingClientRect().top,
                    window.scrollY + window.innerHeight >=
                    document.documentElement.scrollHeight - 1, window.innerHeight]"""
            )
            # At the top of the window, or in view when the page ends below it (the last
            # sections cannot be scrolled further).
            assert abs(top) < 2 or (at_bottom and 0 <= top < height), f"{href}: {top}px"
            assert page.evaluate("location.hash") == href
        assert errors == []
    finally:
        page.close()


def test_matrix_links_open_the_result_and_sorting_reorders(browser, pages) -> None:
    page, errors = _open(browser, pages["many"]["html"], "laptop")
    try:
        cell = page.locator('td[data-status="fail"] a').first
        href = cell.get_attribute("href")
        cell.click()
        assert page.evaluate(f"document.getElementById({json.dumps(href[1:])}).open") is True

        def order() -> list[str]:
            return page.eval_on_selector_all(
                "table.summary tbody tr td:nth-child(2)", "els => els.map(e => e.dataset.sort)"
            )

        page.click("table.summary th:nth-child(2) button.sort")
        assert order() == sorted(order(), key=int)
        page.click("table.summary th:nth-child(2) button.sort")
        assert order() == sorted(order(), key=int, reverse=True)
        page.click("button.copy >> nth=0")
        assert errors == []
    finally:
        page.close()


# -- the figures, from data alone -------------------------------------------------------------


def _failing(i: int, units: list, thr: list, x: list | None = None) -> dict:
    x = x or [float(k) for k in range(len(units))]
    return {
        "id": f"derivative[f{i}:float64]",
        "check": "derivative",
        "subject": f"f{i}",
        "dtype": "float64",
        "status": "fail",
        "reproducer": "",
        "diagnosis": [],
        "worst": {
            "units": 1e9,
            "budget": 16.0,
            "ratio_to_fail_threshold": 10.0,
            "working_dtype": "float64",
        },
        "samples": {
            "input": "z",
            "reference_label": "truth",
            "other_inputs": [],
            "x": x,
            "reference": [1.0] * len(units),
            "actual": [2.0] * (len(units) - 1) + ["nan"],
            "units": units,
            "threshold": thr,
        },
    }


def test_a_figure_is_drawn_whatever_the_numbers() -> None:
    from gradspec.conformance.html import plots

    # Thresholds at the float64 maximum (an element of zero scale), infinite and NaN errors,
    # inputs over many magnitudes: still one PNG.
    r = _failing(0, [0.0, 3.0, 1e300, "inf", "nan"], [1.7e308, 2e7, 2e7, "inf", 2e7],
                 x=[-1e4, -1.0, 0.0, 2.0, 9e3])  # fmt: skip
    png = plots.function_figure(r)
    assert png is not None and png[:8] == b"\x89PNG\r\n\x1a\n"


def test_figures_are_bounded_and_the_page_says_so() -> None:
    from gradspec.conformance.html import page, plots

    def impl(name: str) -> dict:
        return {
            "implementation": name,
            "profile": "quick",
            "verdict": "fail",
            "counts": {"fail": 5},
            "results": [_failing(i, [1e9, 1e9], [2e7, 2e7]) for i in range(5)],
        }

    alone, _ = plots.draw([impl("alone.py")])
    assert len(alone) == 5  # one implementation may use the page's bound
    impls = [impl("a.py"), impl("b.py")]
    figures, left_out = plots.draw(impls)
    per = plots.MAX_PER_IMPLEMENTATION
    assert [f.impl_index for f in figures] == [0] * per + [1] * per
    assert left_out == 2 * (5 - per)
    data = {"verdict": "fail", "implementations": impls}
    text = page.render_page(data, figures=figures, left_out=left_out)
    assert f"{left_out} left out" in text
    assert text.count("data:image/png;base64,") == len(figures)
