"""Hypothesis strategies for whole task files, file headers and execution-type YAML.

The task files are built from realistic fragments (every key of `TASK_FIELD_NAMES`, values
that are numbers, negatives, huge numbers, placeholders, environment references, conditions,
ID lists, unicode, NUL bytes, CR/LF, very long lines) so that most examples get past the
lexer and reach the validator and the dry-run engine; a share of raw random text keeps the
early phases honest.
"""

from __future__ import annotations

from hypothesis import strategies as st

from tasker.model import TASK_FIELD_NAMES

NUMBERS = ["0", "1", "2", "3", "5", "10", "11", "-1", "-5", "0.5", "1.5", "1e3", "1_000",
           "255", "256", "300", "1000", "9999", "10000", "99999999999999999999999",
           "-99999999999999999999", "9" * 400, "-" + "9" * 400, "1e999", "nan", "inf",
           "-inf", "0x10", "+3", " 4 ", "٣"]
PLACEHOLDERS = ["@X@", "@LOOPS@", "@0_stdout@", "@0_stderr@", "@0_exit@", "@1_exit_code@",
                "@0_success@", "@9_stdout@", "@1_success_count@", "@task@", "@@", "@",
                "@X", "@unknown@", "@0_STDOUT@", "$HOME", "${HOME}", "$UNSET_VAR_X",
                "${X", "$TASKER_X"]
ATOMS = ["exit_0", "exit_1", "exit_not_0", "exit=0", "exit!=0", "exit>0", "exit<2",
         "exit_300", "success", "failure", "true", "false", "TRUE", "loop", "never",
         "stdout~a", "stdout!~b", "stderr~", "stdout=x", "stdout==DRY RUN STDOUT",
         "stdout_count>=2", "stdout_count<1", "stderr_count=0", "all_success", "any_success",
         "majority_success", "majority_failed", "min_success=2", "max_failed=0",
         "min_success=x", "@0_stdout@~DRY", "@X@=prod", "@0_exit@==0", "@1_success@=true",
         "contains:x", "x y", "\"quoted\"", "'q'"]
OPERATORS = ["&", "|", " AND ", " OR ", " and ", " or ", "&&", "||", "!", "~", "!~", "=",
             "==", "!=", "<", ">", "<=", ">=", "(", ")", " "]
ID_LISTS = ["1", "1,2", "1,2,x", "2,1", "1,,2", ",", "1-3", "10,11,12", "0", "-1", "9999",
            "100000", "1, 2", "@X@", "1,2,3,4,5,6,7,8,9,10,11,12", ""]
WORDS = ["", "localhost", "127.0.0.1", "web_01", "host-a", "echo", "/bin/true", "true",
         "false", "ls -l", "a b", "../x", "; rm -rf x", "$(id)", "`id`", "a|b", "a&b",
         "local", "shell", "ssh", "pbrun", "p7s", "wwrs", "LOCAL", "nosuchtype",
         "parallel", "conditional", "decision", "sequential", "PARALLEL", "space,1",
         "comma,0", "tab,2", "newline,1", "semicolon,x", "pipe,-1", "space", "512M", "2G",
         "1.5g", "0M", "-1M", "5Q", "yes", "no", "1.0", "é", "日本", "\u2028", "\u00a0",
         "\ufeff", "a" * 300]
KEYS = [*TASK_FIELD_NAMES, "goto", "unknown_key", "TASK", "Task", " hostname", "command ",
        "x-y", ""]
NAMES = ["X", "LOOPS", "Y", "HOME", "PATH", "TASKER_X", "x y", "1X", "_", "ÄÖ", "A" * 70]
NOISE = ["", "\r", "\x00", " ", "\t", "\u2028", "#", " # c", "=", "==", "\\", "\x7f",
         "\x1b[31m", "\ud7ff", "\U0001f600"]


def _join(parts: list[str]) -> str:
    return "".join(parts)


conditions = st.lists(st.sampled_from(ATOMS + OPERATORS + PLACEHOLDERS), min_size=0,
                      max_size=12).map(_join)
long_values = st.sampled_from(["x", "@X@", "a b ", "(", "é"]).map(
    lambda unit: unit * 4000)
values = st.one_of(
    st.sampled_from(NUMBERS),
    st.sampled_from(PLACEHOLDERS),
    st.sampled_from(ID_LISTS),
    st.sampled_from(WORDS),
    conditions,
    st.lists(st.sampled_from(NUMBERS + PLACEHOLDERS + WORDS + NOISE), max_size=4).map(_join),
    st.text(max_size=20),
    long_values,
)
noise = st.sampled_from(NOISE)


