#!/bin/sh
# Fill the tabular benchmark: the 128-point core sub-grid first, then the full 864-point grid, then
# the full grid with a second training seed, into one database (docs/tabular-benchmark.md). Both are dse grid studies: rerunning this script
# continues where it stopped. Stop it with a timeout rather than a kill: a trial killed mid-run is
# recorded as failed, and Optuna's grid sampler does not revisit a failed grid point.
#   sh benchmarks/tabular/fill.sh [STORAGE_URL] [SECONDS]
# More workers on other cores or machines, meanwhile (one thread each):
#   dse worker tabular_fmnist --storage STORAGE_URL --threads 1
set -e
cd "$(dirname "$0")/../.."
URL=${1:-sqlite:///$(pwd)/benchmarks/tabular/table.db}
TIMEOUT=${2:+--timeout $2}
DSE=${DSE:-.venv/bin/dse}
$DSE launch benchmarks/tabular/core.yaml --storage "$URL" $TIMEOUT
$DSE launch benchmarks/tabular/study.yaml --storage "$URL" $TIMEOUT
$DSE launch benchmarks/tabular/seed2.yaml --storage "$URL" $TIMEOUT
