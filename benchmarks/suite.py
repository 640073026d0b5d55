"""The benchmark suite behind ``gradspec bench``: each section returns rows (plain dicts).

A row always has ``section`` and ``name``; timed rows carry ``stat`` (seconds per call:
median, iqr, q1, q3, samples, loops) and, where meaningful, ``ratio`` with ``ratio_to``
(what it is a ratio to).  ``run_all`` adds the machine, the versions and the goals of
issue 7 evaluated on the rows.  Every ratio is measured inside this one process, most of them
in interleaved rounds (see ``_timing.paired``).
"""

from __future__ import annotations

import importlib.util
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from gradspec import derivations as dv
from gradspec.derivations import cache
from gradspec.reference import mlp

from . import checkers, detection, grading, nets
from ._timing import measure, paired, ratio, single

SCHEMA = "gradspec-bench/1"
SECTIONS = (
    "peak", "steps", "training", "checks", "detection", "compile", "derivations", "verify", "gpu",
    "grading",
)  # fmt: skip
#: Sections run only when asked for (``--only``): minutes long.
OPT_IN = ("grading",)


# --- GEMM peak --------------------------------------------------------------------------------


def gemm_peak(quick: bool, smoke: bool = False) -> list[dict]:
    n = 256 if smoke else 1024 if quick else 2048
    rows = []
    for dtype in ("float32", "float64"):
        rng = np.random.default_rng(0)
        a = rng.standard_normal((n, n)).astype(dtype)
        b = rng.standard_normal((n, n)).astype(dtype)
        c = np.empty_like(a)
        st = measure(lambda a=a, b=b, c=c: np.matmul(a, b, out=c), samples=5 if quick else 9)
        flops = 2 * n**3
        rows.append(
            {"section": "peak", "name": f"numpy GEMM {n}^2", "backend": "numpy", "dtype": dtype,
             "flops": flops, "stat": st.as_dict(), "gflops": flops / st.median / 1e9}
        )  # fmt: skip
        # XLA's GEMM too: the peak is the best either library reaches on this machine.
        import jax
        import jax.numpy as jnp

        with nets.x64(dtype):
            ja, jb = jax.device_put((a, b))
            mm = jax.jit(lambda x, y: jnp.matmul(x, y, precision=jax.lax.Precision.HIGHEST))
            st = measure(
                lambda mm=mm, ja=ja, jb=jb: jax.block_until_ready(mm(ja, jb)),
                samples=5 if quick else 9,
            )
        rows.append(
            {"section": "peak", "name": f"jax GEMM {n}^2", "backend": "jax", "dtype": dtype,
             "flops": flops, "stat": st.as_dict(), "gflops": flops / st.median / 1e9}
        )  # fmt: skip
    return rows


def peak_of(rows: list[dict], dtype: str) -> float:
    return max(r["gflops"] for r in rows if r["section"] == "peak" and r["dtype"] == dtype)


# --- forward+backward steps -------------------------------------------------------------------


def steps(quick: bool, peaks: dict[str, float], cases=None, log=print) -> list[dict]:
    """Per size and dtype, all backends in interleaved rounds; ratios to numpy, to the GEMM
    peak and to the step's own GEMMs alone (numpy's and JAX's)."""
    rows = []
    cases = cases or nets.STEP_CASES
    for case in cases:
        for dtype in ("float32", "float64"):
            fns: dict[str, Callable] = {
                "numpy": nets.make_numpy(case, dtype),
                "numpy GEMMs alone": nets.make_numpy_gemms(case, dtype),
                "jax jit (hand backprop)": nets.make_jax(case, dtype, "hand"),
                "jax jit (jax.grad)": nets.make_jax(case, dtype, "autodiff"),
                "jax GEMMs alone": nets.make_jax_gemms(case, dtype),
            }
            t = nets.make_torch(case, dtype)
            if t is not None:
                fns["torch"] = t
            log(f"  step {case.label} {dtype}")
            stats, rounds = paired(
                fns, rounds=5 if quick else 9, min_sample=0.003 if quick else 0.01
            )
            for name, st in stats.items():
                gflops = case.gemm_flops / st.median / 1e9
                row = {
                    "section": "steps", "name": name, "backend": name, "dtype": dtype,
                    "size": case.label, "case": case.name, "params": case.params,
                    "flops": case.gemm_flops, "stat": st.as_dict(), "gflops": gflops,
                    "fraction_of_peak": gflops / peaks[dtype],
                }  # fmt: skip
                row["vs_numpy"], row["vs_numpy_iqr"] = ratio(rounds, name, "numpy")
                roof = "jax GEMMs alone" if name.startswith("jax") else "numpy GEMMs alone"
                row["vs_own_gemms"], row["vs_own_gemms_iqr"] = ratio(rounds, name, roof)
                if "torch" in stats:
                    row["vs_torch"], _ = ratio(rounds, name, "torch")
                rows.append(row)
    if nets.torch_or_none() is None:
        rows.append({"section": "steps", "name": "torch", "skipped": "torch not installed"})
    return rows


