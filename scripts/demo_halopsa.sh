#!/usr/bin/env bash
# `make demo PSA=halopsa`: plan and apply examples/halopsa/mappings.yaml against the local HaloPSA
# and Salesbuildr simulators (seed demo), then prove that a second plan finds nothing to do.
# Everything runs on loopback; nothing is left running.
set -euo pipefail
cd "$(dirname "$0")/.."
RECONCILE="${RECONCILE:-.venv/bin/reconcile}"
work="$(mktemp -d)"
cleanup() {
  if [[ -n "${sandbox_pid:-}" ]] && kill -0 "$sandbox_pid" 2>/dev/null; then
    kill -TERM "$sandbox_pid" 2>/dev/null || true
    wait "$sandbox_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "1. Start the sandbox: simulators of the HaloPSA and Salesbuildr APIs, seeded with an MSP tenant"
"$RECONCILE" sandbox --psa halopsa --seed demo --env-file "$work/sandbox.env" \
  >"$work/sandbox.out" 2>"$work/sandbox.err" &
sandbox_pid=$!
for _ in $(seq 1 100); do
  grep -q "sandbox ready" "$work/sandbox.out" 2>/dev/null && break
  kill -0 "$sandbox_pid" 2>/dev/null || { cat "$work/sandbox.err"; exit 1; }
  sleep 0.1
done
grep -q "sandbox ready" "$work/sandbox.out" || { echo "the sandbox did not start"; cat "$work/sandbox.err"; exit 1; }
set -a
# shellcheck disable=SC1091  # written by `reconcile sandbox --env-file` at run time
. "$work/sandbox.env"
set +a
echo "HaloPSA simulator:     $HALOPSA_URL"
echo "Salesbuildr simulator: $SALESBUILDR_API_URL"

cp examples/halopsa/mappings.yaml "$work/mappings.yaml"
cd "$work"

step "2. reconcile validate mappings.yaml  (offline: syntax, schema, rules)"
"$OLDPWD/$RECONCILE" validate mappings.yaml

step "3. reconcile plan mappings.yaml --out plan.json  (reads live state, writes nothing)"
"$OLDPWD/$RECONCILE" plan mappings.yaml --out plan.json

step "4. reconcile apply plan.json  (exactly the reviewed plan; journal in plan.json.journal.jsonl)"
"$OLDPWD/$RECONCILE" apply plan.json --auto-approve

step "5. reconcile plan mappings.yaml --detailed-exitcode  (must find nothing to do: exit 0)"
set +e
"$OLDPWD/$RECONCILE" plan mappings.yaml --detailed-exitcode
code=$?
set -e
if [[ $code -ne 0 ]]; then
  echo "the second plan was not empty (exit $code)"
  exit 1
fi

step "What happened"
writes=$(wc -l < plan.json.journal.jsonl)
cat <<STORY
The sandbox started with a HaloPSA tenant (asset types, item groups, statuses, one webhook of
its own) and Salesbuildr's HaloPSA pages at their defaults. The plan found every page of
mappings.yaml to configure and the unlisted webhook to delete (manage: full); apply made
$writes journalled write(s) (the Halo webhook, one PUT per Salesbuildr page, the delete),
verified them, and the second plan found nothing left to do. Try it yourself:

  .venv/bin/reconcile sandbox --psa halopsa --env-file .sandbox.env   # terminal 1
  set -a; . ./.sandbox.env; set +a                                      # terminal 2, then:
  .venv/bin/reconcile plan examples/halopsa/mappings.yaml
STORY
