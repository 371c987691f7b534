"""Long fuzz run of the tests/fuzz properties (not part of CI).

    python stress/fuzz_long.py [--examples N] [--seed S] [--only NAME ...] [--out FILE]

Runs each property (the task-file parser+validator, the condition parser and evaluator, the
whole pipeline in validate-only and dry-run mode, the exec-type YAML loader, the file
header reader, main with a random exec config) for N examples from seed S. A failing
example does not stop the run: it is recorded under a signature (exception type and the
innermost tasker frame, or the first line of the broken assertion), and the smallest input
of each signature is printed at the end together with the counts. Exit status 1 when any
failure was found.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

from tests.fuzz import properties as props
from tests.fuzz import strategies as strat


@dataclass
class Tally:
    """Examples run and the failures found for one property."""

    examples: int = 0
    skipped: int = 0
    failures: int = 0
    signatures: dict[str, tuple[int, str, str]] = field(default_factory=dict)

    def record(self, example: object, error: BaseException) -> None:
        """Count a failure; keep the shortest input of its signature."""
        self.failures += 1
        sig = signature(error)
        text = repr(example)
        kept = self.signatures.get(sig)
        if kept is None or len(text) < len(kept[1]):
            count = kept[0] if kept else 0
            self.signatures[sig] = (count + 1, text, _brief(error))
        else:
            self.signatures[sig] = (kept[0] + 1, kept[1], kept[2])


def signature(error: BaseException) -> str:
    """Exception type plus its innermost tasker frame, or the assertion's first line."""
    if isinstance(error, AssertionError):
        first = str(error).splitlines()[0] if str(error) else "AssertionError"
        return re.sub(r"/tmp/\S+|\d+", "N", first)[:160]
    frames = [f for f in traceback.extract_tb(error.__traceback__) if "/tasker/" in f.filename]
    where = f"{frames[-1].filename.split('/tasker/')[-1]}:{frames[-1].lineno}" if frames else "?"
    return f"{type(error).__name__} at {where}"


def _brief(error: BaseException) -> str:
    return "".join(traceback.format_exception(error)[-6:])[-2000:]


def _parse_and_validate(text: str) -> None:
    from tasker.errors import TaskerError
    from tasker.taskfile.parser import ParseOptions, parse_workflow
    from tasker.validation import validate_workflow
    from tests.taskfile.test_fuzz import OPTIONS

    try:
        wf = parse_workflow(text, "fuzz.txt", ParseOptions(env={"HOME": "/h"}))
    except TaskerError:
        return
    validate_workflow(wf, OPTIONS)


def _condition(text: str) -> None:
    from tests.conditions.test_fuzz import (
        test_any_text_parses_to_a_condition_or_a_syntax_error as parse_test,
    )

    parse_test.hypothesis.inner_test(text)


def _workdir_check(check: Callable[[object, Path], object]) -> Callable[[object], object]:
    def run(example: object) -> object:
        with tempfile.TemporaryDirectory() as workdir:
            return check(example, Path(workdir))
    return run


PROPERTIES: dict[str, tuple[st.SearchStrategy, Callable[[object], object]]] = {
    "parse_validate": (strat.task_file_texts, _parse_and_validate),
    "condition": (strat.conditions | st.text(max_size=60), _condition),
    "validate_only": (strat.task_file_bytes, _workdir_check(
        lambda data, w: props.check_pipeline(data, w, validate_only=True))),
    "dry_run": (strat.task_file_bytes, _workdir_check(
        lambda data, w: props.check_pipeline(data, w, validate_only=False))),
    "exec_config": (strat.exec_config_texts, props.check_exec_config),
    "main_exec_config": (strat.exec_config_texts,
                         _workdir_check(props.check_main_with_exec_config)),
    "header": (strat.header_texts, props.check_header),
    "header_main": (strat.header_texts, _workdir_check(props.check_header_via_main)),
}


def run_property(name: str, examples: int, start_seed: int) -> Tally:
    """Run one property for `examples` examples; failures are tallied, not raised."""
    strategy, check = PROPERTIES[name]
    tally = Tally()
    started = time.monotonic()

    @seed(start_seed)
    @settings(max_examples=examples, deadline=None, database=None, phases=[Phase.generate],
              suppress_health_check=list(HealthCheck))
    @given(strategy)
    def body(example: object) -> None:
        tally.examples += 1
        if tally.examples % 1000 == 0:
            print(f"  {name}: {tally.examples} examples, {tally.failures} failures, "
                  f"{time.monotonic() - started:.0f} s", flush=True)
        try:
            check(example)
        except props.Skip:
            tally.skipped += 1
        except Exception as error:
            tally.record(example, error)

    body()
    return tally


def main(argv: list[str] | None = None) -> int:
    """Run the selected properties and print the summary; 1 when anything failed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=20000, help="per property")
    parser.add_argument("--seed", type=int, default=int(time.time()))
    parser.add_argument("--only", nargs="*", choices=sorted(PROPERTIES), default=None)
    parser.add_argument("--out", help="also write the summary as JSON to this file")
    args = parser.parse_args(argv)
    print(f"fuzz_long: seed {args.seed}, {args.examples} examples per property", flush=True)
    summary = {}
    for name in args.only or PROPERTIES:
        started = time.monotonic()
        tally = run_property(name, args.examples, args.seed)
        summary[name] = tally
        print(f"{name}: {tally.examples} examples ({tally.skipped} skipped), "
              f"{tally.failures} failures, {len(tally.signatures)} distinct, "
              f"{time.monotonic() - started:.0f} s", flush=True)
        for sig, (count, example, brief) in tally.signatures.items():
            print(f"  FAIL x{count}: {sig}\n    input: {example[:1500]}\n"
                  f"    {brief.strip().replace(chr(10), chr(10) + '    ')}", flush=True)
    total = sum(t.failures for t in summary.values())
    print(f"fuzz_long: {sum(t.examples for t in summary.values())} examples, "
          f"{total} failures", flush=True)
    if args.out:
        Path(args.out).write_text(json.dumps({
            "seed": args.seed, "examples": args.examples,
            "properties": {n: {"examples": t.examples, "failures": t.failures,
                               "signatures": {s: {"count": c, "input": i}
                                              for s, (c, i, _b) in t.signatures.items()}}
                           for n, t in summary.items()}}, indent=2), encoding="utf-8")
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
