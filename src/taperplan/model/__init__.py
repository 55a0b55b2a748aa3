"""The model: a regimen, a plan and the advice attached to it, as frozen values with no I/O."""
