#!/usr/bin/env python3
"""Kubernetes JSON schemas for kubeconform, made from Kubernetes' own OpenAPI (swagger.json).

    k8s-json-schemas.py SWAGGER_JSON OUT_DIR
    k8s-json-schemas.py --crd CRD_YAML OUT_DIR      (a CustomResourceDefinition, e.g. ServiceMonitor)

kubeconform downloads its schemas from GitHub by default, which CI cannot reach. The Go module
k8s.io/kubernetes (served by the Go module proxy) ships api/openapi-spec/swagger.json; this
writes one standalone schema per kind in kubeconform's naming
({kind}-{group}-{version}.json, e.g. deployment-apps-v1.json, service-v1.json), strict
(additionalProperties: false wherever the API lists the properties), as yannh's
openapi2jsonschema does: IntOrString accepts a string or an integer, Quantity a string or a
number. Use it with
    kubeconform -strict -schema-location 'OUT_DIR/{{ .ResourceKind }}{{ .KindSuffix }}.json'
"""
import copy
import json
import os
import sys


def main(swagger_path, out_dir):
    with open(swagger_path) as f:
        defs = json.load(f)["definitions"]

    special = {
        "io.k8s.apimachinery.pkg.util.intstr.IntOrString": {"oneOf": [{"type": "string"}, {"type": "integer"}]},
        "io.k8s.apimachinery.pkg.api.resource.Quantity": {"oneOf": [{"type": "string"}, {"type": "number"}]},
    }

    def strict(node):
        if isinstance(node, dict):
            if "properties" in node and "additionalProperties" not in node \
                    and not node.get("x-kubernetes-preserve-unknown-fields"):
                node["additionalProperties"] = False
            for v in node.values():
                strict(v)
        elif isinstance(node, list):
            for v in node:
                strict(v)

    def refs(node, found):
        if isinstance(node, dict):
            r = node.get("$ref")
            if isinstance(r, str) and r.startswith("#/definitions/"):
                found.add(r[len("#/definitions/"):])
            for v in node.values():
                refs(v, found)
        elif isinstance(node, list):
            for v in node:
                refs(v, found)

    prepared = {}
    for name, schema in defs.items():
        s = copy.deepcopy(special.get(name, schema))
        strict(s)
        prepared[name] = s

    os.makedirs(out_dir, exist_ok=True)
    written = 0
    for name, schema in defs.items():
        for gvk in schema.get("x-kubernetes-group-version-kind", []):
            group, version, kind = gvk.get("group", ""), gvk["version"], gvk["kind"]
            if kind.endswith("List") or kind in ("WatchEvent", "DeleteOptions", "Status", "APIVersions",
                                                   "APIGroup", "APIGroupList", "APIResourceList"):
                continue
            # closure of the definitions this kind uses
            need, todo = set(), [name]
            while todo:
                n = todo.pop()
                if n in need:
                    continue
                need.add(n)
                found = set()
                refs(prepared[n], found)
                todo.extend(found - need)
            out = copy.deepcopy(prepared[name])
            out["$schema"] = "http://json-schema.org/draft-07/schema#"
            out["definitions"] = {n: prepared[n] for n in sorted(need)}
            api_version = f"{group}/{version}" if group else version
            props = out.setdefault("properties", {})
            props["apiVersion"] = {"type": "string", "enum": [api_version]}
            props["kind"] = {"type": "string", "enum": [kind]}
            suffix = "-" + group.split(".")[0].lower() + "-" + version if group else "-" + version
            path = os.path.join(out_dir, f"{kind.lower()}{suffix}.json")
            with open(path, "w") as f:
                json.dump(out, f)
            written += 1
    print(f"{written} schemas in {out_dir}", file=sys.stderr)


def crd(crd_path, out_dir):
    import yaml  # PyYAML: only this mode needs it
    with open(crd_path) as f:
        doc = yaml.safe_load(f)
    group, kind = doc["spec"]["group"], doc["spec"]["names"]["kind"]

    def strict(node):
        if isinstance(node, dict):
            if "properties" in node and "additionalProperties" not in node \
                    and not node.get("x-kubernetes-preserve-unknown-fields"):
                node["additionalProperties"] = False
            for v in node.values():
                strict(v)
        elif isinstance(node, list):
            for v in node:
                strict(v)

    os.makedirs(out_dir, exist_ok=True)
    for v in doc["spec"]["versions"]:
        schema = v["schema"]["openAPIV3Schema"]
        strict(schema)
        schema["$schema"] = "http://json-schema.org/draft-07/schema#"
        path = os.path.join(out_dir, f"{kind.lower()}-{group.split('.')[0]}-{v['name']}.json")
        with open(path, "w") as f:
            json.dump(schema, f)
        print(f"{path}", file=sys.stderr)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--crd":
        crd(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 3:
        main(sys.argv[1], sys.argv[2])
    else:
        sys.exit(__doc__)
