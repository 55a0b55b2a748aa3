"""Shared test configuration: the Hypothesis profiles.

Every profile but ``explore`` is derandomized: each run draws the same examples (from a
hash of the test's source), so a failure seen once is seen again, on any machine.

- ``dev`` (the default): quick and reproducible, 50 examples a property.
- ``ci``: thorough and reproducible, 500 examples a property.
- ``explore``: 1,000 random examples a property, different on every run, to look for new
  failures; a failure prints the blob that reproduces it (``@reproduce_failure``).
- ``mutation``: 5 examples a property, no shrinking and no database, for
  benchmarks/mutation.sh (a mutant's verdict must not depend on the run).

CI (``CI=true``) always uses ``ci``; elsewhere ``HYPOTHESIS_PROFILE`` picks one, defaulting
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
settings.register_profile("dev", max_examples=50, derandomize=True, deadline=None)
settings.register_profile(
    "explore",
    max_examples=1000,
    # Explicitly random: with CI set, Hypothesis's own default is derandomized.
    derandomize=False,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)
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