# --- tiny-network training loops --------------------------------------------------------------


def training(quick: bool) -> list[dict]:
    import jax

    from gradspec.jaxbackend.mlp import jaxfns

    case = nets.XOR
    arch = case.arch
    n_steps = 1000
    X, Y = nets.data(case, np.float32)
    p_np = mlp.init_params(arch, 0, np.float32)

    def numpy_loop():
        p = p_np
        for _ in range(n_steps):
            p = mlp.train_step(arch, p, X, Y, 0.5)
        return p

    pj = jax.device_put(p_np)
    Xj, Yj = jax.device_put((X, Y))

    def jax_python_loop():
        p = pj
        for _ in range(n_steps):
            p = jaxfns.step(arch, p, Xj, Yj, 0.5, "hand")
        return jax.block_until_ready(p)

    def jax_fori():
        return jax.block_until_ready(jaxfns.train(arch, pj, Xj, Yj, 0.5, n_steps, "hand"))

    stats, rounds = paired(
        {"numpy loop": numpy_loop, "jax jit step, python loop": jax_python_loop,
         "jax lax.fori_loop (one jitted program)": jax_fori},
        rounds=5 if quick else 9, min_sample=0.01,
    )  # fmt: skip
    rows = []
    for name, st in stats.items():
        per = {
            k: v / n_steps for k, v in st.as_dict().items() if k in ("median", "iqr", "q1", "q3")
        }
        r = {"section": "training", "name": name, "size": case.label, "dtype": "float32",
             "steps": n_steps, "stat": {**st.as_dict(), **per}}  # fmt: skip
        r["speedup_vs_numpy"], _ = ratio(rounds, "numpy loop", name)
        rows.append(r)
    return rows


# --- JAX compile vs steady state --------------------------------------------------------------


def compile_cost(quick: bool, smoke: bool = False) -> list[dict]:
    import jax

    from gradspec.jaxbackend.mlp import jaxfns

    rows = []
    cases = (nets.XOR, nets.LARGE) if quick else (nets.XOR, nets.MEDIUM, nets.LARGE)
    cases = (nets.XOR,) if smoke else cases
    for case in cases:
        # An architecture object never seen by the jit caches: a first call compiles.
        arch = mlp.Arch(case.sizes, case.activation, case.output_activation, "half_squared",
                        "sum", True)  # fmt: skip
        jax.clear_caches()
        params = jax.device_put(mlp.init_params(arch, 0, np.float32))
        X, Y = jax.device_put(nets.data(case, np.float32))
        t0 = time.perf_counter()
        jax.block_until_ready(jaxfns.grads(arch, params, X, Y))
        first = time.perf_counter() - t0
        st = measure(lambda a=arch, p=params, x=X, y=Y: jax.block_until_ready(
            jaxfns.grads(a, p, x, y)), samples=5)  # fmt: skip
        rows.append({"section": "compile", "name": "jax grads first call", "size": case.label,
                     "dtype": "float32", "stat": single(first).as_dict(),
                     "ratio": first / st.median, "ratio_to": "steady-state call"})  # fmt: skip
        rows.append({"section": "compile", "name": "jax grads steady state", "size": case.label,
                     "dtype": "float32", "stat": st.as_dict()})  # fmt: skip
    return rows


# --- SymPy derivations ------------------------------------------------------------------------


def derivations(quick: bool) -> list[dict]:

    rows = []
    t_cold = None
    if True:  # cold derivation always: it is the figure the cache exists for
        t0 = time.perf_counter()
        dv.derive_all()
        t_cold = time.perf_counter() - t0
        rows.append({"section": "derivations", "name": "derive_all() (cold, SymPy)",
                     "stat": single(t_cold).as_dict()})  # fmt: skip

    def cached():
        cache._MEMO.clear()
        return dv.load()

    st = measure(cached, samples=5, min_sample=0.0)
    rows.append({"section": "derivations", "name": "load() from cache, memo cleared",
                 "stat": st.as_dict(), "ratio": st.median / t_cold,
                 "ratio_to": "cold derivation"})  # fmt: skip
    code = "from gradspec.derivations import load; load()"
    times = []
    for _ in range(2 if quick else 3):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
        times.append(time.perf_counter() - t0)
    fresh = float(np.median(times))
    rows.append(
        {
            "section": "derivations",
            "name": "fresh process: import + load()",
            "stat": single(fresh).as_dict(),
            "ratio": fresh / t_cold,
            "ratio_to": "cold derivation",
            "note": "includes interpreter start and imports",
        }
    )
    return rows


