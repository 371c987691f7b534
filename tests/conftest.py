"""Test-wide settings: Hypothesis profiles.

CI runs the fuzz tests derandomized (the same 2000+ examples every run) so a green build stays
green; locally every run explores new examples.
"""

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci" if os.environ.get("CI") else
                                     "default"))
