"""Render :class:`ReportData` as one self-contained HTML file.

Charts are drawn with matplotlib (Agg, no pyplot state) and embedded once each
as base64 PNG ``data:`` URIs; CSS is inline; the page makes no network request.
The jinja2 environment has autoescape on, so any value from the data (a label
cell holding ``<script>``) is shown as text.
"""

from __future__ import annotations

import base64
import dataclasses
import io
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from ..io import atomic_path, expand_home
from ._build import FLAG_ORDER, REGRESSION_GROUPS, ReportData
from .formats import escape_controls, label_text, number_text, target_text

__all__ = ["render_html", "write_report"]

_FLAG_COLORS = {"ok": "#9aa5b1", "hard": "#e69f00", "mislabeled": "#d62728"}
#: Each flag's marker too: the colours alone do not tell hard from mislabeled to a reader with a red-green colour
#: deficiency (or on a grey printout).
_FLAG_MARKERS = {"ok": "o", "hard": "^", "mislabeled": "X"}
_PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f", "#393b79"]
_MAX_CLASSES_DRAWN = 10
#: Most bars of the per-class flag chart.
_MAX_CLASS_BARS = 20
_DPI = 96


def _figure(width: float, height: float) -> Any:
    _import_matplotlib_quietly()
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height), dpi=_DPI, layout="constrained")


def _import_matplotlib_quietly() -> None:
    """Import matplotlib with its logger's warnings held back: where its config folder cannot be created (an
    unwritable ``HOME``, as under ``docker --user``) it makes a temporary one itself, removed at exit, and says so
    in two warnings that a ``-q`` or ``--json`` run must not print."""
    import logging
    import sys

    if "matplotlib" in sys.modules:
        return
    logger = logging.getLogger("matplotlib")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        import matplotlib  # noqa: F401
    finally:
        logger.setLevel(level)


def _png(fig: Any) -> str:
    import warnings

    buf = io.BytesIO()
    with warnings.catch_warnings():
        # "Glyph 20013 missing from font(s) DejaVu Sans": a class name in a script the bundled font lacks is drawn as
        # boxes in the chart (the report's HTML tables show it as written); not the user's problem to fix, and under
        # PYTHONWARNINGS=error it would end the run
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .*missing from", category=UserWarning)
        # said when placing a legend took over a second (a busy machine): a timing, not a fault of the chart
        warnings.filterwarnings("ignore", message=r"Creating legend with loc=.best. can be slow", category=UserWarning)
        # no Software/date metadata: the same data gives byte-identical charts
        fig.savefig(buf, format="png", dpi=_DPI, metadata={"Software": None})
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _short(text: str, n: int = 24) -> str:
    """``text`` cut to ``n`` characters in its middle (names that differ at their end, ``class_..._1`` and
    ``class_..._2``, stay apart), as matplotlib must be given a value from the data (:func:`_mpl_text`).

    >>> _short("class_" + "x" * 80 + "_12")
    'class_xxxxxxxxx…xxxxx_12'
    """
    if len(text) > n:
        head = (n - 1) * 2 // 3
        text = text[:head] + "…" + text[len(text) - (n - 1 - head):]
    return _mpl_text(text)


def _short_names(texts: Sequence[str], n: int = 24) -> list[str]:
    """:func:`_short` of each text, longer where that would show two different names as one text
    (``customer_north_..._A`` and ``customer_south_..._A`` differ only in the middle the cut removes):
    the cut is widened for those names until they read apart, up to showing them whole.

    >>> _short_names(["customer_segment_" + w + "_region_A" for w in ("north", "south")] + ["B" * 30])
    ['customer_segment_north_region_A', 'customer_segment_south_region_A', 'BBBBBBBBBBBBBBB…BBBBBBBB']
    """
    texts = [str(t) for t in texts]
    width = dict.fromkeys(texts, n)
    while True:
        shown: dict[str, set[str]] = {}
        for t in texts:
            shown.setdefault(_short(t, width[t]), set()).add(t)
        clashing = [t for group in shown.values() if len(group) > 1 for t in group if len(t) > width[t]]
        if not clashing:
            return [_short(t, width[t]) for t in texts]
        for t in clashing:
            width[t] += 8