# --- gradspec verify --------------------------------------------------------------------------


#: Catalog files whose ``gradspec check`` is timed, with the goal's limit in seconds (warm)
#: and the exit code expected: correct NumPy, torch and JAX candidates, and a buggy one.
CHECKED = (
    ("good_rw_np_elu_where.py", 1.5, 0),
    ("good_rw_torch_mse_mean.py", 1.5, 0),
    ("good_rw_jax_softmax.py", 1.5, 0),
    ("bug_br_np_hinge_max_dropped.py", 5.0, 1),
)
_CANDIDATES = Path(__file__).resolve().parents[1] / "examples" / "candidates"


def _command_row(args: list[str], timeout: float, **fields) -> dict:
    """One ``gradspec ARGS`` run as a subprocess, as a user runs it: its wall time and exit
    code whatever it does (a crash or a timeout is a row too)."""
    cmd = [sys.executable, "-m", "gradspec.cli", *args]
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        rc, tail = proc.returncode, (proc.stdout + proc.stderr).strip().splitlines()[-1:]
        crashed = "Traceback (most recent call last)" in proc.stderr
    except subprocess.TimeoutExpired:
        rc, tail, crashed = None, [f"timed out after {timeout:.0f} s"], False
    wall = time.perf_counter() - t0
    return {
        "section": "verify",
        **fields,
        "exit_code": rc,
        "crashed": crashed,
        "timeout_s": timeout,
        "last_line": tail[0][:200] if tail else "",
        "stat": single(wall).as_dict(),
    }


def verify(quick: bool) -> list[dict]:
    """``gradspec verify`` (the default, then ``--profile quick``, then each backend) and
    ``gradspec check`` on :data:`CHECKED`, each as a subprocess."""
    runs = [("ci", "numpy,jax"), ("quick", "numpy,jax")]  # the default, and the quick one
    profiles = ("quick", "ci") if quick else ("quick", "ci", "thorough")
    for prof in profiles:
        for be in ("numpy", "jax", "jax-autodiff"):
            if quick and prof == "ci":
                continue  # the default run above covers ci for every backend
            runs.append((prof, be))
    rows = []
    for name, _, _ in CHECKED:  # first: the per-backend runs below may be cut by the budget
        if "torch" in name and importlib.util.find_spec("torch") is None:
            rows.append({"section": "verify", "name": "gradspec check",
                         "command": f"check {name}", "skipped": "torch not installed"})  # fmt: skip
        elif (_CANDIDATES / name).is_file():
            args = ["check", str(_CANDIDATES / name)]
            # warm, as the goal says: the first run may start the worker server (and compile
            # a JAX candidate's functions into the cache); its time is kept as a note
            first = _command_row(args, 60.0)
            row = _command_row(args, 60.0, name="gradspec check", command=f"check {name}")
            row["first_run_s"] = first["stat"]["median"]
            rows.append(row)
    # --quick keeps to a time budget (the whole --quick run must stay under 3 minutes): the
    # default and quick runs first (past 60 s and 20 s their goals are missed anyway), then
    # what time allows.
    budget = 90.0 if quick else float("inf")
    t_verify = time.perf_counter()
    for prof, be in runs:
        left = budget - (time.perf_counter() - t_verify)
        whole = be == "numpy,jax"
        if whole:
            timeout = (60.0 if prof == "ci" else 20.0) if quick else 600.0
        else:
            timeout = min(20.0, left) if quick else 600.0
        if timeout < 5:
            rows.append({"section": "verify", "name": "gradspec verify", "profile": prof,
                         "backend": be, "skipped": "out of the --quick time budget"})  # fmt: skip
            continue
        name = "gradspec verify" + (" (default)" if prof == "ci" and whole else "")
        args = ["verify", "--profile", prof, "--backend", be]
        rows.append(_command_row(args, timeout, name=name, profile=prof, backend=be))
    return rows


# --- GPU --------------------------------------------------------------------------------------


