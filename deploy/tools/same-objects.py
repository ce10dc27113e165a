#!/usr/bin/env python3
"""same-objects.py A.yaml B.yaml: exit 1 unless both hold the same Kubernetes objects.

Objects are matched by kind and name, in any order; Helm's bookkeeping labels (helm.sh/chart,
app.kubernetes.io/managed-by) are ignored, since scripts/render-manifests rewrites them.
"""
import json
import sys

import yaml

IGNORED = {"helm.sh/chart", "app.kubernetes.io/managed-by"}


def clean(node):
    if isinstance(node, dict):
        return {k: clean(v) for k, v in node.items() if k not in IGNORED}
    if isinstance(node, list):
        return [clean(v) for v in node]
    return node


def load(path):
    with open(path) as f:
        docs = [d for d in yaml.safe_load_all(f) if d]
    return {(d["kind"], d["metadata"]["name"]): clean(d) for d in docs}


a, b = load(sys.argv[1]), load(sys.argv[2])
bad = False
for key in sorted(set(a) | set(b)):
    if key not in a or key not in b:
        print(f"same-objects: {key[0]}/{key[1]} only in {sys.argv[1] if key in a else sys.argv[2]}", file=sys.stderr)
        bad = True
    elif json.dumps(a[key], sort_keys=True) != json.dumps(b[key], sort_keys=True):
        print(f"same-objects: {key[0]}/{key[1]} differs", file=sys.stderr)
        bad = True
sys.exit(1 if bad else 0)
