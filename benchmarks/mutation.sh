#!/usr/bin/env bash
# Mutation testing of the planner (src/taperplan/planning/) with mutmut: a run by hand,
# never in CI. See docs/benchmarks.md, "Mutation testing".
#
#   benchmarks/mutation.sh            every mutant (about 4,600; hours on 2 cores)
#   MUTATION_SAMPLE=5 benchmarks/mutation.sh
#                                     every 5th mutant in name order (a systematic sample)
#   MUTATION_SAMPLE=20 MUTATION_OFFSET=6 benchmarks/mutation.sh
#                                     every 20th from the 6th (another sample, disjoint)
#   benchmarks/mutation.sh --report   the score and survivors of the last run (of its sample), no run
#
# Settings (environment):
#   MUTATION_VENV     the venv with mutmut (made if missing; default .mutation-venv)
#   MUTATION_WORKERS  mutants tested at once (default 2)
#   MUTATION_SAMPLE   test every Nth mutant only (default 1: all)
#   MUTATION_OFFSET   with MUTATION_SAMPLE, start from the Kth mutant (default 1); samples of
#                     the same N and different offsets share no mutant
#
# mutmut reads [tool.mutmut] in pyproject.toml: what it mutates and which tests run per
# mutant (tests/planning, the clinic panel at two paces, with the "mutation" Hypothesis
# profile of tests/conftest.py: few examples, derandomized). Its work folder, mutants/,
# is git-ignored and reused by the next run (results of unchanged code are kept).
#
# Score = (killed + timeout) / (mutants tested − equivalent), where "tested" counts
# killed, survived, timeout and "no tests" (a mutant no test reaches is a survivor), and
# the equivalent mutants are those listed in benchmarks/mutation-equivalent.txt (each with
# the reason no behaviour can change). Survivors are printed as file:line and the change.
set -euo pipefail

MUTMUT_VERSION=3.8.1
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
venv=${MUTATION_VENV:-$root/.mutation-venv}
workers=${MUTATION_WORKERS:-2}
sample=${MUTATION_SAMPLE:-1}
offset=${MUTATION_OFFSET:-1}
equivalent=benchmarks/mutation-equivalent.txt

if [[ ! -x $venv/bin/mutmut ]] || ! "$venv/bin/python" -c "import mutmut, sys; sys.exit(mutmut.__version__ != '$MUTMUT_VERSION')" 2>/dev/null; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q "mutmut==$MUTMUT_VERSION" "pytest>=8" "hypothesis>=6.100" "jsonschema>=4.20" -e .
fi
mutmut=$venv/bin/mutmut
export HYPOTHESIS_PROFILE=mutation

report() {
    "$mutmut" results --all true 2>/dev/null | "$venv/bin/python" benchmarks/mutation_report.py \
        --equivalent "$equivalent" --mutmut "$mutmut" ${1:+--only "$1"}
}

# The names a sampled run tested (none after a full run): --report counts only these.
sampled=mutants/mutation-sample.txt
if [[ ${1:-} == --report ]]; then
    report "$( [[ -f $sampled ]] && echo "$sampled" )"
    exit 0
fi

started=$(date +%s)
if [[ $sample == 1 ]]; then
    rm -f "$sampled"
    "$mutmut" run --max-children "$workers" >/dev/null || true
    chosen=""
else
    # Make the mutants (and mutmut's test statistics) without testing any (mutmut then
    # stops, finding no mutant of that name), then test every Nth by name.
    "$mutmut" run --max-children "$workers" "no-mutant-has-this-name" >/dev/null 2>&1 || true
    chosen=$sampled
    "$mutmut" results --all true 2>/dev/null | sed -E 's/^ *([^:]+):.*/\1/' | sort -V \
        | awk -v n="$sample" -v k="$offset" 'NR % n == k % n' >"$chosen"
    xargs -a "$chosen" "$mutmut" run --max-children "$workers" >/dev/null || true
fi
echo "mutation run: $(( ($(date +%s) - started) / 60 )) min, mutmut $MUTMUT_VERSION, $workers workers, sample 1 in $sample, offset $offset"
report "$chosen"
