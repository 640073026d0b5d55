"""Rendering of a ``suite.run_all`` result: a rich table and PNG charts (matplotlib Agg)."""

from __future__ import annotations

import os

from rich.console import Console
from rich.table import Table


def _t(seconds: float | None) -> str:
    if seconds is None:
        return ""
    if seconds >= 1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.3g} ms"
    return f"{seconds * 1e6:.3g} us"


def _yn(v) -> str:
    return "" if v is None else ("yes" if v else "NO")


def print_table(result: dict, file=None) -> None:

    console = Console(file=file, width=160)
    rows = result["results"]
    env = result["environment"]
    console.print(
        f"gradspec bench{' --quick' if result['quick'] else ''}: {env['cpus']} CPUs, numpy "
        f"{env['numpy']}, jax {env['jax']} {env['jax_devices']}, torch {env['torch']}; load "
        f"average {env['loadavg_start'][0]:.1f} -> {env['loadavg_end'][0]:.1f}; "
        f"{result['elapsed_s']:.0f} s"
    )
    peaks = result["peak_gflops"]
    console.print(
        f"GEMM peak: float32 {peaks['float32']:.0f} GFLOP/s, float64 {peaks['float64']:.0f}"
    )

    tab = Table(title="Forward+backward step (median of interleaved rounds)")
    for col in ("size", "dtype", "backend", "median", "IQR", "GFLOP/s", "of peak", "x numpy",
                "x own GEMMs", "x torch"):  # fmt: skip
        tab.add_column(col, justify="left" if col in ("size", "dtype", "backend") else "right")
    for r in rows:
        if r["section"] != "steps" or "stat" not in r:
            continue
        s = r["stat"]
        tab.add_row(
            r["size"], r["dtype"], r["name"], _t(s["median"]), _t(s["iqr"]),
            f"{r['gflops']:.3g}", f"{r['fraction_of_peak']:.0%}", f"{r['vs_numpy']:.2f}",
            "" if "GEMMs" in r["name"] else f"{r['vs_own_gemms']:.2f}",
            f"{r['vs_torch']:.2f}" if "vs_torch" in r else "",
        )  # fmt: skip
    console.print(tab)

    tab = Table(title="Tiny XOR network: training loops (per step)")
    for col in ("loop", "median / step", "IQR / step", "speed-up vs numpy"):
        tab.add_column(col, justify="left" if col == "loop" else "right")
    for r in rows:
        if r["section"] == "training":
            s = r["stat"]
            tab.add_row(r["name"], _t(s["median"]), _t(s["iqr"]), f"{r['speedup_vs_numpy']:.1f}x")
    console.print(tab)

    tab = Table(title="Gradient checking, float64 (planted = one wrong gradient entry)")
    for col in ("params", "checker", "median", "IQR", "evals", "vs floor", "true grad passes",
                "planted caught", "note"):  # fmt: skip
        tab.add_column(col, justify="left" if col in ("checker", "note") else "right")
    for r in rows:
        if r["section"] != "check":
            continue
        if "skipped" in r:
            tab.add_row(f"{r['params']:,}", r["name"], "", "", "", "", "", "", r["skipped"])
            continue
        s = r["stat"]
        tab.add_row(
            f"{r['params']:,}", r["name"] + (" (extrapolated)" if r.get("extrapolated") else ""),
            _t(s["median"]), _t(s["iqr"]) if s["samples"] > 1 else "once",
            "" if r.get("evaluations") is None else f"{r['evaluations']:,}",
            f"{r['ratio_to_floor']:.2f}x" if "ratio_to_floor" in r else "",
            _yn(r.get("passed_true_gradient")), _yn(r.get("detected_planted_error")),
            r.get("note", ""),
        )  # fmt: skip
    console.print(tab)

    det = [r for r in rows if r["section"] == "detection"]
    if det:
        tab = Table(title="Detection: one wrong gradient entry, error relative to max|g| "
                    f"({det[0]['seeds']} seeds per level)")  # fmt: skip
        for col in ("params", "dtype", "checker", "finest caught (>= 95% of seeds)",
                    "false alarms on the true gradient", "time"):  # fmt: skip
            tab.add_column(col, justify="left" if col in ("dtype", "checker") else "right")
        for r in det:
            finest = r["finest_caught"]
            tab.add_row(
                f"{r['params']:,}", r["dtype"], r["name"],
                "n/a: fails the true gradient" if r["false_alarm_rate"] > 0
                else "none" if finest is None else f"{finest:.0e}",
                f"{r['false_alarm_rate']:.0%}", f"{r['elapsed_s']:.1f} s",
            )  # fmt: skip
        console.print(tab)

    tab = Table(title="Other costs")
    for col in ("what", "size / run", "median", "ratio", "note"):
        tab.add_column(col, justify="left" if col in ("what", "size / run", "note") else "right")
    for r in rows:
        if r["section"] not in ("compile", "derivations", "verify", "gpu", "grading"):
            continue
        if "skipped" in r:
            where = f"--profile {r['profile']} --backend {r['backend']}" if "profile" in r else ""
            tab.add_row(r["name"], where, "", "", r["skipped"])
            continue
        where = r.get("size", "")
        note = r.get("note", "")
        if r["section"] == "verify":
            where = r.get("command") or f"--profile {r['profile']} --backend {r['backend']}"
            note = f"exit {r['exit_code']}: {r['last_line'][:70]}"
        ratio = f"{r['ratio']:.3g}x {r['ratio_to']}" if "ratio" in r else ""
        tab.add_row(r["name"], where, _t(r["stat"]["median"]), ratio, note)
    console.print(tab)

    tab = Table(title="Goals")
    for col in ("goal", "measured", "met", "note"):
        tab.add_column(col)
    for g in result["goals"]:
        tab.add_row(g["goal"], g["measured"], _yn(g["met"]), g["note"])
    console.print(tab)


