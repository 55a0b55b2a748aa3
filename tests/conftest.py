"""Shared test configuration: the Hypothesis profiles.

``ci`` is thorough and reproducible (500 examples, derandomized); ``dev`` is quick.
``mutation`` (few examples, derandomized) is for benchmarks/mutation.sh. CI
(``CI=true``) always uses ``ci``; elsewhere ``HYPOTHESIS_PROFILE`` picks one, defaulting
to ``dev``.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, Phase, settings

from support import in_ci

settings.register_profile(
    "ci",
    max_examples=500,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)
settings.register_profile("dev", max_examples=50, deadline=None)
# Mutation testing (benchmarks/mutation.sh) runs the tests once per mutant: few examples,
# and always the same ones, so a mutant's verdict does not depend on the run.
settings.register_profile(
    "mutation",
    max_examples=5,
    derandomize=True,
    database=None,
    # A failure is all a mutant needs: no shrinking (it can outlast mutmut's timeout).
    phases=[Phase.explicit, Phase.generate],
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def _profile() -> str:
    if in_ci():
        return "ci"
    return os.environ.get("HYPOTHESIS_PROFILE", "dev")


settings.load_profile(_profile())
