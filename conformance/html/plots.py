"""The report's figures (matplotlib, Agg backend), drawn from the report data alone:

* per failing or warned elementwise check (its ``samples``): the candidate's values at the
  tested inputs against the reference (the spec's truth, or the numeric derivative of the
  candidate's own forward), failing elements marked; beneath, the error in eps-units (log
  scale) against the input with the budget (pass up to) and the wrong-math threshold (fail
  beyond) that the error model gave each element;
* per failing or warned ``derivative_numeric`` check (its ``steps``): the error of a plain
  central difference at the worst input against the step, with the error of the Ridders
  extrapolation the check used and its own error estimate: why the check trusts its
  numeric reference;
* per failing or warned network ``gradient`` or ``reference`` check (its ``tensors``): one
  panel per parameter tensor, a weight matrix as a heatmap of its gradient's error in
  eps-units, a bias as bars, on one log colour scale with the wrong-math threshold marked.

The number of figures is bounded (:data:`MAX_FIGURES` per page, :data:`MAX_PER_IMPLEMENTATION`
per implementation): the page says how many were left out.
"""

from __future__ import annotations

import io
import math
import os
from dataclasses import dataclass
from typing import Any

import numpy as np

from gradspec.conformance.html._util import as_float, slug

_COLUMNS = ("x", "reference", "actual", "units", "threshold")

#: At most this many figures on one page ...
MAX_FIGURES = 30
#: ... and this many per implementation when there are several (the worst results first,
#: one per function before a second one of any).
MAX_PER_IMPLEMENTATION = 3

#: Where an error of exactly 0 eps-units is drawn on the log axis ...
ZERO_UNITS = 1e-2
#: ... and the top of that axis at most (matplotlib's log ticks overflow near 1e308).
CAP_UNITS = 1e200

_DPI = 90


@dataclass
class Figure:
    """One drawn figure: the result it belongs to, a caption, the PNG and its file name."""

    impl_index: int
    result_index: int
    caption: str
    png: bytes
    filename: str


def _plt():
    import matplotlib

    matplotlib.use("Agg")  # never a window: the figures only go into files and the page
    import matplotlib.pyplot as plt

    return plt


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=_DPI, metadata={"Software": None})
    _plt().close(fig)
    return buf.getvalue()