def plot(result: dict, outdir: str) -> list[str]:
    """Two charts: step time vs network size per backend (one panel per dtype), and check
    cost vs parameter count per checker.  Returns the paths written."""
    import matplotlib
    import matplotlib.ticker

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    rows = result["results"]
    paths = []
    steps = [r for r in rows if r["section"] == "steps" and "stat" in r]
    if steps:
        fig, axes = plt.subplots(1, 2, figsize=(13, 5.2), sharey=True)
        for ax, dtype in zip(axes, ("float32", "float64"), strict=True):
            for name in dict.fromkeys(r["name"] for r in steps):
                pts = sorted(
                    (r["flops"], r["stat"]["median"], r["stat"]["q1"], r["stat"]["q3"])
                    for r in steps
                    if r["name"] == name and r["dtype"] == dtype
                )
                if not pts:
                    continue
                x = [p[0] for p in pts]
                y = [p[1] for p in pts]
                err = [[p[1] - p[2] for p in pts], [p[3] - p[1] for p in pts]]
                style = "--" if "GEMMs" in name else "-"
                ax.errorbar(x, y, yerr=err, fmt="o" + style, capsize=3, label=name, ms=4)
            peak = result["peak_gflops"][dtype] * 1e9
            xs = sorted({r["flops"] for r in steps})
            lo = min(r["stat"]["q1"] for r in steps) / 3
            ax.plot(xs, [f / peak for f in xs], ":", color="black", label="GEMM peak (roofline)")
            hi = max(r["stat"]["q3"] for r in steps) * 3
            ax.set_ylim(lo, hi)
            for r in steps:
                if r["name"] == "numpy" and r["dtype"] == dtype:
                    ax.annotate(r["size"], (r["flops"], r["stat"]["median"]), fontsize=8,
                                textcoords="offset points", xytext=(4, 6))  # fmt: skip
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xlabel("GEMM FLOPs per step (network size)")
            ax.set_title(f"forward+backward step, {dtype}")
            ax.grid(True, which="both", alpha=0.3)
        axes[0].set_ylabel("time per step [s] (median, IQR bars)")
        axes[0].legend(fontsize=8, loc="upper left")
        fig.suptitle("Dense-network step time vs size per backend (lower is better)")
        fig.tight_layout()
        path = os.path.join(outdir, "steps.png")
        fig.savefig(path, dpi=110)
        plt.close(fig)
        paths.append(path)

    checks = [r for r in rows if r["section"] == "check" and "stat" in r]
    if checks:
        fig, ax = plt.subplots(figsize=(10, 6))
        names = [n for n in dict.fromkeys(r["name"] for r in checks)]
        markers = "os^vD<>ph*"
        for i, name in enumerate(names):
            pts = sorted(
                (r["params"], r["stat"]["median"], r.get("extrapolated", False))
                for r in checks
                if r["name"] == name
            )
            x = [p[0] for p in pts]
            y = [p[1] for p in pts]
            extra = " (extrapolated)" if any(p[2] for p in pts) else ""
            if any(r["name"] == name and r.get("detected_planted_error") is False for r in checks):
                extra += " - MISSES planted error"
            style = ":" if name.startswith("one ") else "-"
            ax.plot(x, y, style, marker=markers[i % len(markers)], label=name + extra)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        ax.set_xlabel("network parameters")
        ax.set_ylabel("time per check [s] (median)")
        ax.set_title("Cost of checking one network gradient, float64 (lower is better)")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))
        fig.tight_layout()
        path = os.path.join(outdir, "checks.png")
        fig.savefig(path, dpi=110)
        plt.close(fig)
        paths.append(path)
    det = [r for r in rows if r["section"] == "detection"]
    if det:
        paths.append(plot_detection(det, outdir, plt))
    return paths


