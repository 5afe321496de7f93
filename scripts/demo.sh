#!/usr/bin/env bash
# `make demo [PSA=connectwise|halopsa]`: plan and apply the PSA's example against the local
# sandbox, then prove that a second plan finds nothing to do. Everything runs on loopback; nothing
# is left running. Usage: scripts/demo.sh [autotask|connectwise|halopsa]
set -euo pipefail
cd "$(dirname "$0")/.."
RECONCILE="${RECONCILE:-.venv/bin/reconcile}"
psa="${1:-autotask}"
case "$psa" in
  autotask)
    title="Autotask" example="examples/mappings.yaml" seed="empty" url_variable="AUTOTASK_API_URL"
    tenant="an MSP tenant's reference data and no integration settings"
    writes_are="in dependency order (webhooks inactive, fields, then activation)" ;;
  connectwise)
    title="ConnectWise Manage" example="examples/connectwise/mappings.yaml" seed="demo"
    url_variable="CONNECTWISE_API_URL"
    tenant="a ConnectWise tenant's boards, categories, types and statuses"
    writes_are="(the callbacks in ConnectWise, one PUT per Salesbuildr page)" ;;
  halopsa)
    title="HaloPSA" example="examples/halopsa/mappings.yaml" seed="demo" url_variable="HALOPSA_URL"
    tenant="a HaloPSA tenant and one webhook of its own (the example deletes it: manage: full)"
    writes_are="(the Halo webhooks, one PUT per Salesbuildr page)" ;;
  *) echo "scripts/demo.sh: no demo for PSA=$psa (autotask, connectwise, halopsa)"; exit 1 ;;
esac
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

step "1. Start the sandbox: simulators of the $title and Salesbuildr APIs (seed $seed)"
"$RECONCILE" sandbox --psa "$psa" --seed "$seed" --env-file "$work/sandbox.env" \
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
echo "$title simulator: ${!url_variable}"
echo "Salesbuildr simulator: $SALESBUILDR_API_URL"

cp "$example" "$work/mappings.yaml"
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
The sandbox started with $tenant.
The plan found what mappings.yaml sets that the live systems lack.
Apply made $writes journalled write(s) $writes_are,
verified them, and the second plan found nothing left to do. Try it yourself:

  .venv/bin/reconcile sandbox --psa $psa --seed demo --env-file .sandbox.env   # terminal 1
  set -a; . ./.sandbox.env; set +a                                             # terminal 2, then:
  .venv/bin/reconcile plan $example
STORY