def function_figure(r: dict[str, Any]) -> bytes | None:
    """Values against the reference, and the error in eps-units, at the tested inputs."""
    s = r.get("samples")
    w = r.get("worst")
    if not s or not w or not s.get("x"):
        return None
    cols = {c: np.array([as_float(v) for v in s[c]]) for c in _COLUMNS}
    order = np.argsort(cols["x"], kind="stable")
    keep = order[np.isfinite(cols["x"][order])]
    if not keep.size:
        return None
    x, ref, act, units, thr = (cols[c][keep] for c in _COLUMNS)
    fails = ~(units <= thr)  # NaN fails
    plt = _plt()
    # A fixed layout (legends in the right margin): matplotlib's constrained layout would
    # take half of the drawing time.
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(7.0, 5.6), sharex=True, height_ratios=(3, 2))
    fig.subplots_adjust(left=0.12, right=0.64, top=0.94, bottom=0.13, hspace=0.08)
    ref_label = (
        "spec (truth)" if s["reference_label"] == "truth" else "numeric derivative of its forward"
    )
    fin_ref, fin_act = np.isfinite(ref), np.isfinite(act)
    others = s.get("other_inputs") or []
    if fin_ref.any():
        # One input: the reference is a curve over it.  With others that vary too (a cost's
        # target), points at the same input need not lie on one curve: markers only.
        style = dict(ls="-", lw=1.2) if not others else dict(ls="none", marker="o", mfc="none")
        top.plot(x[fin_ref], ref[fin_ref], color="#4a4a4a", label=ref_label, ms=7, **style)
    good, bad = fin_act & ~fails, fin_act & fails
    if good.any():
        top.plot(x[good], act[good], "o", ms=4, color="#1f6feb", label="candidate", zorder=2)
    if bad.any():
        top.plot(x[bad], act[bad], "X", ms=7, color="#cf222e", label="candidate, failing",
                 zorder=3)  # fmt: skip
    nonfinite = ~fin_act & fin_ref
    if nonfinite.any():
        top.plot(x[nonfinite], ref[nonfinite], "^", ms=7, color="#cf222e", mfc="none",
                 label="non-finite (at the spec's value)")  # fmt: skip
    top.set_ylabel(f"{r['check']} at {s['input']}")
    top.set_title(r["id"], fontsize=10)
    top.grid(alpha=0.3)
    top.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)

    budget = as_float(w["budget"])
    # The y range: up to 10x the largest finite error, the budget or the typical threshold
    # (an element of zero scale can have a threshold near the float64 maximum: clipped).
    fin_thr = thr[np.isfinite(thr)]
    typical = float(np.median(fin_thr)) if fin_thr.size else 0.0
    top_units = float(units[np.isfinite(units)].max(initial=0.0))
    cap = min(10 * max(top_units, budget, typical, 1.0), CAP_UNITS)
    shown = np.where(np.isfinite(units), np.clip(units, ZERO_UNITS, cap), cap)
    over = ~fails & ~(units <= budget)
    for mask, colour, label in (
        (~fails & ~over, "#1f6feb", "error within the budget"),
        (over, "#bf8700", "beyond the budget: warn"),
        (fails, "#cf222e", "beyond the threshold: fail"),
    ):
        if mask.any():
            bottom.scatter(x[mask], shown[mask], s=14, c=colour, zorder=3, label=label)
    bottom.axhline(budget, color="#1a7f37", ls="--", lw=1.2, label=f"budget {budget:g}: pass up to")
    if np.isfinite(thr).any():
        # One input: the threshold is a curve over it; with others varying, a mark per element.
        style = dict(ls=":", lw=1.5) if not others else dict(ls="none", marker="_", ms=8)
        bottom.plot(x, np.where(np.isfinite(thr), np.minimum(thr, cap), np.nan), color="#cf222e",
                    label="wrong-math threshold: fail beyond", **style)  # fmt: skip
    bottom.set_yscale("log")
    if np.abs(x).max() > 50 * max(1.0, float(np.median(np.abs(x)))):
        # Inputs over many magnitudes (extremes, saturation): a linear axis would squash the
        # ones near 0 into one column.
        bottom.set_xscale("symlog", linthresh=1.0)
        bottom.set_xlim(float(x.min()), float(x.max()))  # no empty decades around the data
    bottom.set_ylim(ZERO_UNITS / 2, cap * 2)
    unit = f"{w['working_dtype']} eps-units" if w.get("working_dtype") else "eps-units"
    bottom.set_ylabel(f"error ({unit})")
    bottom.set_xlabel(s["input"] + (f" (also varying: {', '.join(others)})" if others else ""))
    bottom.grid(alpha=0.3)
    bottom.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    bottom.text(
        0.0,
        -0.32,
        f"{x.size} tested elements; 0 is drawn at {ZERO_UNITS:g}, a non-finite error at the top",
        transform=bottom.transAxes,
        fontsize=7,
        color="#555",
    )
    return _png(fig)