def gpu(quick: bool) -> list[dict]:
    import jax

    try:
        devs = jax.devices("gpu")
    except RuntimeError:
        devs = []
    if not devs:
        return [
            {"section": "gpu", "name": "jax GPU vs CPU step", "skipped": "no GPU visible to JAX"}
        ]
    from gradspec.jaxbackend.mlp import jaxfns

    rows = []
    for case in (nets.XOR, nets.LARGE):
        fns = {}
        for label, dev in (("cpu", jax.devices("cpu")[0]), ("gpu", devs[0])):
            params = jax.device_put(mlp.init_params(case.arch, 0, np.float32), dev)
            X, Y = jax.device_put(nets.data(case, np.float32), dev)
            fns[label] = (lambda p=params, x=X, y=Y, a=case.arch:
                          jax.block_until_ready(jaxfns.grads(a, p, x, y)))  # fmt: skip
        stats, rounds = paired(fns, rounds=5)
        for label, st in stats.items():
            r, _ = ratio(rounds, label, "cpu")
            rows.append({"section": "gpu", "name": f"jax step on {label}", "size": case.label,
                         "dtype": "float32", "stat": st.as_dict(), "ratio": r,
                         "ratio_to": "jax on CPU"})  # fmt: skip
    return rows


# --- goals ------------------------------------------------------------------------------------


def _find(rows, **kw):
    for r in rows:
        if all(r.get(k) == v for k, v in kw.items()) and "stat" in r:
            return r
    return None


def goals(rows: list[dict]) -> list[dict]:
    out = []

    def goal(text, measured, met, note=""):
        out.append({"goal": text, "measured": measured, "met": met, "note": note})

    large = nets.LARGE.label
    for dtype in ("float32", "float64"):
        j = _find(rows, section="steps", size=large, dtype=dtype, name="jax jit (hand backprop)")
        if j:
            jg = _find(rows, section="steps", size=large, dtype=dtype, name="jax jit (jax.grad)")
            best = min((j, jg), key=lambda r: r["vs_own_gemms"])
            goal(f"large step {dtype}: JAX jit within 1.1x of its own GEMMs alone",
                 f"hand {j['vs_own_gemms']:.2f}x, jax.grad {jg['vs_own_gemms']:.2f}x",
                 best["vs_own_gemms"] <= 1.1)  # fmt: skip
            faster_np = best["vs_numpy"] <= 1.0
            vs_t = best.get("vs_torch")
            text = f"{best['vs_numpy']:.2f}x numpy" + (f", {vs_t:.2f}x torch" if vs_t else "")
            goal(f"large step {dtype}: JAX jit at least as fast as numpy and torch", text,
                 faster_np and (vs_t is None or vs_t <= 1.0),
                 "" if vs_t else "torch not installed: numpy only")  # fmt: skip
    fori = _find(rows, section="training", name="jax lax.fori_loop (one jitted program)")
    if fori:
        goal(
            "tiny XOR: jitted fori_loop >= 10x faster per step than the numpy loop",
            f"{fori['speedup_vs_numpy']:.1f}x",
            fori["speedup_vs_numpy"] >= 10,
        )
    for n in sorted({r["params"] for r in rows if r.get("section") == "check"}):
        d = _find(rows, section="check", name="gradspec directional", params=n)
        if not d:
            continue
        goal(f"directional check at {n:,} params within 1.5x of its floor",
             f"{d['ratio_to_floor']:.2f}x (floor {d['floor_s'] * 1e3:.2f} ms = 1 loss+grad + "
             f"{d['evaluations']} losses)", d["ratio_to_floor"] <= 1.5)  # fmt: skip
        if "vs_jax_check_grads" in d:
            r = d["vs_jax_check_grads"]
            goal(f"directional check at {n:,} params faster than jax check_grads (interleaved)",
                 f"{r:.2f}x jax check_grads' time", r < 1.0)  # fmt: skip
        goal(
            f"directional check at {n:,} params detects the planted one-entry error",
            str(d["detected_planted_error"]),
            bool(d["detected_planted_error"]),
        )
    inf = float("inf")
    for n, dtype in dict.fromkeys((r["params"], r["dtype"]) for r in rows
                                  if r.get("section") == "detection"):  # fmt: skip
        here = [r for r in rows if r.get("section") == "detection" and r["params"] == n
                and r["dtype"] == dtype]  # fmt: skip
        ours = next(r for r in here if r["name"] == "gradspec")
        peers = [r for r in here if r["name"] != "gradspec"]

        def fin(r):
            # A checker that fails the true gradient "catches" everything: no detection.
            if r["finest_caught"] is None or r["false_alarm_rate"] > 0:
                return inf
            return r["finest_caught"]

        best = min(peers, key=fin, default=None)
        shown = "none" if ours["finest_caught"] is None else f"{ours['finest_caught']:.0e}"
        if best is not None:
            peer = "none" if fin(best) == inf else f"{best['finest_caught']:.0e}"
            goal(f"detection at {n:,} params {dtype} at least as fine as any peer's",
                 f"gradspec {shown}, best peer {peer} ({best['name']})",
                 fin(ours) <= fin(best))  # fmt: skip
        goal(f"no false alarm on the true gradient at {n:,} params {dtype}",
             f"{ours['false_alarm_rate']:.0%} of {ours['seeds']} seeds",
             ours["false_alarm_rate"] == 0)  # fmt: skip
    for prof, limit in (("ci", 30.0), ("quick", 10.0)):
        v = _find(rows, section="verify", profile=prof, backend="numpy,jax")
        if v and "stat" in v:
            s = v["stat"]["median"]
            what = "(default profile)" if prof == "ci" else "--profile quick"
            goal(
                f"`gradspec verify` {what} within {limit:g} s",
                f"{s:.1f} s, exit code {v['exit_code']}",
                s <= limit and v["exit_code"] in (0, 1) and not v["crashed"],
                "crashed with a traceback: no verdict"
                if v["crashed"]
                else ""
                if v["exit_code"] in (0, 1)
                else "verify did not run to a verdict",
            )
    for name, limit, want in CHECKED:
        c = _find(rows, section="verify", command=f"check {name}")
        if c:
            s = c["stat"]["median"]
            kind = "a correct" if want == 0 else "a buggy"
            wrong = "" if c["exit_code"] == want else f"exit {c['exit_code']}, expected {want}; "
            goal(
                f"`gradspec check` on {kind} file within {limit:g} s, warm ({name})",
                f"{s:.2f} s, exit code {c['exit_code']}",
                s <= limit and c["exit_code"] == want,
                f"{wrong}first run {c.get('first_run_s', float('nan')):.2f} s",
            )
    return out