def _mpl_text(text: str) -> str:
    r"""A value from the data as matplotlib text: shown as it is.

    A ``$`` would start mathtext (``$a^$`` cannot be parsed: the chart, and the report,
    would fail) and a legend leaves out labels that start with ``_``.

    Examples
    --------
    >>> print(_mpl_text("$a^$") + "|" + _mpl_text("_neg"))
    \$a^\$| _neg
    """
    text = text.replace("$", r"\$")
    return " " + text if text.startswith("_") else text


def _marginal(method: str) -> bool:
    """Whether ``method``'s values are marginal contributions, whose 0 divides helpful rows from harmful ones
    (:attr:`~dvclean.valuation.MethodInfo.marginal`; True for a name not registered)."""
    from ..valuation import REGISTRY

    info = REGISTRY.get(method)
    return info is None or info.marginal


def _value_chart(report: ReportData) -> str | None:
    methods = list(report.values)[:6]
    if not methods or report.labels.size == 0:
        return None
    classes = sorted(set(report.labels.tolist()))
    counts = {c: int((report.labels == c).sum()) for c in classes}
    shown = sorted(classes, key=lambda c: -counts[c])[:_MAX_CLASSES_DRAWN]
    colors = {c: _PALETTE[i % len(_PALETTE)] for i, c in enumerate(shown)}
    if report.regression:  # no classes: the outlying targets against the other rows, in the flag colours
        shown = [g for g in REGRESSION_GROUPS if g in counts]
        colors = {REGRESSION_GROUPS[0]: _FLAG_COLORS["ok"], REGRESSION_GROUPS[1]: _FLAG_COLORS["mislabeled"]}
    legend = dict(zip(shown, _short_names([str(c) for c in shown]), strict=True))
    fig = _figure(7.5, 2.6 * len(methods))
    axes = fig.subplots(len(methods), 1, squeeze=False)[:, 0]
    for ax, m in zip(axes, methods, strict=True):
        v = report.values[m]
        finite = np.isfinite(v)
        if not finite.any():
            ax.text(0.5, 0.5, "no finite values", ha="center", transform=ax.transAxes)
            continue
        lo, hi = np.percentile(v[finite], [0.5, 99.5])
        if hi <= lo:
            lo, hi = float(v[finite].min()) - 1e-9, float(v[finite].max()) + 1e-9
        bins = np.linspace(lo, hi, 50)
        for c in shown:
            sel = (report.labels == c) & finite
            ax.hist(np.clip(v[sel], lo, hi), bins=bins, histtype="step", linewidth=1.6,
                    color=colors[c], label=f"{legend[c]} (n={counts[c]:,})")
        marginal = _marginal(m)
        if marginal:  # (Data-OOB's and the confidence's 0 marks nothing: they are a row's own score)
            ax.axvline(0.0, color="black", linewidth=0.8, linestyle="--")
        per = "of outlying targets and other rows" if report.regression else (
            "per class" if len(shown) == len(classes) else f"per class (the {len(shown)} largest of {len(classes)})")
        ax.set_title(f"value distribution {per}: {m}", fontsize=10, loc="left")
        ax.set_xlabel(f"value (higher = more useful{'; < 0 hurts the model' if marginal else ''})"
                      + _clipped_note(v[finite], lo, hi))
        ax.set_ylabel("rows")
        ax.legend(fontsize=8, frameon=False)
    return _png(fig)


def _clipped_note(v: np.ndarray, lo: float, hi: float) -> str:
    """What the value chart draws in its end bins: the values beyond the 0.5th and 99.5th percentiles (so that a
    few extreme rows do not squeeze every other one into a bin or two), with the true extremes."""
    below, above = int((v < lo).sum()), int((v > hi).sum())
    parts = ([f"{below:,} below, down to {float(v.min()):.4g}"] if below else []) + (
        [f"{above:,} above, up to {float(v.max()):.4g}"] if above else [])
    return f"\nend bins also hold the rows beyond the axis: {'; '.join(parts)}" if parts else ""