@st.composite
def field_lines(draw: st.DrawFn) -> str:
    """One `key=value` line, sometimes with noise around the key or after the value."""
    key = draw(st.sampled_from(KEYS))
    line = f"{key}={draw(values)}"
    if draw(st.integers(0, 9)) == 0:
        line = draw(noise) + line + draw(noise)
    return line


@st.composite
def task_blocks(draw: st.DrawFn) -> str:
    """A `task=N` block: mostly a plausible id and a hostname/command, then random fields."""
    task_id = draw(st.one_of(st.integers(0, 14).map(str), st.sampled_from(NUMBERS)))
    lines = [f"task={task_id}"]
    if draw(st.booleans()):
        lines += ["hostname=localhost", "command=echo"]
    lines += draw(st.lists(field_lines(), max_size=8))
    return "\n".join(lines)


header_flags = st.sampled_from([
    "--skip-host-validation", "--skip-command-validation", "--skip-task-validation",
    "--skip-security-validation", "--skip-validation", "--fire-and-forget",
    "--skip-unresolved-host-validation", "--strict-env-validation",
    "--skip-subtask-range-validation", "--validate-only", "--debug", "-d", "-y",
    "--log-level=DEBUG", "--log-level=ERROR", "--log-level=bogus", "--log-level",
    "--type=local", "--type=shell", "--type=nosuch", "-t", "--start-from=1",
    "--start-from=999", "--start-from=x", "--start-from=-1", "--timeout=30", "--timeout=0",
    "--timeout=99999999999", "--timeout=x", "--memory-limit=512M", "--memory-limit=0",
    "--memory-limit=nan", "--memory-limit=1e400", "--memory-limit=" + "9" * 400 + "G",
    "--timeout=" + "9" * 400, "--kill-grace=" + "9" * 400, "--start-from=" + "9" * 400,
    "--kill-grace=2", "--kill-grace=-1",
    "--kill-grace=nan", "--in-doubt=fail", "--in-doubt=x", "--allow-changed",
    "--keep-output", "--show-effective-args", "--show-recovery-info", "--auto-recovery",
    "--instance-check", "--no-task-backup", "--show-plan", "--output-json",
    "--project=fuzz", "--project=", "--alert-on-failure=alert.sh", "--help", "-h",
    "--version", "-V", "--force-instance", "-auto-recovery", "-x", "-", "--", "--unknown",
    "--unknown=1", "--skip-host-validation=1", "--connection-test", "-c", "--run=1",
    "--log-dir=logs", "--skip", "--val", "--x=é\x00",
])
globals_lines = st.tuples(st.sampled_from(NAMES), values).map("=".join)


@st.composite
def task_files(draw: st.DrawFn) -> str:
    """A whole task file: header flags, globals, comments and task blocks, joined by LF/CRLF."""
    parts = draw(st.lists(header_flags, max_size=3))
    parts += draw(st.lists(st.one_of(globals_lines, st.just("# comment"), st.just("")),
                           max_size=4))
    parts += draw(st.lists(task_blocks(), min_size=0, max_size=6))
    if draw(st.integers(0, 4)) == 0:
        parts.insert(draw(st.integers(0, len(parts))), draw(field_lines()))
    newline = draw(st.sampled_from(["\n", "\n", "\r\n", "\r", "\n\n"]))
    return newline.join(parts) + draw(st.sampled_from(["", "\n", "\x00", "\n\n#"]))


SIMPLE_CONDITIONS = ["exit_0", "exit_not_0", "stdout~DRY", "stdout!~x", "success", "true",
                     "false", "exit_0&stdout~DRY", "exit_0|exit_1", "(exit_0)", "stdout=x",
                     "@0_stdout@~DRY", "@X@=prod", "stdout_count>=1", "stderr_count=0"]
BLOCK_CONDITIONS = ["all_success", "any_success", "majority_success", "min_success=1",
                    "max_failed=0", "all_success&any_success", "majority_failed"]


SUBTASK_KEYS = ("arguments", "success", "condition", "sleep", "timeout", "exec",
                "stdout_split", "retry_count", "retry_delay", "memory_limit")