def plot_detection(det: list[dict], outdir: str, plt) -> str:
    """Detection rate vs planted relative error, one panel per size and dtype, one line per
    checker (its false-alarm rate on the true gradient in the legend)."""
    panels = list(dict.fromkeys((r["params"], r["dtype"]) for r in det))
    cols = 2
    nrows = -(-len(panels) // cols)
    fig, axes = plt.subplots(nrows, cols, figsize=(13, 5.2 * nrows), squeeze=False)
    styles = {
        "gradspec": ("o-", 2.4),
        "jax check_grads (rev)": ("s--", 1.6),
        "torch gradcheck fast_mode": ("^:", 1.6),
        "torch gradcheck default": ("v-.", 1.6),
    }
    for ax, (params, dtype) in zip(axes.flat, panels, strict=False):
        for r in det:
            if (r["params"], r["dtype"]) != (params, dtype):
                continue
            fmt, lw = styles.get(r["name"], ("x-", 1.4))
            short = r["name"].replace("torch gradcheck", "torch").replace(" (rev)", "")
            label = f"{short}: false alarms {r['false_alarm_rate']:.0%}"
            pts = [(lv, 100 * x) for lv, x in zip(r["levels"], r["detection_rate"], strict=True)
                   if x is not None]  # fmt: skip
            if not pts:
                label += " (levels not run)"
            ax.plot([q[0] for q in pts], [q[1] for q in pts], fmt, lw=lw, ms=5, label=label)
        ax.axhline(95, color="grey", lw=0.8, ls=":")
        ax.set_xscale("log")
        ax.invert_xaxis()  # left to right: harder (smaller) errors
        ax.set_ylim(-5, 105)
        ax.set_xlabel("planted error of one entry / max|gradient|")
        ax.set_ylabel("caught [% of seeds]")
        ax.set_title(f"{params:,} parameters, {dtype}")
        ax.grid(True, which="major", alpha=0.3)
        # below the panel: inside, it hid the lines at 0% and 100%
        ax.legend(fontsize=8, loc="upper center", bbox_to_anchor=(0.5, -0.15), ncol=2)
    for ax in list(axes.flat)[len(panels) :]:
        ax.set_visible(False)
    fig.suptitle(
        f"Gradient checkers: detection of one wrong entry ({det[0]['seeds']} seeds per point; "
        "dotted line: 95%)"
    )
    fig.tight_layout()
    path = os.path.join(outdir, "detection.png")
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