def _projection_chart(report: ReportData) -> str | None:
    if report.projection is None or report.projection_flags is None or report.projection.shape[0] == 0:
        return None
    fig = _figure(7.0, 5.2)
    ax = fig.subplots()
    names = report.flag_names
    for f in FLAG_ORDER:
        sel = report.projection_flags == f
        if sel.any():
            ax.scatter(report.projection[sel, 0], report.projection[sel, 1], s=6 if f == "ok" else 18,
                       alpha=0.45 if f == "ok" else 0.9, color=_FLAG_COLORS[f], marker=_FLAG_MARKERS[f], label=f"{names[f]} ({int(sel.sum()):,})",
                       linewidths=0, rasterized=True)
    ax.set_xlabel("PC 1")
    ax.set_ylabel("PC 2")
    ax.set_title("rows projected on their first two principal components, marked by flag", fontsize=10, loc="left")
    ax.legend(fontsize=8, markerscale=2)
    return _png(fig)


def class_bars(per_class: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The classes the per-class flag chart draws, largest first: all of them, or with more than
    :data:`_MAX_CLASS_BARS` the ones with the most flagged rows (often small classes flagged whole,
    which the largest classes would leave out); the chart's title says how many of how many.

    >>> rows = [{"class": f"c{i}", "rows": 100 - i, "mislabeled": 0, "hard": 0} for i in range(25)]
    >>> rows[-1].update(rows=3, mislabeled=3)
    >>> [r["class"] for r in class_bars(rows)][-1]
    'c24'
    """
    chosen = sorted(per_class, key=lambda r: (-(r["mislabeled"] + r["hard"]), -r["rows"]))[:_MAX_CLASS_BARS]
    return sorted(chosen, key=lambda r: -r["rows"])


def _class_chart(report: ReportData) -> str | None:
    pc = class_bars(report.per_class)
    if not pc:
        return None
    left_out = len(report.per_class) - len(pc)
    fig = _figure(7.0, 0.45 * len(pc) + 1.4)
    ax = fig.subplots()
    names = _short_names([str(r["class"]) for r in pc])[::-1]
    mis = np.array([r["mislabeled"] for r in pc][::-1])
    hard = np.array([r["hard"] for r in pc][::-1])
    ys = np.arange(len(pc))  # one bar per class, even when two class names are cut to the same text
    ax.barh(ys, mis, color=_FLAG_COLORS["mislabeled"], label="mislabeled")
    ax.barh(ys, hard, left=mis, color=_FLAG_COLORS["hard"], label="hard")
    ax.set_yticks(ys, names)
    ax.set_xlabel("flagged rows")
    ax.set_title("flagged rows per class" + (f" (the {len(pc)} of {len(report.per_class)} classes with the most "
                                             "flagged rows)" if left_out else ""), fontsize=10, loc="left")
    ax.legend(fontsize=8, frameon=False)
    return _png(fig)


def _stacked_hist(ax: Any, values: np.ndarray, flags: np.ndarray, bins: np.ndarray, names: dict[str, str]) -> None:
    """Histogram of ``values`` with the rows of each flag stacked in its colour (ok, hard, flagged)."""
    parts = [(f, values[flags == f]) for f in FLAG_ORDER]
    parts = [(f, v) for f, v in parts if v.size]
    if not parts:
        return
    ax.hist([v for _, v in parts], bins=bins, stacked=True, color=[_FLAG_COLORS[f] for f, _ in parts],
            label=[f"{names[f]} ({v.size:,})" for f, v in parts])


def _in_units(y: np.ndarray) -> tuple[np.ndarray, str]:
    """Finite ``y`` and the axis label's unit: divided by a power of ten beyond 1e±100 (the span of targets near 1e307
    overflows, and the tick locator fails), with " (× 1e307)" to say so.

    >>> _in_units(np.array([2e307, -1e307]))[1]
    ' (× 1e307)'
    """
    top = float(np.max(np.abs(y))) if y.size else 0.0
    if top == 0.0 or 1e-100 <= top <= 1e100:
        return y, ""
    exp = int(np.floor(np.log10(top)))
    return y / 10.0 ** exp, f" (× 1e{exp})"


def _target_chart(report: ReportData) -> str | None:
    """Regression: the target's distribution and the residual's robust z, flagged rows stacked in their colour."""
    t = report.target
    if not t or t["values"].size == 0:
        return None
    y, flags, z = t["values"], t["flags"], t["z"]
    ok = np.isfinite(y)
    if not ok.any():
        return None
    names = report.flag_names
    panels = 2 if z is not None and np.isfinite(z).any() else 1
    fig = _figure(7.5, 2.8 * panels)
    axes = fig.subplots(panels, 1, squeeze=False)[:, 0]
    shown, unit = _in_units(y[ok])
    lo, hi = float(shown.min()), float(shown.max())
    if hi <= lo:
        lo, hi = lo - 0.5, hi + 0.5
    _stacked_hist(axes[0], shown, flags[ok], np.linspace(lo, hi, 50), names)
    axes[0].set_title(f"target distribution ({_short(str(report.meta.get('label') or 'label'), 40)})", fontsize=10, loc="left")
    axes[0].set_xlabel("target" + unit)
    axes[0].set_ylabel("rows")
    axes[0].legend(fontsize=8, frameon=False)
    if panels == 2 and z is not None:
        fz = np.isfinite(z)
        cut = t.get("cutoff")
        zlo, zhi = float(z[fz].min()), float(z[fz].max())
        if cut:
            zlo, zhi = min(zlo, -1.5 * cut), max(zhi, 1.5 * cut)
        if zhi <= zlo:
            zlo, zhi = zlo - 1.0, zhi + 1.0
        ax = axes[1]
        _stacked_hist(ax, z[fz], flags[fz], np.linspace(zlo, zhi, 60), names)
        if cut:
            for c in (-cut, cut):
                ax.axvline(c, color="black", linewidth=0.8, linestyle="--")
        ax.set_title("robust z of the residual (target − out-of-sample prediction)"
                     + (f"; cutoff ±{cut:g}" if cut else ""), fontsize=10, loc="left")
        ax.set_xlabel("target_z (> 0: target above its prediction)")
        ax.set_ylabel("rows")
        ax.legend(fontsize=8, frameon=False)
    return _png(fig)


def _arms(aug: dict[str, Any] | None) -> tuple[str | None, list[dict[str, Any]]]:
    """Rows of the three-arm table: arm, rows, metric means with 95% CI half-widths, deltas."""
    if not aug or not isinstance(aug.get("evaluation"), dict):
        return None, []
    ev = aug["evaluation"]
    arms = ev.get("arms") or {}
    primary = ev.get("primary_metric")
    out = []
    for name, entry in arms.items():
        if not isinstance(entry, dict):
            continue
        metrics = {k: v for k, v in entry.items() if isinstance(v, dict) and "mean" in v and not k.startswith("delta_")}
        deltas = {k[len("delta_"):]: v for k, v in entry.items() if k.startswith("delta_") and isinstance(v, dict)}
        out.append({"arm": name, "rows": entry.get("rows"), "metrics": metrics, "deltas": deltas})
    return primary, out


def _mix(mix: Any) -> str:
    if not isinstance(mix, dict) or not mix:
        return ""
    return ", ".join(f"{label_text(k)}: {v}" for k, v in mix.items())  # (' no' beside no)


def _augment_summary(aug: dict[str, Any] | None) -> list[tuple[str, str]]:
    """``(what, value)`` rows naming the input, generator, target set and synthetic rows of an augment run."""
    if not aug:
        return []

    def part(key: str) -> dict[str, Any]:
        v = aug.get(key)
        return v if isinstance(v, dict) else {}

    out: list[tuple[str, str]] = []
    inp = part("input")
    if inp.get("path"):
        sha = inp.get("sha256")
        out.append(("input", f"{inp['path']}" + (f" (sha256 {sha[:12]}…)" if isinstance(sha, str) and sha else "")))
    gen, cfg = part("generator"), part("config")
    name = gen.get("name") or cfg.get("generator")
    if name:
        bits = [f"trained on {gen['training_rows']:,} rows" if isinstance(gen.get("training_rows"), int) else None,
                f"{gen['epochs']} epochs" if gen.get("epochs") is not None else None,
                f"batch size {gen['batch_size']}" if gen.get("batch_size") is not None else None]
        extra = ", ".join(b for b in bits if b)
        out.append(("generator", f"{name}" + (f" ({extra})" if extra else "")))
    tgt = part("target")
    spec = tgt.get("spec") or cfg.get("target")
    if spec:
        text = str(spec)
        if isinstance(tgt.get("rows"), int):
            text += f": {tgt['rows']:,} rows"
            frac = tgt.get("fraction_of_labelled")
            if isinstance(frac, (int, float)):
                text += f" ({frac:.1%} of the labelled rows)"
        if _mix(tgt.get("class_mix")):
            text += f"; classes {_mix(tgt.get('class_mix'))}"
        out.append(("target set", text))
    syn = part("synthetic")
    if isinstance(syn.get("rows"), int):
        text = f"{syn['rows']:,}"
        if cfg.get("n_synthetic") is not None:
            text += f" (asked: {cfg['n_synthetic']})"
        if _mix(syn.get("class_mix")):
            text += f"; classes {_mix(syn.get('class_mix'))}"
        out.append(("synthetic rows", text))
    rows = part("output_rows")
    if isinstance(rows.get("total"), int):
        text = f"{rows['total']:,} = {rows.get('original', 0):,} original + {rows.get('synthetic', 0):,} synthetic"
        if rows.get("dropped_mislabeled"):
            text += f" ({rows['dropped_mislabeled']:,} mislabeled rows dropped)"
        out.append(("output rows", text))
    if isinstance(aug.get("output"), str):
        out.append(("output", aug["output"]))
    sc = part("scores")
    if sc.get("source"):
        out.append(("scores", str(sc["source"])))
    return out


def _arms_chart(primary: str | None, arms: list[dict[str, Any]]) -> str | None:
    if not primary or not arms:
        return None
    pts = [(a["arm"], a["metrics"].get(primary)) for a in arms if a["metrics"].get(primary)]
    pts = [(n, m) for n, m in pts if m.get("mean") is not None]
    if not pts:
        return None
    fig = _figure(6.0, 2.8)
    ax = fig.subplots()
    ys = np.arange(len(pts))
    means = [m["mean"] for _, m in pts]
    errs = [m.get("ci95") or 0.0 for _, m in pts]
    ax.errorbar(means, ys, xerr=errs, fmt="o", color="#1f77b4", capsize=4)
    ax.set_yticks(ys, [_mpl_text(str(n)) for n, _ in pts])
    ax.set_xlabel(_mpl_text(f"holdout {primary} (mean, 95% CI)"))
    ax.set_title("three-arm evaluation", fontsize=10, loc="left")
    return _png(fig)


#: Longest text shown in a cell or a column title; the rest is cut (a 200,000-character note made a 10 MB report).
MAX_CELL_CHARS = 300


def _fmt(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):  # a label, a neighbour label or a feature of the data (the flags have their own cells)
        return "true" if v else "false"
    if isinstance(v, float):
        if v != v:
            return "n/a"
        return number_text(v)
    text = str(v)
    if len(text) > MAX_CELL_CHARS:
        return f"{text[:MAX_CELL_CHARS]}… ({len(text):,} characters)"
    return text


def _target_fmt(v: Any, spread: Any) -> str:
    """A regression target's number with the digits its spread needs (as the terminal and CI outputs show it)."""
    if isinstance(v, float) and v == v:
        return target_text(v, spread)
    return _fmt(v)


