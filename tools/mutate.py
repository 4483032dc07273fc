"""Mutation testing of the core's pure rules and the quantity rules, with mutmut.

    ./dev mutate [TARGET…] [--jobs N] [--keep]

TARGET is one of the names in ``TARGETS`` (all of them by default). For each, the
project's files (tracked, plus new files not ignored by git) are copied into a
scratch directory, a ``[tool.mutmut]`` section naming that target's module and its
own test files is added to the copy's pyproject.toml, and ``mutmut run`` mutates it
one change at a time. The checkout itself is never touched, and mutmut's ``mutants/``
copy runs pytest from its own root, so our ``trace`` still shadows the standard
library's there (README, "The name trace").

The score is killed ÷ (mutants − equivalent): a mutant listed in ``EQUIVALENT`` below
changes no behaviour any caller can see, so no test can kill it. Every other survivor
is printed: it is a test still to write. Slow (minutes per module on two cores), so it
is not part of the test suite.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Target:
    module: str  # the file mutmut mutates
    tests: tuple[str, ...]  # the tests run against each mutant
    functions: tuple[str, ...] = ()  # only these functions' mutants (all of the module's if empty)


TARGETS = {
    "chain": Target("trace/chain.py", ("tests/trace/test_chain.py", "tests/trace/test_verify.py")),
    "digital_link": Target("trace/digital_link.py", ("tests/trace/test_digital_link.py",)),
    "credit_code": Target("suppliers/credit_code.py", ("tests/suppliers/test_credit_code.py",)),
    "quantities": Target(
        "canteens/deliveries.py",
        # the focused edges; test_rules.py tests the same through the API. A receipt's gates are
        # receipt_gates (run by a check when it opens, and again by receipt_create at its confirmation).
        ("tests/canteens/test_quantities.py", "tests/canteens/test_receipt_checks.py"),
        ("shipment_create", "receipt_gates", "receipt_assert_within_shipment", "receipt_create"),
    ),
    "kitchen_use": Target("canteens/kitchen.py", ("tests/canteens/test_quantities.py",), ("use_create",)),
}

# Survivors judged equivalent, with the reason. Names are mutmut's: they stay stable
# while the function they are in is unchanged; re-check this list when it changes.
EQUIVALENT = {
    "trace.chain.x_canonical_json__mutmut_4": "ensure_ascii=None is as falsy as False",
    "trace.chain.x_event_hash__mutmut_5": "codec names are case-insensitive: 'ASCII' is 'ascii'",
    "trace.chain.x_event_hash__mutmut_13": "codec names are case-insensitive: 'UTF-8' is 'utf-8'",
    **{f"suppliers.credit_code.x_credit_code_check_character__mutmut_{n}": (
        "zip(..., strict=True) weakened: the length was checked just above, so the lengths always match")
       for n in (29, 32, 33)},
    **{f"suppliers.credit_code.x_organisation_code_check_character__mutmut_{n}": (
        "zip(..., strict=True) weakened: the length was checked just above, so the lengths always match")
       for n in (46, 49, 50)},
    "trace.chain.x__links_elsewhere__mutmut_5": (
        "events[index - 1:] adds the links of the two events before the break: the first is the "
        "hash before the predecessor, never the predecessor's own; at index 0 it adds the last "
        "event, already among the later ones"),
}

# Every package the tests import, copied so that the mutated tree runs as the real one.
SOURCE_PATHS = ["trace", "suppliers", "canteens", "inspections", "seeds"]
ALSO_COPY = ["migrations", "alembic.ini", "locale", "static", "babel.cfg", "bench"]


def _project_files() -> list[str]:
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
                            cwd=ROOT, check=True, capture_output=True, text=True).stdout
    return sorted({name for name in listed.split("\0") if name and (ROOT / name).is_file()})


def _toml_list(values) -> str:
    return "[" + ", ".join(f'"{v}"' for v in values) + "]"


def _prepare(target: Target, workdir: Path) -> None:
    for name in _project_files():
        destination = workdir / name
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, destination)
    with (workdir / "pyproject.toml").open("a", encoding="utf-8") as pyproject:
        pyproject.write(
            "\n[tool.mutmut]\n"
            f"source_paths = {_toml_list(SOURCE_PATHS)}\n"
            f"only_mutate = {_toml_list([target.module])}\n"
            f"also_copy = {_toml_list(ALSO_COPY)}\n"
            f"pytest_add_cli_args_test_selection = {_toml_list(target.tests)}\n"
            'pytest_add_cli_args = ["-p", "no:cacheprovider", "-q", "-x"]\n'
            "use_git_change_detection = false\n"
        )


def _mutant_patterns(target: Target) -> list[str]:
    dotted = target.module.removesuffix(".py").replace("/", ".")
    return [f"{dotted}.x_{function}__mutmut_*" for function in target.functions]


def _results(workdir: Path) -> dict[str, str]:
    listed = subprocess.run([sys.executable, "-m", "mutmut", "results", "--all", "true"], cwd=workdir,
                            check=True, capture_output=True, text=True).stdout
    statuses = {}
    for line in listed.splitlines():
        name, _, status = line.strip().partition(": ")
        if status:
            statuses[name] = status
    return statuses


@dataclass
class Score:
    name: str
    module: str
    statuses: dict[str, str]
    seconds: float

    @property
    def survivors(self) -> list[str]:
        return sorted(n for n, s in self.statuses.items() if s != "killed" and n not in EQUIVALENT)

    @property
    def equivalent(self) -> int:
        return sum(1 for n, s in self.statuses.items() if s != "killed" and n in EQUIVALENT)

    @property
    def killed(self) -> int:
        return sum(1 for s in self.statuses.values() if s == "killed")

    @property
    def percent(self) -> float:
        counted = len(self.statuses) - self.equivalent
        return 100.0 * self.killed / counted if counted else 100.0


def run_target(name: str, *, jobs: int, keep: bool) -> Score:
    target = TARGETS[name]
    workdir = Path(tempfile.mkdtemp(prefix=f"mutate-{name}-"))
    started = time.monotonic()
    try:
        _prepare(target, workdir)
        only = _mutant_patterns(target)
        run = subprocess.run([sys.executable, "-m", "mutmut", "run", "--max-children", str(jobs), *only],
                             cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if run.returncode != 0:
            raise SystemExit(f"mutmut failed on {target.module}:\n{run.stderr[-4000:]}")
        statuses = _results(workdir)
        if only:
            prefixes = tuple(pattern.removesuffix("*") for pattern in only)
            statuses = {n: s for n, s in statuses.items() if n.startswith(prefixes)}
        return Score(name, target.module, statuses, time.monotonic() - started)
    finally:
        if keep:
            print(f"kept {workdir} (mutmut show NAME / mutmut browse there)", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("targets", nargs="*", metavar="TARGET", help=f"any of {', '.join(TARGETS)} (default: all)")
    parser.add_argument("--jobs", type=int, default=2, help="mutants tested at once (default 2)")
    parser.add_argument("--keep", action="store_true", help="keep each scratch copy to inspect survivors")
    args = parser.parse_args(argv)
    if unknown := [name for name in args.targets if name not in TARGETS]:
        parser.error(f"unknown target {', '.join(unknown)}: choose from {', '.join(TARGETS)}")
    scores = [run_target(name, jobs=args.jobs, keep=args.keep) for name in (args.targets or list(TARGETS))]
    print(f"\n{'target':<14}{'module':<26}{'mutants':>8}{'killed':>8}{'equiv.':>8}{'survived':>10}{'score':>8}"
          f"{'time':>8}")
    for s in scores:
        print(f"{s.name:<14}{s.module:<26}{len(s.statuses):>8}{s.killed:>8}{s.equivalent:>8}"
              f"{len(s.survivors):>10}{s.percent:>7.1f}%{s.seconds:>7.0f}s")
    for s in scores:
        for survivor in s.survivors:
            print(f"  survived: {survivor} ({s.statuses[survivor]})")
    # The aim set for these modules: 90 % of the mutants that can be killed.
    return 0 if all(s.percent >= 90 for s in scores) else 1


if __name__ == "__main__":
    from trace.guard import ensure_project_trace

    ensure_project_trace()
    sys.exit(main())
