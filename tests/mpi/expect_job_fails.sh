#!/usr/bin/env bash
# expect_job_fails.sh LIMIT COMMAND...: run an MPI job in which a rank
# leaves early, and pass only if the job ends with a non-zero status within
# LIMIT seconds. A job still running then is a hang: it is killed and the
# test fails.
set -u
limit=$1
shift
log=$(mktemp)
trap 'rm -f "$log"' EXIT
start=$(date +%s)
timeout -k 5 "$limit" "$@" >"$log" 2>&1
rc=$?
took=$(( $(date +%s) - start ))
cat "$log"
# 124: timeout stopped it. (137 alone is no proof: mpirun itself exits
# 128 + 9 when a rank was killed by SIGKILL.)
if [ "$rc" -eq 124 ] || [ "$took" -ge "$limit" ]; then
  echo "FAIL: the job still ran after $limit s: the other ranks hang"
  exit 1
fi
if ! grep -q "leaving the job" "$log"; then
  echo "FAIL: no rank reached the point where it leaves (did the job start?)"
  exit 1
fi
if [ "$rc" -eq 0 ]; then
  echo "FAIL: the job exited 0 although a rank left early"
  exit 1
fi
echo "PASS: the job ended with status $rc after $took s"