def _env() -> Any:
    import jinja2
    from markupsafe import Markup

    def finalize(v: Any) -> Any:
        # every value shown: control characters (ESC, bidi overrides, newlines) written as visible escapes, as on the
        # terminal; Markup (the template's own JSON, already escaped) is left as it is
        return escape_controls(v) if isinstance(v, str) and not isinstance(v, Markup) else v

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("dvclean.report", "templates"),
        autoescape=True,
        finalize=finalize,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["fmt"] = _fmt
    env.filters["tfmt"] = _target_fmt
    env.filters["lfmt"] = lambda v: _fmt(label_text(v) if isinstance(v, str) else v)  # ('yes ' beside 'yes')
    env.filters["pct"] = lambda v: "" if v is None else f"{v:.2%}"
    return env


def _report_data(report: Any, fn: str) -> ReportData:
    """``report`` when it is a ReportData, else a ``TypeError`` saying how to build one (a ScoreResult passed
    straight from :func:`dvclean.score` failed deep inside with an AttributeError)."""
    if isinstance(report, ReportData):
        return report
    from ..config import describe_type
    from ..pipeline import ScoreResult

    hint = ("build the report from it first: dvclean.report.build_report(result)" if isinstance(report, ScoreResult)
            else "build it with dvclean.report.build_report(result) or build_report_from_files(scores, data=...)")
    raise TypeError(f"{fn}() takes the ReportData of dvclean.report.build_report, got {describe_type(report)}; {hint}")


