"""Every operation of every OpenAPI document has an example for its request body and for each
of its answers, and each example is valid against its schema (JSON Schema 2020-12, the
dialect of OpenAPI 3.1). `make openapi-validate` runs it with the tools of deploy/tools.txt."""

import json
import sys

import jsonschema

METHODS = ("get", "put", "post", "delete", "patch")
errors = []


def check(doc_path):
    doc = json.load(open(doc_path))
    registry_root = {"components": doc.get("components", {})}
    count = 0
    for path, item in doc["paths"].items():
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            where = f"{doc_path}: {method.upper()} {path}"
            media = []
            body = op.get("requestBody", {}).get("content", {})
            media += [(f"request {m}", c) for m, c in body.items()]
            for status, res in op.get("responses", {}).items():
                media += [(f"{status} {m}", c) for m, c in res.get("content", {}).items()]
            for label, content in media:
                if "example" not in content:
                    errors.append(f"{where}: no example for {label}")
                    continue
                schema = dict(content.get("schema", {}))
                schema["components"] = registry_root["components"]
                validator = jsonschema.Draft202012Validator(
                    schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
                )
                for e in validator.iter_errors(content["example"]):
                    errors.append(f"{where}: {label} example: {e.message} at {list(e.absolute_path)}")
                count += 1
    return count


if __name__ == "__main__":
    total = sum(check(p) for p in sys.argv[1:])
    for e in errors:
        print(e, file=sys.stderr)
    print(f"examples: {total} checked, {len(errors)} problems")
    sys.exit(1 if errors else 0)
