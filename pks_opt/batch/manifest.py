"""The batch manifest (``docs/batch.md``): runs, a grid of overrides and seeds.

Expanded into :class:`RunSpec` s, each with a stable id (a hash of its inputs' content and
options).

A manifest is validated like every input: a bad one raises :class:`InputError` naming the
manifest file and the field (``runs.2.options.time_limt``).
"""

from __future__ import annotations

import hashlib
import inspect
import itertools
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from pks_opt.errors import InputError
from pks_opt.io import load_yaml

Command = Literal["need", "balance", "plan", "matrix", "roster"]
COMMANDS: tuple[str, ...] = ("need", "balance", "plan", "matrix", "roster")
#: options that name a path (resolved against the manifest's folder; their content is hashed)
PATH_OPTIONS = frozenset(
    {"from_balance", "from_plan", "from_matrix", "from_need", "actuals", "feedback"}
)
#: options the batch sets itself (not from the manifest)
MANAGED_OPTIONS = frozenset({"scenarios", "progress"})
#: one solver thread per run: the batch's parallelism is in its processes
THREAD_OPTIONS = {"balance": "threads", "matrix": "workers", "roster": "workers"}
SEED_COMMANDS = frozenset({"matrix", "roster"})
VALUE = "$value"
ID_VERSION = "pks-batch-1"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class GridParameter(_Model):
    """One swept parameter of a batch grid.

    ``values`` put into ``changes`` at ``$value``, or named ``levels`` each with its own list of
    changes.
    """

    values: list[Any] | None = None
    changes: list[dict[str, Any]] | None = None
    levels: dict[str, list[dict[str, Any]]] | None = None

    @model_validator(mode="after")
    def _one_form(self) -> GridParameter:
        if self.levels is not None:
            if self.values is not None or self.changes is not None:
                raise ValueError("give either 'levels' or 'values' with 'changes', not both")
            if not self.levels:
                raise ValueError("'levels' must name at least one level")
        else:
            if not self.values:
                raise ValueError("give 'values' (a non-empty list) with 'changes', or 'levels'")
            if not self.changes:
                raise ValueError("'changes' must be a non-empty list of scenario changes")
            for v in self.values:
                if isinstance(v, dict | list):
                    raise ValueError(f"a value must be a number or text (got {v!r})")
        return self

    def expanded(self) -> list[tuple[Any, list[dict[str, Any]]]]:
        """(level label, generic changes) per level."""
        if self.levels is not None:
            return [(k, list(v)) for k, v in self.levels.items()]
        return [(v, _substitute(self.changes or [], v)) for v in self.values or []]


class RunEntry(_Model):
    """One entry of a manifest's ``runs`` (or its ``defaults``), as written.

    A command on an instance with options, scenarios, a parameter grid and seeds; the entry
    expands to one run per scenario × grid cell × seed.
    """

    name: str | None = None
    command: Command | None = None
    instance: str | None = None
    options: dict[str, Any] = {}
    scenarios: list[str] = []
    grid: dict[str, GridParameter] = {}
    seeds: list[int] | None = None
    charts: bool | None = None


class ManifestModel(_Model):
    """A batch manifest as written: defaults, the runs, a grid and seeds for all, report options."""

    name: str | None = None
    description: str | None = None
    defaults: RunEntry = RunEntry()
    runs: list[RunEntry] | None = None
    grid: dict[str, GridParameter] = {}
    seeds: list[int] | None = None
    charts: bool = False
    report: dict[str, Any] = {}


@dataclass(frozen=True)
class ScenarioSpec:
    """A scenario as plain data (sent to a worker): its label (file or grid cell) and changes."""

    name: str
    label: str
    changes: tuple[Mapping[str, Any], ...]