def render_html(report: ReportData) -> str:
    """The report as one HTML document (str)."""
    report = _quoted_labels(_report_data(report, "render_html"))
    primary, arms = _arms(report.augmentation)
    charts = {
        "value_dist": _value_chart(report),
        "projection": _projection_chart(report),
        "classes": _class_chart(report),
        "target": _target_chart(report),
        "arms": _arms_chart(primary, arms),
    }
    quality = (report.augmentation or {}).get("quality") if report.augmentation else None
    config_json = None
    if report.meta.get("config"):
        from markupsafe import escape

        # escaped here and marked safe, so that its line breaks stay line breaks (every other text value has its
        # control characters written as visible escapes); json.dumps writes every non-ASCII or control
        # character of a value as a \u escape, so the text holds no other
        config_json = escape(json.dumps(report.meta.get("config"), indent=2, default=str))
    return _env().get_template("report.html.j2").render(
        r=report,
        meta=report.meta,
        charts=charts,
        arms=arms,
        primary_metric=primary,
        quality=quality,
        aug_summary=_augment_summary(report.augmentation),
        verdict=((report.augmentation or {}).get("evaluation") or {}).get("verdict") if report.augmentation else None,
        interval=((report.augmentation or {}).get("evaluation") or {}).get("interval") if report.augmentation else None,
        config_json=config_json,
        flag_names=report.flag_names,
        column_titles=report.column_titles,
        n_charts=sum(1 for c in charts.values() if c),
        # a regression target's own numbers (its summary, the label, the neighbours' mean, the prediction) are
        # shown with the digits the target's spread needs: 1700004975.4 against 1699999976.6, not 1.7e+09 twice
        spread=((report.target or {}).get("stats") or {}).get("std") if report.target else None,
        target_positions=_target_positions(report),
        boxed=boxed_names([str(c["class"]) for c in report.per_class]) if charts["classes"] else [],
    )


