"""The shipped `tasker/data/execution_types.yaml`, pre-parsed (start-up: no YAML import).

GENERATED from the YAML file; after editing it run `python -m tasker.execconfig_data` (a test
fails while the two differ). `load_exec_config` uses `DATA` for any config file whose SHA-256 is
`SHA256` (the shipped file, or an unchanged copy in ./cfg) and parses every other file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

SOURCE = Path(__file__).parent / "data" / "execution_types.yaml"
_MARKER = "\n# -- generated\n"


def render(text: str) -> str:
    """This module's source for the YAML `text`."""
    import hashlib
    import pprint

    import yaml

    data = yaml.safe_load(text)
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()
    head = Path(__file__).read_text(encoding="utf-8").split(_MARKER, 1)[0]
    return (f"{head}{_MARKER}SHA256 = {digest!r}\n\n"
            f"DATA: dict[str, Any] = {pprint.pformat(data, width=99, sort_dicts=False)}\n\n"
            "if __name__ == \"__main__\":\n"
            "    Path(__file__).write_text(render(SOURCE.read_text(encoding=\"utf-8\")),\n"
            "                              encoding=\"utf-8\")\n")


# -- generated
SHA256 = 'ab0f0df1205dc8383fdc5903b623814ffdf7c1eb211c8a77788605d43bb19c08'

DATA: dict[str, Any] = {'platforms': {'linux': {'default_exec_type': 'local',
                         'default_timeout': 300,
                         'default_validation_timeout': 10,
                         'shell': {'description': "Run 'command arguments' through bash",
                                   'binary': '/bin/bash',
                                   'command_template': ['{binary}', '-c', '{command} {arguments}'],
                                   'validation_test': {'command': 'echo',
                                                       'arguments': 'OK',
                                                       'expected_exit': 0,
                                                       'expected_output': 'OK'}},
                         'pbrun': {'description': 'PowerBroker: pbrun -n -h HOST COMMAND ARGS',
                                   'binary': 'pbrun',
                                   'command_template': ['{binary}',
                                                        '-n',
                                                        '-h',
                                                        '{hostname}',
                                                        '{command}',
                                                        '{arguments_split}'],
                                   'validation_test': {'command': 'pbtest',
                                                       'expected_exit': 0,
                                                       'expected_output': 'OK'}},
                         'p7s': {'description': 'p7s HOST COMMAND ARGS',
                                 'binary': 'p7s',
                                 'command_template': ['{binary}',
                                                      '{hostname}',
                                                      '{command}',
                                                      '{arguments_split}'],
                                 'validation_test': {'command': 'pbtest',
                                                     'expected_exit': 0,
                                                     'expected_output': 'OK'}},
                         'wwrs': {'description': 'wwrs_clir HOST COMMAND ARGS',
                                  'binary': 'wwrs_clir',
                                  'command_template': ['{binary}',
                                                       '{hostname}',
                                                       '{command}',
                                                       '{arguments_split}'],
                                  'validation_test': {'command': 'wwrs_test',
                                                      'expected_exit': 0,
                                                      'expected_output': 'OK',
                                                      'timeout': 15}},
                         'ssh': {'description': 'OpenSSH without prompts; the remote command runs '
                                                'under the remote timeout',
                                 'binary': 'ssh',
                                 'command_template': ['{binary}',
                                                      '-o',
                                                      'BatchMode=yes',
                                                      '-o',
                                                      'ConnectTimeout=10',
                                                      '--',
                                                      '{hostname}',
                                                      'timeout',
                                                      '-k',
                                                      '5',
                                                      '{timeout}',
                                                      '{command_quoted}',
                                                      '{arguments_quoted}'],
                                 'validation_test': {'command': 'true', 'expected_exit': 0}}},
               'darwin': {'default_exec_type': 'local',
                          'default_timeout': 300,
                          'default_validation_timeout': 10,
                          'shell': {'description': "Run 'command arguments' through bash",
                                    'binary': '/bin/bash',
                                    'command_template': ['{binary}',
                                                         '-c',
                                                         '{command} {arguments}'],
                                    'validation_test': {'command': 'echo',
                                                        'arguments': 'OK',
                                                        'expected_exit': 0,
                                                        'expected_output': 'OK'}},
                          'ssh': {'description': 'OpenSSH without prompts; the remote command '
                                                 'runs under the remote timeout',
                                  'binary': 'ssh',
                                  'command_template': ['{binary}',
                                                       '-o',
                                                       'BatchMode=yes',
                                                       '-o',
                                                       'ConnectTimeout=10',
                                                       '--',
                                                       '{hostname}',
                                                       'timeout',
                                                       '-k',
                                                       '5',
                                                       '{timeout}',
                                                       '{command_quoted}',
                                                       '{arguments_quoted}'],
                                  'validation_test': {'command': 'true', 'expected_exit': 0}}}},
 'aliases': {'bash': 'shell', 'sh': 'shell', '/bin/bash': 'shell', '/bin/sh': 'shell'}}

if __name__ == "__main__":
    Path(__file__).write_text(render(SOURCE.read_text(encoding="utf-8")),
                              encoding="utf-8")