def steps_figure(r: dict[str, Any]) -> bytes | None:
    """The central difference's error against its step at the worst input."""
    st = r.get("steps")
    if not st or not st.get("h"):
        return None
    truth = st.get("truth")
    ridders = as_float(st["ridders"])
    ref = as_float(truth) if truth is not None else ridders
    if not math.isfinite(ref):
        return None
    h = [as_float(v) for v in st["h"]]
    err = [abs(as_float(c) - ref) for c in st["central"]]
    floor = min([e for e in err if e > 0] or [1e-17]) / 10
    plt = _plt()
    fig, ax = plt.subplots(figsize=(7.0, 3.8))
    fig.subplots_adjust(left=0.13, right=0.6, top=0.9, bottom=0.15)
    ax.loglog(h, [max(e, floor) if math.isfinite(e) else math.nan for e in err], "o-", ms=4,
              color="#1f6feb", label="(f(x+h) - f(x-h)) / 2h of its forward f")  # fmt: skip
    ax.axvline(h[0], color="#888", ls=":", lw=1, label="first step of the extrapolation")
    if truth is not None:
        ax.axhline(
            max(abs(ridders - ref), floor),
            color="#1a7f37",
            ls="--",
            label="Ridders extrapolation used by the check",
        )
    est = as_float(st.get("ridders_error"))
    if math.isfinite(est) and est > 0:
        ax.axhline(est, color="#9a6700", ls="-.", label="its own error estimate (allowance)")
    against = "the spec's derivative" if truth is not None else "the Ridders value"
    ax.set_xlabel("step h")
    ax.set_ylabel(f"|error| against {against}")
    # A figure title from the left edge: centred over the narrow axes, a long check id ran
    # off the figure's left side.
    fig.suptitle(
        f"{r['id']}: numeric derivative at {st['input']} = {st['x']:.6g}",
        x=0.01,
        ha="left",
        fontsize=10,
    )
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    return _png(fig)


#: At most this many tensor panels in one network figure (the worst tensors; the figure
#: says how many it left out).
MAX_PANELS = 8
#: Heatmap cells written out as numbers up to this many per panel.
_LABELLED_CELLS = 24


def _tensor_grid(t: dict[str, Any]) -> np.ndarray:
    """A tensor's recorded error as a 2-D array (a vector as one row)."""
    u = t["units"]
    rows = u if u and isinstance(u[0], list) else [u]
    return np.array([[as_float(v) for v in row] for row in rows])


def _short(v: float) -> str:
    return "0" if v == 0 else ("inf" if not math.isfinite(v) else f"{v:.2g}")


