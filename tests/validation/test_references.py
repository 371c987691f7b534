"""@...@ references, jump targets and block lists must point at something that exists."""

from __future__ import annotations

from tests.validation.helpers import errors, task, tasks, validate, warnings


def test_undefined_global_is_an_error_naming_the_field():
    (finding,) = validate(task(0, "arguments=seq @NOT_DEFINED@")).errors
    assert finding.message == "Undefined global variable '@NOT_DEFINED@' in arguments"
    assert (finding.location.line, finding.location.field) == (5, "arguments")


def test_defined_globals_pass_in_every_field():
    text = ("H=web\nC=echo\nM=local\n"
            "task=0\nhostname=@H@\ncommand=@C@\nexec=@M@\narguments=@H@\nsuccess=@H@=web\n")
    assert errors(text) == []


def test_task_placeholder_is_exempt():
    assert errors(task(0, "arguments=@task@")) == []


def test_global_defined_after_the_first_task_is_undefined():
    text = task(0, "LATE=late") + task(1, "arguments=@LATE@")
    assert "Undefined global variable '@LATE@' in arguments" in errors(text)


def test_reference_to_an_undefined_task_is_an_error():
    assert "Task 9 is referenced but not defined (in arguments)" in errors(
        task(0) + task(1, "arguments=@9_stdout@"))


def test_a_generated_hostnames_subtask_cannot_be_referenced():
    """REFERENCE §5.15: `@100000_stdout@` fails validation (the subtask is not in the file)."""
    block = "task=1\ntype=parallel\nhostnames=alpha,beta\ncommand=echo\nexec=local\n\n"
    text = task(0) + block + task(2, "arguments=@110001_stdout@ @1_stdout@")
    assert errors(text) == ["Task 110001 is referenced but not defined (in arguments)"]


def test_forward_reference_only_warns():
    text = task(0, "arguments=@1_stdout@") + task(1)
    assert errors(text) == []
    assert any("references future Task 1" in m for m in warnings(text))


def test_spec_result_fields_are_known_and_others_warn():
    good = task(0) + task(1, "arguments=@0_exit_code@ @0_HOSTNAME@ @0_duration@ @0_stdout_file@")
    assert validate(good).ok
    assert not any("not a known task result field" in m for m in warnings(good))
    odd = task(0) + task(1, "arguments=@0_colour@")
    assert any("not a known task result field" in m for m in warnings(odd))


def test_undefined_jump_targets_are_errors():
    assert "Task 42 is referenced but not defined (on_failure)" in errors(
        task(0, "on_failure=42") + task(1))
    assert "Task 7 is referenced but not defined (on_success)" in errors(
        task(0, "on_success=7") + task(1))


def test_block_lists_must_name_defined_other_tasks():
    text = task(0) + "task=1\ntype=parallel\ntasks=1,50\n" + task(2)
    found = errors(text)
    assert "parallel task 1 lists itself in tasks" in found
    assert "Task 50 is referenced by parallel task 1 but not defined" in found
    text = task(0) + "task=1\ntype=conditional\ncondition=true\nif_true_tasks=60\n" \
        "if_false_tasks=2\n" + task(2)
    assert "Task 60 is referenced by conditional task 1 but not defined" in errors(text)


def test_unused_globals_warn_but_chained_use_counts():
    text = "BASE=/a\nFULL=@BASE@/b\nIDLE=1\n" + task(0, "arguments=@FULL@")
    found = warnings(text)
    assert "Global variable 'IDLE' is never used" in found
    assert not any("'BASE'" in m or "'FULL'" in m for m in found)


def test_nested_reference_syntax_resolves_the_inner_global():
    assert errors("ID=0\n" + tasks(1) + task(1, "arguments=@@ID@_stdout@")) == []


def test_unused_global_with_an_unset_env_variable_warns():
    text = "IDLE=$SURELY_UNSET/x\n" + task(0)
    assert ("Global variable 'IDLE' keeps unexpanded environment variable(s): $SURELY_UNSET"
            in warnings(text))