def _quoted_labels(report: ReportData) -> ReportData:
    """``report`` with the class labels of its rows table (:attr:`ReportData.top_label_columns`) as
    :func:`~dvclean.report.formats.label_text` writes them, as the per-class table shows them: a label with spaces
    at either end quoted (``' no'``, which HTML would show as ``no``, another class), an empty one as ``''``."""
    if not report.top_label_columns:
        return report
    positions = set(report.top_label_columns)
    rows = [[label_text(v) if i in positions and isinstance(v, str) else v for i, v in enumerate(row)]
            for row in report.top_rows]
    return dataclasses.replace(report, top_rows=rows)


def boxed_names(names: list[str], most: int = 3) -> list[str]:
    """The first ``most`` of ``names`` that hold a character the charts' font has no glyph for (``東京`` in DejaVu
    Sans, matplotlib's bundled font): the charts draw it as a box, so the page says so. Checked against the font
    matplotlib picks for the charts' text; ``[]`` when matplotlib cannot say.

    >>> boxed_names(["<=50K", "Zürich", "東京"])
    ['東京']
    """
    try:
        from matplotlib import font_manager, ft2font

        font = ft2font.FT2Font(font_manager.findfont(font_manager.FontProperties()))
    except Exception:  # noqa: BLE001 - no font to ask: no sentence rather than a wrong one
        return []
    out = []
    for name in names:
        if any(ch.isprintable() and not ch.isspace() and font.get_char_index(ord(ch)) == 0 for ch in name):
            out.append(name)
            if len(out) == most:
                break
    return out


def _target_positions(report: ReportData) -> set[int]:
    """The suspicious-rows table's cells that hold a regression target's numbers, by position
    (:attr:`ReportData.top_target_columns`)."""
    return set(report.top_target_columns)


def write_report(report: ReportData, path: str | os.PathLike[str]) -> Path:
    """Render and write the HTML report atomically; return the path.

    A path that is one of the files the report was built from (``report.read_from``: the data,
    a scores file, ...) is refused with :class:`~dvclean.errors.OutputError`, as by the writers
    of scores, fixed and augmented tables: dvclean never overwrites its input.
    """
    from ..pipeline import refuse_input_path

    report = _report_data(report, "write_report")
    refuse_input_path(path, None, report.read_from)
    html = render_html(report)
    path = Path(expand_home(path))
    with atomic_path(path) as tmp:
        tmp.write_text(html, encoding="utf-8")
    return path
