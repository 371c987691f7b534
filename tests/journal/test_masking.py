"""Secret globals (REFERENCE §2.2 names) are masked in journal payloads."""

from __future__ import annotations

import pytest

from tasker.journal.masking import is_secret_name, mask_secrets, secret_values


@pytest.mark.parametrize("name", ["SECRET_X", "mask_a", "Hide_b", "PASSWORD_1", "token_t",
                                  "DB_PASSWORD", "api_token", "MY_SECRET", "ssh_key"])
def test_secret_names_match_prefixes_and_suffixes(name):
    assert is_secret_name(name)


@pytest.mark.parametrize("name", ["SECRETS", "KEYS", "PASSWORD", "MY_KEYS", "TOKENIZER", "HOST"])
def test_ordinary_names_are_not_secret(name):
    assert not is_secret_name(name)


def test_secret_values_are_masked_in_nested_strings_only():
    secrets = secret_values({"DB_PASSWORD": "hunter2", "HOST": "db1", "EMPTY_KEY": ""})
    payload = {"type": "t", "cmd": "login -p hunter2", "args": ["x", "hunter2hunter2"],
               "globals": {"DB_PASSWORD": "hunter2", "HOST": "db1"}, "n": 7}
    masked = mask_secrets(payload, secrets)
    assert masked == {"type": "t", "cmd": "login -p <masked len=7>",
                      "args": ["x", "<masked len=7><masked len=7>"],
                      "globals": {"DB_PASSWORD": "<masked len=7>", "HOST": "db1"}, "n": 7}
    assert payload["cmd"] == "login -p hunter2"


def test_longer_secret_is_masked_whole_before_a_shorter_one_inside_it():
    secrets = secret_values({"A_KEY": "abc", "B_KEY": "xxabcxx"})
    assert mask_secrets({"type": "t", "v": "xxabcxx abc"}, secrets) == \
        {"type": "t", "v": "<masked len=7> <masked len=3>"}