def _plausible_values(tid: int, last: int) -> dict[str, st.SearchStrategy[str]]:
    later = st.integers(tid + 1, last + 1).map(str)
    return {
        "arguments": st.sampled_from(["hi", "@X@", "@0_stdout@", "$HOME", "'a b'", "é"]),
        "success": st.sampled_from(SIMPLE_CONDITIONS),
        "condition": st.sampled_from(SIMPLE_CONDITIONS),
        "next": st.sampled_from(["never", "success", "always", "exit_0", *SIMPLE_CONDITIONS]),
        "loop": st.sampled_from(["1", "2", "3", "@LOOPS@", "0"]),
        "loop_break": st.sampled_from(SIMPLE_CONDITIONS), "on_success": later,
        "on_failure": later, "sleep": st.sampled_from(["0", "0.5", "1", "@X@"]),
        "timeout": st.sampled_from(["5", "30", "1000", "2", "@X@"]),
        "return": st.sampled_from(["0", "1", "3", "255", "256", "-1", "x", "@X@"]),
        "exec": st.sampled_from(["local", "shell", "LOCAL", "@X@"]),
        "stdout_split": st.sampled_from(["space,0", "comma,1", "newline,0", "space,x"]),
        "stderr_split": st.sampled_from(["space,0", "tab,1"]),
        "retry_count": st.sampled_from(["1", "3"]),
        "retry_delay": st.sampled_from(["0", "1"]),
        "memory_limit": st.sampled_from(["512M", "1G", "x"]),
    }


@st.composite
def plausible_fields(draw: st.DrawFn, tid: int, last: int, subtask: bool = False) -> list[str]:
    """Fields with values their key can hold: forward routing, small numbers, conditions."""
    choices = _plausible_values(tid, last)
    pool = SUBTASK_KEYS if subtask else sorted(choices)
    keys = draw(st.lists(st.sampled_from(pool), max_size=4, unique=True))
    lines = [f"{key}={draw(choices[key])}" for key in keys]
    if "loop" in keys:
        lines = [line for line in lines if not line.startswith("next=")] + ["next=loop"]
    return lines


def _subtask(draw: st.DrawFn, sid: int) -> list[str]:
    return [f"task={sid}", "hostname=localhost", "command=echo",
            *draw(plausible_fields(sid, sid, subtask=True))]


@st.composite
def plausible_block(draw: st.DrawFn, tid: int, last: int) -> list[str]:
    """A parallel, conditional or decision block; its subtasks sit at 100+10*tid+j."""
    kind = draw(st.sampled_from(["parallel", "conditional", "decision"]))
    sids = [100 + 10 * tid + j for j in range(draw(st.integers(1, 3)))]
    subs = ",".join(map(str, sids))
    lines = [f"task={tid}", f"type={kind}"]
    if kind == "parallel" and draw(st.booleans()):
        return [*lines, "hostnames=a,b", "command=echo", "max_parallel=2"]
    if kind == "parallel":
        lines += [f"tasks={subs}", "max_parallel=2", draw(st.sampled_from(
            ["", "next=all_success", "next=min_success=1", "retry_failed=true"]))]
    elif kind == "conditional":
        lines += [f"condition={draw(st.sampled_from(SIMPLE_CONDITIONS))}",
                  f"if_true_tasks={subs}", f"if_false_tasks={sids[0]}",
                  f"next={draw(st.sampled_from(BLOCK_CONDITIONS))}"]
    else:
        return [*lines, f"success={draw(st.sampled_from(SIMPLE_CONDITIONS))}",
                f"on_success={last + 1}", f"on_failure={last + 1}"]
    for sid in sids:
        lines += ["", *_subtask(draw, sid)]
    return lines


@st.composite
def plausible_files(draw: st.DrawFn) -> str:
    """Mostly valid workflows (a main flow, then its block subtasks behind a `return=0`)."""
    last = draw(st.integers(0, 6))
    parts = draw(st.lists(st.sampled_from(["X=prod", "LOOPS=2", "Y=@X@", "H=$HOME"]),
                          max_size=3, unique=True))
    main: list[str] = []
    subtasks: list[str] = []
    for tid in range(last + 1):
        if draw(st.integers(0, 3)) == 0:
            block = draw(plausible_block(tid, last))
            cut = block.index("") if "" in block else len(block)
            main += block[:cut]
            subtasks += block[cut:]
        else:
            main += [f"task={tid}", "hostname=localhost", "command=echo",
                     *draw(plausible_fields(tid, last))]
    end = [f"task={last + 1}", "return=0"]
    return "\n".join([*parts, *main, *end, *subtasks]) + "\n"