@dataclass(frozen=True)
class RunSpec:
    """One run of a batch, everything a worker needs (picklable)."""

    id: str
    name: str
    command: str
    instance: str
    scenarios: tuple[ScenarioSpec, ...]
    options: Mapping[str, Any]
    seed: int | None
    overrides: Mapping[str, Any]
    charts: bool
    instance_hash: str
    #: an error found before running (an unreadable instance): recorded, not run
    error: str | None = None
    #: instance files shipped to a remote worker (relative path → bytes), set for Dask
    files: Mapping[str, bytes] | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Batch:
    """A validated, expanded batch: every run, the grid's parameter names, the report options."""

    path: Path
    name: str
    runs: tuple[RunSpec, ...]
    parameters: tuple[str, ...]
    report: Mapping[str, Any]


def load_manifest(path: str | Path) -> Batch:
    """Read, validate and expand a batch manifest.

    Raises
    ------
    InputError
        Malformed YAML, an unknown key, a missing command or instance, an option the command
        does not take, a missing scenario file, or a bad grid; naming the manifest and field.
    """
    p = Path(path)
    if not p.is_file():
        raise InputError("no such batch manifest", file=str(p))
    doc = load_yaml(p)
    if not isinstance(doc, dict):
        raise InputError(
            "a batch manifest must be a YAML mapping with 'runs' or 'defaults'", file=str(p)
        )
    try:
        m = ManifestModel.model_validate(doc)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(x) for x in err.get("loc", ()) if not str(x).startswith("function-"))
        msg = "missing value" if err.get("type") == "missing" else err.get("msg", "invalid")
        if err.get("type") == "extra_forbidden":
            msg = "unknown key"
        msg = msg.removeprefix("Value error, ")
        raise InputError(msg, file=str(p), field=loc or None) from None
    base = p.parent
    entries = m.runs if m.runs is not None else [RunEntry()]
    if not entries:
        raise InputError("'runs' is empty", file=str(p), field="runs")
    hasher = _Hasher(base)
    specs: list[RunSpec] = []
    params: list[str] = []
    for i, entry in enumerate(entries):
        at = f"runs.{i}" if m.runs is not None else "defaults"
        specs.extend(_expand(p, m, entry, at, hasher, params))
    seen: dict[str, str] = {}
    for s in specs:
        if s.id in seen:
            raise InputError(
                f"runs '{seen[s.id]}' and '{s.name}' are the same run (same inputs and options)",
                file=str(p),
                field="runs",
            )
        seen[s.id] = s.name
    return Batch(p, m.name or p.stem, tuple(specs), tuple(params), dict(m.report))


def _expand(
    path: Path, m: ManifestModel, entry: RunEntry, at: str, hasher: _Hasher, params: list[str]
) -> list[RunSpec]:
    d = m.defaults
    command = entry.command or d.command
    if command is None:
        raise InputError(
            "missing command (need, balance, plan, matrix or roster)",
            file=str(path),
            field=f"{at}.command",
        )
    instance = entry.instance or d.instance
    if instance is None:
        raise InputError("missing instance", file=str(path), field=f"{at}.instance")
    options = {**d.options, **entry.options}
    _check_options(path, command, options, at)
    options = {k: _resolve_option(path.parent, k, v) for k, v in options.items()}
    if command in THREAD_OPTIONS:
        options.setdefault(THREAD_OPTIONS[command], 1)
    seeds = _seeds(path, m, entry, at, command, options)
    charts = (
        entry.charts
        if entry.charts is not None
        else (d.charts if d.charts is not None else m.charts)
    )
    scenarios = _scenarios(path, [*d.scenarios, *entry.scenarios], at)
    grid = {**m.grid, **d.grid, **entry.grid}
    for g in grid:
        if g not in params:
            params.append(g)
    axes = [[(g, label, chs) for label, chs in grid[g].expanded()] for g in grid]
    for g, gp in grid.items():
        _check_grid(path, g, gp)
    inst_path = (path.parent / instance).resolve()
    inst_hash, inst_error = hasher.instance(inst_path)
    base_name = (
        entry.name
        or d.name
        or (command if not scenarios else f"{command}+{'+'.join(s.name for s in scenarios)}")
    )
    out: list[RunSpec] = []
    for combo in itertools.product(*axes):
        for seed in seeds if seeds is not None else [None]:
            out.append(
                _run_spec(
                    path,
                    combo,
                    seed,
                    command,
                    options,
                    scenarios,
                    base_name,
                    charts,
                    str(inst_path),
                    inst_hash,
                    inst_error,
                    hasher,
                )
            )
    return out