def network_figure(r: dict[str, Any]) -> bytes | None:
    """One panel per parameter tensor of a network (its ``tensors``): a weight matrix as a
    heatmap of its gradient's error in eps-units (log colour scale, one for all panels), a
    bias as bars on the same scale; the wrong-math threshold on the colour bar and on the
    bars, elements beyond it marked."""
    tensors = r.get("tensors")
    if not tensors:
        return None
    from matplotlib.colors import LogNorm
    from matplotlib.ticker import MaxNLocator

    shown = tensors
    if len(tensors) > MAX_PANELS:  # the worst ones, in the network's order
        worst = sorted(range(len(tensors)), key=lambda i: -as_float(tensors[i]["max_units"]))
        shown = [tensors[i] for i in sorted(worst[:MAX_PANELS])]
    grids = [_tensor_grid(t) for t in shown]
    thr = as_float(shown[0]["threshold"])
    budget = as_float(shown[0]["budget"])
    finite = [g[np.isfinite(g)] for g in grids]
    top = max([float(f.max()) for f in finite if f.size] + [thr, budget, 1.0])
    cap = min(10 * top, CAP_UNITS)
    norm = LogNorm(vmin=ZERO_UNITS, vmax=cap)
    cmap = _plt().get_cmap("magma_r")
    cols = 1 if len(shown) == 1 else 2
    rows = -(-len(shown) // cols)
    plt = _plt()
    inch = 1 / (1.1 + 2.0 * rows)  # one inch of the figure's height
    fig, axes = plt.subplots(rows, cols, figsize=(7.0, 1.1 + 2.0 * rows), squeeze=False)
    fig.subplots_adjust(left=0.1, right=0.84, top=1 - 0.6 * inch, bottom=0.75 * inch,
                        hspace=0.6, wspace=0.35)  # fmt: skip
    for ax, t, g in zip(axes.ravel(), shown, grids, strict=False):
        vals = np.where(np.isfinite(g), np.clip(g, ZERO_UNITS, cap), cap)
        bad = ~(g <= thr)
        shape = "x".join(str(n) for n in t["shape"]) or "scalar"
        block = [int(b) for b in t.get("block", [])]
        title = f"{t['name']} ({shape})"
        if any(b > 1 for b in block):
            title += f", max over {'x'.join(map(str, block))} blocks"
        ax.set_title(title, fontsize=9)
        if len(t["shape"]) >= 2:
            ax.imshow(vals, cmap=cmap, norm=norm, aspect="auto", interpolation="nearest")
            ax.set_xlabel("column", fontsize=8)
            ax.set_ylabel("row", fontsize=8)
            if g.size <= _LABELLED_CELLS:
                for (i, j), v in np.ndenumerate(g):
                    ink = "white" if norm(vals[i, j]) > 0.55 else "black"
                    label = _short(v) + ("\n> thr" if bad[i, j] else "")
                    ax.text(j, i, label, ha="center", va="center", fontsize=7, color=ink)
            elif bad.any() and not bad.all():
                # The border of the cells beyond the threshold (marks on every cell would
                # hide their colours).
                ax.contour(bad.astype(float), levels=[0.5], colors="#1f6feb", linewidths=1.2)
        else:
            v = vals.ravel()
            x = np.arange(v.size)
            ax.bar(x, v, color=cmap(norm(v)), edgecolor="#444", lw=0.5, bottom=ZERO_UNITS / 2)
            ax.set_yscale("log")
            ax.set_ylim(ZERO_UNITS / 2, cap * 2)
            ax.axhline(thr, color="#cf222e", ls=":", lw=1.3)
            ax.axhline(budget, color="#1a7f37", ls="--", lw=1.0)
            ax.set_xlabel("element", fontsize=8)
            ax.set_ylabel("eps-units", fontsize=8)
            ax.set_xlim(-0.6, v.size - 0.4)
        ax.tick_params(labelsize=7)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        if len(t["shape"]) >= 2:
            ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        if g.shape[-1] <= 12:
            ax.set_xticks(range(g.shape[-1]))
        if len(t["shape"]) >= 2 and g.shape[0] <= 12:
            ax.set_yticks(range(g.shape[0]))
    for ax in axes.ravel()[len(shown) :]:
        ax.axis("off")
    height = min(1 - 1.35 * inch, 4.2 * inch)  # at most two rows' height, from the top
    cax = fig.add_axes((0.88, 1 - 0.6 * inch - height, 0.025, height))
    bar = fig.colorbar(plt.cm.ScalarMappable(norm=norm, cmap=cmap), cax=cax)
    for level, colour, ls in ((thr, "#cf222e", ":"), (budget, "#1a7f37", "--")):
        # White beneath: the line shows on the dark end of the scale as on the light one.
        bar.ax.axhline(level, color="white", lw=4)
        bar.ax.axhline(level, color=colour, ls=ls, lw=2)
    bar.ax.tick_params(labelsize=7)
    bar.set_label("error (eps-units)", fontsize=8)
    kind = shown[0].get("kind", "")
    what = {
        "reference network": "against the reference network's gradient (ARCH)",
        "numeric gradient of its loss": "against the numeric gradient of its own loss",
        "random direction in the tensor": "one number per tensor: a random direction "
        "restricted to it, against its loss's numeric slope",
    }.get(kind, kind)
    fig.text(0.01, 1 - 0.08 * inch, f"{r['id']}\ngradient error per tensor, {what}",
             fontsize=8, va="top")  # fmt: skip
    foot = (
        f"wrong-math threshold {thr:.3g} (red, dotted): fail beyond; budget {budget:g} "
        f"(green, dashed): pass up to; 0 is drawn at {ZERO_UNITS:g}"
    )
    if len(shown) < len(tensors):
        foot += f"\n{len(tensors) - len(shown)} tensors with smaller errors left out"
    fig.text(0.01, 0.01, foot, fontsize=7, color="#555")
    return _png(fig)


def _priority(r: dict[str, Any]) -> tuple[int, float]:
    w = r.get("worst") or {}
    ratio = as_float(w.get("ratio_to_fail_threshold", 0.0))
    return (0 if r["status"] in ("fail", "error") else 1, -(ratio if ratio == ratio else 1e308))


def _error_to_show(r: dict[str, Any]) -> bool:
    """A values figure is drawn for a failure, or a warning whose worst error is beyond the
    budget (a precision loss); a warning about something else (a float32 working precision,
    a convention) has nothing to see in its errors."""
    if not r.get("samples"):
        return False
    w = r.get("worst") or {}
    return r["status"] in ("fail", "error") or not as_float(w.get("units")) <= as_float(
        w.get("budget")
    )


def _wanted(impl: dict[str, Any]) -> list[tuple[int, dict[str, Any], str]]:
    """The figures one implementation's results call for, the most important first: the
    worst result of each function, then the others; one per (function, check, kind), since
    a check's dtypes look alike."""
    results = [
        (j, r)
        for j, r in enumerate(impl["results"])
        if r["status"] in ("fail", "warn", "error", "xfail")
        and (r.get("samples") or r.get("steps") or r.get("tensors"))
    ]
    results.sort(key=lambda jr: _priority(jr[1]))
    first: dict[str, int] = {}
    for j, r in results:
        first.setdefault(r["subject"], j)
    results.sort(key=lambda jr: first[jr[1]["subject"]] != jr[0])
    out, seen = [], set()
    for j, r in results:
        for kind, wanted in (
            ("values", _error_to_show(r)),
            ("steps", bool(r.get("steps"))),
            ("tensors", bool(r.get("tensors"))),
        ):
            if wanted and (r["subject"], r["check"], kind) not in seen:
                seen.add((r["subject"], r["check"], kind))
                out.append((j, r, kind))
    return out


_DRAW = {"values": function_figure, "steps": steps_figure, "tensors": network_figure}
_CAPTIONS = {
    "values": ": values and error in eps-units at the tested inputs",
    "steps": ": numeric derivative's error against the step",
    "tensors": ": gradient error in eps-units per parameter tensor",
}


def draw(impls: list[dict[str, Any]]) -> tuple[list[Figure], int]:
    """The figures of a page, within the bounds; returns (figures, how many were left out:
    beyond the bounds, or not drawable).  With many implementations, each one's first figure
    comes before any one's second: a course's page shows as many submissions as it can."""
    wanted = [_wanted(impl) for impl in impls]
    # Many implementations share the page: each gets a few; one alone may use it all.
    limit = MAX_PER_IMPLEMENTATION if len(impls) > 1 else MAX_FIGURES
    chosen: list[tuple[int, int]] = []  # (implementation, rank in its list)
    for rank in range(limit):
        for i, w in enumerate(wanted):
            if rank < len(w) and len(chosen) < MAX_FIGURES:
                chosen.append((i, rank))
    left_out = sum(len(w) for w in wanted) - len(chosen)
    figures: list[Figure] = []
    for i, rank in sorted(chosen):
        j, r, kind = wanted[i][rank]
        try:
            png = _DRAW[kind](r)
        except Exception:  # a figure is a courtesy: never lose the report over one
            _plt().close("all")
            png = None
        if png is None:
            left_out += 1
            continue
        caption = r["id"] + _CAPTIONS[kind]
        name = f"{i:03d}-{slug(impls[i]['implementation'])}-{slug(r['id'])}-{kind}.png"
        figures.append(Figure(i, j, caption, png, name))
    return figures, left_out


def write_pngs(figures: list[Figure], folder: str) -> list[str]:
    """Each figure as a PNG file in ``folder`` (created); the paths written."""
    os.makedirs(folder, exist_ok=True)
    paths = []
    for f in figures:
        path = os.path.join(folder, f.filename)
        with open(path, "wb") as fh:
            fh.write(f.png)
        paths.append(path)
    return paths
