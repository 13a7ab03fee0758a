#!/bin/bash
# Runs a sharded shortfall run on Kubernetes: the scenarios as a ConfigMap,
# the shards as an Indexed Job, and, once every shard has completed, the
# merge Job. Edit the env of both manifests for another scenario, run or
# trial count.
#
#   examples/cluster/k8s-run.sh
set -euo pipefail
here=$(dirname "$0")

kubectl create configmap shortfall-scenarios --from-file=scenarios/ \
    --dry-run=client -o yaml | kubectl apply -f -
kubectl apply -f "$here/k8s-shards.yaml"
kubectl wait --for=condition=complete --timeout=24h job/shortfall-shards
kubectl apply -f "$here/k8s-merge.yaml"
kubectl wait --for=condition=complete --timeout=1h job/shortfall-merge
kubectl logs job/shortfall-merge