raw_texts = st.one_of(
    st.text(max_size=200),
    st.lists(st.sampled_from([*NOISE, *OPERATORS, *PLACEHOLDERS, "task=", "task=0",
                              "hostname=", "command=", "\n", "\n", "=", "-", "--"]),
             max_size=40).map(_join),
)
task_file_texts = st.one_of(plausible_files(), plausible_files(), task_files(), task_files(),
                            raw_texts)
# A few files are not UTF-8 at all: the reader must say so (exit 1).
task_file_bytes = st.one_of(
    task_file_texts.map(lambda text: text.encode("utf-8", "surrogatepass")),
    st.binary(max_size=60),
)

header_texts = st.lists(
    st.one_of(header_flags, st.sampled_from(["", "# c", "X=1", "plain words", "-", "\t--debug",
                                             "--log-level=INFO\r"]),
              st.text(max_size=15).map(lambda text: "-" + text),
              st.text(max_size=15).map(lambda text: "--" + text)),
    max_size=8,
).map("\n".join)

yaml_scalars = st.one_of(
    st.sampled_from(["", "null", "~", "true", "0", "-1", "1e999", "99999999999999999999",
                     "'x'", "\"{binary}\"", "[]", "{}", "[a, 1]", "{a: 1}", "&a x", "*a",
                     "!!binary x", "!!python/object:os.system x", "|", ">", "@", "`",
                     "'unclosed", "[1,", "é", "\x00", "\t"]),
    st.text(max_size=10),
)
YAML_KEYS = ["platforms", "linux", "darwin", "aliases", "default_exec_type", "default_timeout",
             "default_validation_timeout", "binary", "command_template", "timeout",
             "validation_test", "command", "arguments", "expected_exit", "expected_output",
             "description", "shell", "pbrun", "ssh", "-", "? x", "<<", "", "1"]


@st.composite
def yaml_texts(draw: st.DrawFn) -> str:
    """Indented `key: value` / `- item` lines, a structure close to execution_types.yaml."""
    lines = []
    for _ in range(draw(st.integers(0, 12))):
        indent = "  " * draw(st.integers(0, 4))
        key = draw(st.sampled_from(YAML_KEYS))
        value = draw(yaml_scalars)
        line = f"{indent}- {value}" if key == "-" else f"{indent}{key}: {value}"
        lines.append(line)
    return "\n".join(lines)


yaml_leaves = st.one_of(
    st.none(), st.booleans(), st.integers(), st.sampled_from([10**30, -(10**30), 0, -1]),
    st.floats(), st.text(max_size=8),
    st.sampled_from(["{binary}", "{hostname}", "{command}", "{arguments}", "{timeout}",
                     "{arguments_split}", "{nosuch}", "{", "}", "{{binary}}", "local",
                     "shell", "SSH", "true"]),
)
yaml_values = st.recursive(
    yaml_leaves,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
        st.sampled_from(YAML_KEYS) | yaml_leaves.filter(lambda leaf: not isinstance(leaf, float)),
        inner, max_size=4),
    max_leaves=12,
)
TYPE_FIELDS = ["binary", "command_template", "timeout", "validation_test", "description",
               "name", "command", "arguments", "expected_exit", "expected_output"]
exec_type_entries = st.dictionaries(
    st.sampled_from(TYPE_FIELDS) | st.integers(0, 3) | st.none(), yaml_values, max_size=5)
PLATFORM_KEYS = ["default_exec_type", "default_timeout", "default_validation_timeout",
                 "shell", "ssh", "pbrun", "Local", "1"]
yaml_documents = st.fixed_dictionaries(
    {"platforms": st.dictionaries(
        st.sampled_from(["linux", "darwin", "windows", "LINUX"]),
        st.dictionaries(st.sampled_from(PLATFORM_KEYS), exec_type_entries | yaml_values,
                        max_size=5) | yaml_values, max_size=2)},
    optional={"aliases": st.dictionaries(yaml_leaves.map(str), yaml_values, max_size=3)
              | yaml_values},
)


def _dump(document: object) -> str:
    import yaml

    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False)


exec_config_texts = st.one_of(yaml_documents.map(_dump), yaml_documents.map(_dump),
                              yaml_texts(), st.text(max_size=120))
