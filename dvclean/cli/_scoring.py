"""The scoring options of ``score``, ``check`` and ``fix``, defined once.

:func:`scoring_options` adds the same options (names, defaults, help, validation,
configuration-file keys) to each of the three commands and hands the command body
one :class:`Scoring` object, whose :meth:`Scoring.score_config` builds the
:class:`~dvclean.config.ScoreConfig` that all three pass to the library: the same
settings (typed or from ``dvclean.toml``) give the same values and flags.

Options that only some methods read (:data:`USED_BY`) are refused when typed on the
command line while none of the selected methods reads them (a configuration file
may hold keys for other methods: those are left alone).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from ..config import (
    MISLABEL_RULES,
    VALIDATION_METHODS,
    CrossFitConfig,
    DVGSConfig,
    FeatureConfig,
    FlagPolicy,
    KNNConfig,
    MislabelConfig,
    ScoreConfig,
    TMCConfig,
)

F = TypeVar("F", bound=Callable[..., Any])

_KNN = KNNConfig()
_FLAGS = FlagPolicy()
_SCORE = ScoreConfig()
_MISLABEL = MislabelConfig()
_TMC = TMCConfig()
_DVGS = DVGSConfig()
_CROSSFIT = CrossFitConfig()

#: Help panels (``--help`` groups the shared options under these titles).
PANEL_SCORING = "Scoring (the same in score, check and fix)"
PANEL_MODELS = "Model-based methods (tmc, dvgs, loo, banzhaf, beta)"
PANEL_CHECKPOINT = "Checkpoints (tmc, dvgs)"

#: Methods that cross-fit a retrained model (or DVGS's network) and run on joblib workers or Dask.
CROSS_FITTED = ("tmc", "dvgs", "loo", "banzhaf", "beta")
#: Methods that sample a utility of ``--model`` scored by ``--metric``.
RETRAINING = ("tmc", "loo", "banzhaf", "beta")

#: Option (Python name) -> the methods that read it. Options not listed (``--method``, ``--k``,
#: ``--hard-frac``, ``--mislabel-rule``, ``--expected-noise``, ``--seed``, ``--task``, ``--n-jobs``)
#: act on every run: the flags use the K nearest neighbours and the mislabel rule whatever the
#: method, and ``--n-jobs`` also sets the threads of the mislabel step's models.
#: Read off the valuers (dvclean/valuation): KNNShapley reads KNNConfig; TMCShapley reads
#: TMCConfig and CrossFitConfig; DVGS reads DVGSConfig and CrossFitConfig; LeaveOneOut reads
#: only TMCConfig.model/.metric and CrossFitConfig, DataBanzhaf and BetaShapley also
#: TMCConfig.time_budget (and their own samples); DataOOB and OOFConfidence read only
#: CrossFitConfig.n_jobs (threads: their folds are fixed) and never the validation file;
#: RESUMABLE_METHODS takes checkpoints.
USED_BY: dict[str, tuple[str, ...]] = {
    "eps": ("knn",),
    "algorithm": ("knn",),
    "exact_max_rows": ("knn",),
    "valid": VALIDATION_METHODS,
    "model": RETRAINING,
    "metric": RETRAINING,
    "folds": CROSS_FITTED,
    "max_permutations": ("tmc",),
    "tolerance": ("tmc",),
    "convergence": ("tmc",),
    "time_budget": ("tmc", "banzhaf", "beta"),
    "epochs": ("dvgs",),
    "samples": ("banzhaf", "beta"),
    "scheduler": CROSS_FITTED,
    "checkpoint": ("tmc", "dvgs"),
    "checkpoint_every": ("tmc", "dvgs"),
    "resume": ("tmc", "dvgs"),
}


def parse_fraction(value: Any, *, inclusive: bool = False) -> float:
    """``0.1``, ``"0.1"`` or ``"10%"`` -> 0.1 (the range is checked by the library's configuration).

    A percentage must lie strictly between 0% and 100%, or, with ``inclusive``, within
    0%..100% (the range of ``--hard-frac``, whose library setting accepts 0 and 1).

    >>> parse_fraction("2.5%"), parse_fraction("0.05"), parse_fraction(0.2), parse_fraction("0.7%"), parse_fraction("-0")
    (0.025, 0.05, 0.2, 0.007, 0.0)
    """
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    text = str(value).strip()
    percent = text.endswith("%")
    number_text = text[:-1].strip() if percent else text
    try:
        number = float(number_text)
    except ValueError:
        raise typer.BadParameter(f"expected a fraction such as 0.05 or a percentage such as 5%; got {text!r}") from None
    if percent:
        if inclusive and not 0 <= number <= 100:
            raise typer.BadParameter(f"a percentage must be between 0% and 100%; got {text}")
        if not inclusive and not 0 < number < 100:
            raise typer.BadParameter(f"a percentage must be between 0% and 100% (exclusive); got {text}")
        from decimal import Decimal

        return float(Decimal(number_text) / 100) + 0.0  # 0.7% is 0.007, not 0.006999999999999999; -0% is 0
    return number + 0.0  # (-0 is 0)


def parse_closed_fraction(value: Any) -> float:
    """:func:`parse_fraction` for a fraction in [0, 1] (``--hard-frac``): ``"0%"`` and ``"100%"`` are accepted.

    >>> parse_closed_fraction("5%"), parse_closed_fraction("0.05"), parse_closed_fraction("100%")
    (0.05, 0.05, 1.0)
    """
    return parse_fraction(value, inclusive=True)


class Algorithm(StrEnum):
    auto = "auto"
    exact = "exact"
    approx = "approx"


class Task(StrEnum):
    auto = "auto"
    classification = "classification"
    regression = "regression"


_DEFAULT_ALGORITHM = Algorithm(_KNN.algorithm)
_DEFAULT_TASK = Task(_SCORE.task)
#: Help of ``--task`` (score, check, fix).
TASK_HELP = (
    "What the label is: auto (regression for a float label with non-integer values and more than 20 distinct "
    "values, or whole numbers with more than 20 distinct values some of which fill a single row, none of them 2**53 "
    "or more; classes otherwise), "
    "classification or regression (then flags mean outlying targets)."
)


def _methods(values: list[str]) -> tuple[str, ...]:
    """``-m knn,tmc -m loo`` -> ``("knn", "tmc", "loo")``; a method named twice is an error."""
    out: list[str] = []
    for v in values:
        out.extend(p.strip() for p in v.split(",") if p.strip())
    twice = [m for m in dict.fromkeys(out) if out.count(m) > 1]
    from ..errors import ConfigError

    if values and not out:  # `--method ,` or `--method ''`
        raise ConfigError(
            f"--method {' '.join(map(repr, values))} names no method; give one or more, comma-separated "
            "(e.g. --method knn; `dvclean methods` lists them)"
        )
    if twice:
        raise ConfigError(
            f"--method names {', '.join(repr(m) for m in twice)} more than once ({','.join(out)}); "
            "name each method once (the first one is the primary method)"
        )
    from ..valuation import REGISTRY

    unknown = [m for m in out if m not in REGISTRY]
    if unknown:  # (said here, naming the option, so that a configuration file's value is named with its file)
        raise ConfigError(f"--method: unknown method {unknown[0]!r}; available: {', '.join(REGISTRY)} "
                          "(see `dvclean methods`)")
    return tuple(out)


def _option(*decls: str, help: str, panel: str = PANEL_SCORING, **kw: Any) -> Any:
    return typer.Option(*decls, help=help, rich_help_panel=panel, **kw)


@dataclass(frozen=True)
class _Shared:
    name: str
    annotation: Any
    default: Any


def _shared() -> list[_Shared]:
    """The shared options, in ``--help`` order."""
    m, c = PANEL_MODELS, PANEL_CHECKPOINT
    opts: list[tuple[str, Any, Any]] = [
        ("method", Annotated[list[str] | None, _option("--method", "-m", help="Valuation method(s), comma-separated; see `dvclean methods`. The flags use the first.")], list(_SCORE.methods)),
        ("k", Annotated[int, _option("--k", help="K of the KNN classifier (or regressor); also the neighbours behind the flags, whatever the method.")], _KNN.k),
        ("eps", Annotated[float, _option("--eps", help="knn: error bound of approximate KNN-Shapley, K*=max(K, ceil(1/eps)).")], _KNN.eps),
        ("algorithm", Annotated[Algorithm, _option("--algorithm", help=f"knn: KNN-Shapley path; auto is exact up to --exact-max-rows ({_KNN.exact_max_rows:,}).")], _DEFAULT_ALGORITHM),
        ("exact_max_rows", Annotated[int, _option("--exact-max-rows", help="knn: largest row count valued exactly under --algorithm auto.")], _KNN.exact_max_rows),
        ("valid", Annotated[str | None, _option("--valid", help="knn, tmc, dvgs, loo, banzhaf, beta: value against this validation file instead of leave-self-out / cross-fitting.")], None),
        ("task", Annotated[Task, _option("--task", help=TASK_HELP)], _DEFAULT_TASK),
        ("hard_frac", Annotated[float, _option("--hard-frac", parser=parse_closed_fraction, metavar="<fraction|%>", help="Fraction of the non-mislabeled rows flagged is_hard (0.05 or 5%).")], _FLAGS.hard_fraction),
        ("mislabel_rule", Annotated[str, _option("--mislabel-rule", metavar=f"<{'|'.join(MISLABEL_RULES)}>", help="How is_mislabeled is decided: consensus (default), confident, vote, confidence or knn.")], _MISLABEL.rule),
        ("mislabel_max_rows", Annotated[int, _option("--mislabel-max-rows", help=f"Above this many rows (counted once per class above two classes) the mislabel rule's models would dominate the run and the knn rule is used instead, with a note; raise it to insist (default {_MISLABEL.model_max_rows:,}).")], _MISLABEL.model_max_rows),
        ("expected_noise", Annotated[float | None, _option("--expected-noise", parser=parse_fraction, metavar="<fraction|%>", help="Optional: expected fraction of wrong labels (0.05 or 5%); flags that fraction of the rows, rounded down (at least one), most suspicious first.")], _MISLABEL.expected_noise),
        ("seed", Annotated[int, _option("--seed", help="Seed of every random step, an integer in [0, 2**32) (same seed, same output).")], _SCORE.seed),
        ("model", Annotated[str, _option("--model", panel=m, help="tmc/loo/banzhaf/beta: logreg, knn (5 nearest neighbours; --k is the flags' K, not this model's), xgboost, hgb or a dotted classifier class (sklearn.svm.SVC); regression: linear (ridge; logreg means it), knn, xgboost, hgb or a dotted regressor class.")], _TMC.model),
        ("metric", Annotated[str, _option("--metric", panel=m, help="tmc/loo/banzhaf/beta: validation score, accuracy, auc, f1 or logloss; regression: r2 (accuracy means it) or neg_mse.")], _TMC.metric),
        ("folds", Annotated[int, _option("--folds", panel=m, help="tmc/dvgs/loo/banzhaf/beta: stratified cross-fitting folds (not with --valid).")], _CROSSFIT.n_folds),
        ("max_permutations", Annotated[int, _option("--max-permutations", panel=m, help="tmc: most permutations per fold.")], _TMC.max_permutations),
        ("tolerance", Annotated[float, _option("--tolerance", panel=m, help="tmc: truncate a permutation 6 steps within this relative distance of the full-data score (0: off).")], _TMC.tolerance),
        ("convergence", Annotated[float, _option("--convergence", panel=m, help="tmc: stop when the values' relative change over the last 100 permutations is below this (0: off).")], _TMC.convergence),
        ("time_budget", Annotated[float | None, _option("--time-budget", panel=m, help="tmc/banzhaf/beta: wall-clock seconds for each of these methods, all its folds together (parallel workers' start-up included); when it runs out each fold keeps what it finished (banzhaf/beta: at least 2 samples) and the status is budget_exhausted.")], _TMC.time_budget),
        ("epochs", Annotated[int, _option("--epochs", panel=m, help="dvgs: training epochs per restart.")], _DVGS.epochs),
        ("samples", Annotated[int | None, _option("--samples", panel=m, help=f"banzhaf: sampled subsets per fold (default {_SCORE.banzhaf.samples}); beta: sampled permutations per fold (default {_SCORE.beta.samples}).")], None),
        ("n_jobs", Annotated[int, _option("--n-jobs", panel=m, help="Parallel workers of tmc/dvgs/loo/banzhaf/beta, threads of oob/confidence and of the mislabel models; other than -1 it also caps the native (BLAS/OpenMP/numba) threads of the run (-1: every core; 1: in-process, one core; same values for any number).")], _CROSSFIT.n_jobs),
        ("scheduler", Annotated[str | None, _option("--scheduler", panel=m, help="tmc/dvgs/loo/banzhaf/beta: Dask scheduler address (tcp://host:8786) or 'local'; needs the distributed extra: `pip install \".\\[distributed]\"` in the dvclean checkout.")], _CROSSFIT.scheduler),
        ("checkpoint", Annotated[Path | None, _option("--checkpoint", panel=c, help="tmc/dvgs: file saving the run's progress, so a killed run can be resumed; deleted once the output is written (default: <output>.checkpoint).")], None),
        ("checkpoint_every", Annotated[int, _option("--checkpoint-every", panel=c, min=0, help="tmc/dvgs: save the checkpoint after this many permutations (tmc, summed over folds) or restarts (dvgs); 0: no checkpoint.")], 10),
        ("resume", Annotated[bool, _option("--resume/--no-resume", show_default=False, panel=c, help="tmc/dvgs: continue the interrupted run saved in the checkpoint (same data, settings and seed, else exit 2; starts fresh if there is none). Without it an existing checkpoint is an error, never overwritten.")], False),
    ]
    return [_Shared(name, ann, default) for name, ann, default in opts]


#: The shared options, in ``--help`` order.
SHARED = _shared()
#: Options only ``score`` has: the checkpoint lives next to its output file.
CHECKPOINT_OPTIONS = ("checkpoint", "checkpoint_every", "resume")


@dataclass(frozen=True)
class Scoring:
    """The shared scoring options of one command run (after configuration files).

    ``typed`` holds the options given on the command line.
    """

    values: dict[str, Any]
    typed: frozenset[str]

    def __getattr__(self, name: str) -> Any:
        try:
            return self.__dict__["values"][name]
        except KeyError:
            raise AttributeError(name) from None

    @property
    def methods(self) -> tuple[str, ...]:
        """``-m knn,tmc -m loo`` -> ``("knn", "tmc", "loo")`` (the default when none is given)."""
        given = self.values["method"]
        if given is not None and len(given) == 0:  # only a configuration file can give an empty list
            from ..errors import ConfigError
            from ._config import effective_config

            source = effective_config()["values"].get("method", (None, "a configuration file"))[1]
            raise ConfigError(f"{source}: method = [] names no method; give one or more, such as "
                              "method = [\"knn\"], or remove the key for the default")
        return _methods(given or list(_SCORE.methods))

    def score_config(self) -> ScoreConfig:
        """The library configuration: values validated first, then typed options that nothing reads refused."""
        methods = self.methods
        v = self.values
        samples = v["samples"]
        config = ScoreConfig(
            methods=methods,
            seed=v["seed"],
            task=_value(v["task"]),
            knn=KNNConfig(k=v["k"], eps=v["eps"], algorithm=_value(v["algorithm"]), exact_max_rows=v["exact_max_rows"]),
            features=FeatureConfig(),
            flags=FlagPolicy(hard_fraction=v["hard_frac"]),
            mislabel=replace(_MISLABEL, rule=v["mislabel_rule"], expected_noise=v["expected_noise"],
                             model_max_rows=v["mislabel_max_rows"]),
            tmc=TMCConfig(
                model=v["model"], metric=v["metric"], max_permutations=v["max_permutations"],
                tolerance=v["tolerance"], convergence=v["convergence"], time_budget=v["time_budget"],
            ),
            dvgs=DVGSConfig(epochs=v["epochs"]),
            banzhaf=_SCORE.banzhaf if samples is None else replace(_SCORE.banzhaf, samples=samples),
            beta=_SCORE.beta if samples is None else replace(_SCORE.beta, samples=samples),
            crossfit=CrossFitConfig(n_folds=v["folds"], n_jobs=v["n_jobs"], scheduler=v["scheduler"]),
        )
        self.refuse_unused(methods)
        return config

    def refuse_unused(self, methods: tuple[str, ...]) -> None:
        """Refuse (exit 2) an option typed on the command line that nothing in this run reads."""
        from ..errors import ConfigError
        from ..valuation import REGISTRY

        if any(m not in REGISTRY for m in methods):
            return  # the library names the unknown method
        selected = f"--method {','.join(methods)}"
        for name, users in USED_BY.items():
            if name not in self.typed or any(m in users for m in methods):
                continue
            if self.values.get(name) is False:  # `--no-resume`: switching off what a file turned on is never refused
                continue
            option = _flag(name)
            if len(users) == 1:
                raise ConfigError(
                    f"{option} applies to {users[0]} only, and {selected} does not run it: "
                    f"drop {option} or add {users[0]} to --method"
                )
            raise ConfigError(
                f"{option} applies to {_and(users)} only, and {selected} runs none of them: "
                f"drop {option} or add one of them to --method"
            )
        algorithm = _value(self.values["algorithm"])
        if "eps" in self.typed and algorithm == "exact":
            raise ConfigError(
                "--eps bounds the error of the approximate KNN-Shapley path, which --algorithm exact never takes: "
                "drop --eps or use --algorithm approx (or auto)"
            )
        if "exact_max_rows" in self.typed and algorithm != "auto":
            raise ConfigError(
                f"--exact-max-rows chooses the path of --algorithm auto; --algorithm {algorithm} ignores it: "
                "drop --exact-max-rows or use --algorithm auto"
            )
        if "folds" in self.typed and self.values.get("valid") is not None:
            raise ConfigError(
                "--folds splits the rows for cross-fitting, which --valid replaces (the validation file is the "
                "only fold): drop --folds or --valid"
            )


def _value(v: Any) -> Any:
    return getattr(v, "value", v)


def _flag(name: str) -> str:
    return "--" + name.replace("_", "-")


def _and(items: tuple[str, ...]) -> str:
    return items[0] if len(items) == 1 else f"{', '.join(items[:-1])} and {items[-1]}"


def _with_note(annotation: Any, note: str) -> Any:
    """``annotation`` (``Annotated[type, typer.Option(...)]``) with ``note`` appended to the option's help."""
    import copy
    from typing import get_args

    base, info = get_args(annotation)[:2]
    info = copy.copy(info)
    info.help = f"{info.help} {note}"
    return Annotated[base, info]


def scoring_options(*, valid: bool = True, checkpoint: bool = False,
                    notes: dict[str, str] | None = None) -> Callable[[F], F]:
    """Add the shared scoring options to a command; its body gets them as ``scoring=Scoring(...)``.

    Apply it below :func:`~dvclean.cli._config.configurable` (so configuration files fill
    the options) and give the body a keyword-only ``scoring`` parameter. ``valid``: add
    ``--valid``; ``checkpoint``: add ``--checkpoint``, ``--checkpoint-every`` and ``--resume``;
    ``notes``: text appended to the help of the named options in this command only.
    """

    def decorate(fn: F) -> F:
        shared = [
            s for s in SHARED
            if (valid or s.name != "valid") and (checkpoint or s.name not in CHECKPOINT_OPTIONS)
        ]
        names = [s.name for s in shared]
        own = inspect.signature(fn, eval_str=True)
        kept = [p for p in own.parameters.values() if p.name != "scoring"]
        clash = set(names) & {p.name for p in kept}
        if clash:  # pragma: no cover - a programming error
            raise TypeError(f"{fn.__name__} defines shared scoring options itself: {sorted(clash)}")
        added = [
            inspect.Parameter(s.name, inspect.Parameter.POSITIONAL_OR_KEYWORD, default=s.default,
                              annotation=_with_note(s.annotation, notes[s.name]) if s.name in (notes or {}) else s.annotation)
            for s in shared
        ]
        signature = own.replace(parameters=[*kept, *added])

        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            from .commands import given_on_command_line

            values = {name: kwargs.pop(name, s.default) for name, s in zip(names, shared, strict=True)}
            typed = frozenset(name for name in names if given_on_command_line(name))
            return fn(*args, scoring=Scoring(values=values, typed=typed), **kwargs)

        wrapper.__signature__ = signature  # type: ignore[attr-defined]
        wrapper.__annotations__ = {p.name: p.annotation for p in signature.parameters.values()}
        return wrapper  # type: ignore[return-value]

    return decorate
