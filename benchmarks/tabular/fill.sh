#!/bin/sh
# Fill the tabular benchmark: the 128-point core first, then the full 864-point grid, into one
# database. Both are dse grid studies, so rerunning this script continues where it stopped (a
# trial killed mid-run is marked failed and its grid point is run again). More workers: run
# `dse worker tabular_fmnist --storage URL --threads 1` on other machines/cores meanwhile.
#   sh benchmarks/tabular/fill.sh [STORAGE_URL]
set -e
cd "$(dirname "$0")/../.."
URL=${1:-sqlite:///$(pwd)/benchmarks/tabular/table.db}
DSE=${DSE:-.venv/bin/dse}
$DSE launch benchmarks/tabular/core.yaml --storage "$URL"
$DSE launch benchmarks/tabular/study.yaml --storage "$URL"