def _seeds(
    path: Path, m: ManifestModel, entry: RunEntry, at: str, command: str, options: Mapping[str, Any]
) -> list[int] | None:
    """Pick the entry's seeds (entry, defaults, then the manifest's); only matrix and roster."""
    d = m.defaults
    seeds = (
        entry.seeds if entry.seeds is not None else (d.seeds if d.seeds is not None else m.seeds)
    )
    if seeds is not None and command not in SEED_COMMANDS:
        raise InputError(
            f"'{command}' takes no seed (seeds repeat matrix and roster runs)",
            file=str(path),
            field=f"{at}.seeds" if entry.seeds else "seeds",
        )
    if seeds is not None and "seed" in options:
        raise InputError(
            "give 'seeds' or options.seed, not both", file=str(path), field=f"{at}.options.seed"
        )
    return None if seeds is None else list(seeds)


def _scenarios(path: Path, files: list[str], at: str) -> list[ScenarioSpec]:
    """Load and check the entry's scenario files (relative to the manifest)."""
    from pks_opt.scenario import load_scenario

    scenarios = []
    for j, f in enumerate(files):
        sp = path.parent / f
        try:
            s = load_scenario(sp)
        except InputError as exc:
            if not sp.is_file():
                raise InputError(
                    "no such scenario file", file=str(path), field=f"{at}.scenarios.{j}"
                ) from None
            raise exc from None
        scenarios.append(ScenarioSpec(s.name, str(sp), tuple(s.changes)))
    return scenarios


def _run_spec(
    path: Path,
    combo: tuple[Any, ...],
    seed: int | None,
    command: str,
    options: dict[str, Any],
    scenarios: list[ScenarioSpec],
    base_name: str,
    charts: Any,
    instance: str,
    inst_hash: str,
    inst_error: Any,
    hasher: _Hasher,
) -> RunSpec:
    """One run: a grid combination and a seed; its id hashes what decides its result."""
    overrides = {g: label for g, label, _ in combo}
    cells = tuple(
        ScenarioSpec(f"{g}={label}", f"{path} grid.{g}={label}", tuple(chs))
        for g, label, chs in combo
        if chs
    )
    opts = dict(options)
    if seed is not None:
        opts["seed"] = seed
    name = (
        base_name
        + "".join(f" {g}={label}" for g, label, _ in combo)
        + (f" seed={seed}" if seed is not None else "")
    )
    key = {
        "v": ID_VERSION,
        "command": command,
        "instance": inst_hash,
        "scenarios": [list(s.changes) for s in scenarios],
        "grid": [list(c.changes) for c in cells],
        "options": {k: hasher.option(k, v) for k, v in sorted(opts.items())},
    }
    return RunSpec(
        id=hashlib.sha256(_canonical(key).encode()).hexdigest()[:16],
        name=name,
        command=command,
        instance=instance,
        scenarios=(*scenarios, *cells),
        options=opts,
        seed=seed,
        overrides=overrides,
        charts=charts,
        instance_hash=inst_hash,
        error=inst_error,
    )


def _check_options(path: Path, command: str, options: Mapping[str, Any], at: str) -> None:
    from pks_opt import api

    sig = inspect.signature(getattr(api, command))
    allowed = {n for n, p in sig.parameters.items() if p.kind is p.KEYWORD_ONLY} - MANAGED_OPTIONS
    for k in options:
        if k not in allowed:
            raise InputError(
                f"'{command}' takes no option '{k}' (it takes "
                f"{', '.join(sorted(allowed))}; scenarios go under 'scenarios')",
                file=str(path),
                field=f"{at}.options.{k}",
            )