# --- the whole run ----------------------------------------------------------------------------


def environment() -> dict:
    import jax

    env = {
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "numpy": np.__version__,
        "jax": jax.__version__,
        "jax_devices": [str(d) for d in jax.devices()],
        "loadavg_start": list(os.getloadavg()),
    }
    torch = nets.torch_or_none()
    env["torch"] = torch.__version__ if torch else None
    if torch:
        env["torch_threads"] = torch.get_num_threads()
    return env


def run_all(quick: bool, sections=SECTIONS, log=print, smoke: bool = False) -> dict:
    """Run ``sections``; ``smoke`` (for the unit-test suite) keeps only the two smallest
    networks, a 256^2 GEMM and the 1.6k-parameter checks: it tests structure, not speed."""

    t_start = time.perf_counter()
    rows: list[dict] = []
    env = environment()
    log("GEMM peak...")
    quick = quick or smoke
    rows += gemm_peak(quick, smoke)
    peaks = {d: peak_of(rows, d) for d in ("float32", "float64")}
    if "steps" in sections:
        log("network steps...")
        cases = (nets.XOR, nets.SMALL) if smoke else None
        rows += steps(quick, peaks, cases=cases, log=log)
    if "training" in sections:
        log("tiny-network training loops...")
        rows += training(quick)
    if "checks" in sections:
        for case in (nets.SMALL,) if smoke else (nets.SMALL, nets.MEDIUM):
            log(f"gradient checkers at {case.params:,} parameters...")
            rows += checkers.run_problem(checkers.Problem(case), quick=quick,
                                         full_torch_default=not quick, log=log,
                                         smoke=smoke)  # fmt: skip
    if "detection" in sections:
        log("detection curves: one planted wrong entry of 1e-1 ... 1e-10 of max|g|...")
        rows += detection.detection(quick, smoke, log=log)
    if "compile" in sections:
        log("JAX compile vs steady state...")
        rows += compile_cost(quick, smoke)
    if "derivations" in sections:
        log("SymPy derivation cold vs cached...")
        rows += derivations(quick)
    if "verify" in sections:
        log("gradspec verify (subprocesses)...")
        rows += verify(quick)
    if "gpu" in sections:
        rows += gpu(quick)
    if "grading" in sections:
        n = 20 if smoke else 100
        log(f"grading {n} mixed candidates at -j 1, -j 2 and on a 2-worker Dask cluster...")
        rows += grading.grading(n)
    env["loadavg_end"] = list(os.getloadavg())
    return {
        "schema": SCHEMA,
        "quick": quick,
        "smoke": smoke,
        "environment": env,
        "peak_gflops": peaks,
        "results": rows,
        "goals": goals(rows),
        "elapsed_s": time.perf_counter() - t_start,
    }