def _check_grid(path: Path, g: str, gp: GridParameter) -> None:
    from pks_opt.scenario import Scenario, _check_change

    for label, changes in gp.expanded():
        s = Scenario(f"{g}={label}", "", Path(f"{path} grid.{g}={label}"), tuple(changes))
        for n, ch in enumerate(changes, start=1):
            _check_change(s, n, ch)


def _resolve_option(base: Path, key: str, value: Any) -> Any:
    if key not in PATH_OPTIONS or value is None:
        return value
    if isinstance(value, list):
        return [str((base / str(v)).resolve()) for v in value]
    return str((base / str(value)).resolve())


def _substitute(obj: Any, value: Any) -> Any:
    """Replace every ``$value`` in ``obj``.

    The whole string: the value as it is (a number stays a number); inside a string: as text.
    """
    if isinstance(obj, dict):
        return {k: _substitute(v, value) for k, v in obj.items()}
    if isinstance(obj, list):
        return [_substitute(v, value) for v in obj]
    if obj == VALUE:
        return value
    if isinstance(obj, str) and VALUE in obj:
        return obj.replace(VALUE, str(value))
    return obj


def _canonical(obj: Any) -> str:
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), default=_json_default)


def _json_default(o: Any) -> Any:
    if isinstance(o, float) and not math.isfinite(o):
        return str(o)
    return str(o)


class _Hasher:
    """Content hashes of instances and path options (cached per batch)."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self._inst: dict[Path, tuple[str, str | None]] = {}

    def instance(self, path: Path) -> tuple[str, str | None]:
        """(hash of the instance's files, error message or None)."""
        if path not in self._inst:
            try:
                files = instance_files(path)
                h = hashlib.sha256()
                for rel, data in files:
                    h.update(rel.encode() + b"\0" + hashlib.sha256(data).digest())
                self._inst[path] = (h.hexdigest(), None)
            except InputError as exc:
                digest = hashlib.sha256(f"unreadable:{path}".encode()).hexdigest()
                self._inst[path] = (digest, str(exc))
        return self._inst[path]

    def option(self, key: str, value: Any) -> Any:
        if key not in PATH_OPTIONS or value is None:
            return value
        values = value if isinstance(value, list) else [value]
        return [_path_hash(Path(v)) for v in values]


def instance_files(path: Path) -> list[tuple[str, bytes]]:
    """List the files an instance is read from as (path relative to the instance, bytes), sorted.

    The manifest and tables of a folder; the file itself for a workbook or a benchmark file.

    Raises
    ------
    InputError
        The instance cannot be read.
    """
    from pks_opt.formats.curtois import is_curtois
    from pks_opt.io import read_raw

    if path.is_file() and (path.suffix.lower() == ".xlsx" or is_curtois(path)):
        return [(path.name, path.read_bytes())]
    raw = read_raw(path)
    root = raw.source if raw.source.is_dir() else raw.source.parent
    names = {Path(raw.manifest_where)} | {
        Path(t.where.split("[", 1)[0]) for t in raw.tables.values()
    }
    out = []
    for f in sorted(names):
        if f.is_file():
            rel = (
                f.resolve().relative_to(root.resolve()).as_posix()
                if f.resolve().is_relative_to(root.resolve())
                else f.name
            )
            out.append((rel, f.read_bytes()))
    return sorted(out)


def _path_hash(p: Path) -> str:
    h = hashlib.sha256()
    if p.is_file():
        h.update(p.read_bytes())
    elif p.is_dir():
        for f in sorted(x for x in p.rglob("*") if x.is_file()):
            h.update(f.relative_to(p).as_posix().encode() + b"\0")
            h.update(hashlib.sha256(f.read_bytes()).digest())
    else:
        h.update(f"missing:{p}".encode())
    return h.hexdigest()


def spec_with_files(spec: RunSpec) -> RunSpec:
    """``spec`` carrying its instance's files, for a worker on another machine."""
    from dataclasses import replace

    if spec.error is not None:
        return spec
    return replace(spec, files=dict(instance_files(Path(spec.instance))))
