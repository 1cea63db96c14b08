#!/usr/bin/python3
"""Checks the answers the HTTP test suite recorded against docs/openapi.json.

The suite's test client (tests/http/http_fixture.hpp) appends one JSON line per answer,
{method, target, status, content_type, body}, to DIR/answers-<pid>.jsonl when the environment
variable USERMGMT_RECORD_ANSWERS names DIR. This script matches every recorded answer to the
document and fails, with a list, when

  * an answer's status is not documented for its operation (or, for a method a path does not
    take or a path under a style's prefix that no template matches, in the style's
    `x-usermgmt-routing` notes);
  * its Content-Type is not the documented one, or a documented body-less answer has a body or
    a Content-Type;
  * its body does not validate against the documented schema (JSON Schema 2020-12, $ref
    resolved in the document);
  * it is a 5xx other than 503 (a bug in the server, even where the document lists it);
  * fewer than --min-coverage of the documented operations were exercised at all (they are
    listed), or nothing was recorded;
  * the document itself is unsound: a $ref that resolves to nothing, a schema that is not valid
    JSON Schema 2020-12.

Answers to targets outside the documented API (media files, an application's own routes, prefixes
only a test configures) are counted and listed as skipped. Paths are matched with the document's
default prefixes (/auth/ and /users), as the styles match them: /auth exactly and case-sensitively,
`x-prefix-match` items as prefixes; /users in any case with an optional trailing slash; a literal
segment before a parameter.

Run with Debian's python3-jsonschema (4.10): /usr/bin/python3 validate_answers.py --document
docs/openapi.json --answers build/answers
"""

import argparse
import collections
import json
import re
import sys
from pathlib import Path
from urllib.parse import urlsplit

import jsonschema
from jsonschema import Draft202012Validator

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def pointer_escape(text):
    return text.replace("~", "~0").replace("/", "~1")


class Document:
    """The OpenAPI document: path templates, operations, and the routing notes."""

    def __init__(self, path):
        self.path = path
        self.doc = json.loads(Path(path).read_text(encoding="utf-8"))
        self.resolver = jsonschema.RefResolver.from_schema(self.doc)
        self.problems = []
        self._validators = {}
        routing = self.doc.get("x-usermgmt-routing", {}).get("styles", {})
        self.styles = routing
        self.auth_prefix = routing.get("auth", {}).get("prefix")
        self.users_prefix = routing.get("users", {}).get("prefix")
        self.templates = []
        for key, item in self.doc.get("paths", {}).items():
            self.templates.append(self._template(key, item))
        self.operations = [(key, method) for key, item in self.doc.get("paths", {}).items()
                           for method in HTTP_METHODS if method in item]
        self._check_document()

    # ---- the document itself

    def resolve(self, node, where):
        """`node` with its $ref followed (response objects and the like), or None."""
        seen = set()
        while isinstance(node, dict) and "$ref" in node:
            ref = node["$ref"]
            if ref in seen or not ref.startswith("#/"):
                self.problems.append(f"{where}: cannot resolve {ref}")
                return None
            seen.add(ref)
            target = self.doc
            for part in ref[2:].split("/"):
                part = part.replace("~1", "/").replace("~0", "~")
                if not isinstance(target, dict) or part not in target:
                    self.problems.append(f"{where}: {ref} names nothing")
                    return None
                target = target[part]
            node = target
        return node

    def _check_document(self):
        if self.doc.get("openapi") != "3.1.0":
            self.problems.append("openapi is not 3.1.0")
        # Every $ref anywhere resolves.
        def walk(node, where):
            if isinstance(node, dict):
                if isinstance(node.get("$ref"), str):
                    self.resolve({"$ref": node["$ref"]}, where)
                for key, value in node.items():
                    walk(value, where + "/" + pointer_escape(str(key)))
            elif isinstance(node, list):
                for i, value in enumerate(node):
                    walk(value, f"{where}/{i}")
        walk(self.doc, "#")
        for name, schema in self.doc.get("components", {}).get("schemas", {}).items():
            try:
                Draft202012Validator.check_schema(schema)
            except jsonschema.SchemaError as e:
                self.problems.append(f"#/components/schemas/{name}: not a valid schema: {e.message}")
        for key, method in self.operations:
            op = self.doc["paths"][key][method]
            if not op.get("responses"):
                self.problems.append(f"{method.upper()} {key}: no responses")
        if not self.auth_prefix or not self.users_prefix:
            self.problems.append("x-usermgmt-routing does not name the styles' prefixes")

    # ---- matching

    def style_of(self, path):
        """'auth', 'users' or 'handler' for a path (a template or a request path)."""
        auth, users = self.auth_prefix or "\0", self.users_prefix or "\0"
        if path.startswith(auth) or path == auth.rstrip("/"):
            return "auth"
        if path.lower() == users.lower() or path.lower().startswith(users.lower() + "/"):
            return "users"
        return "handler"

    def _template(self, key, item):
        style = self.style_of(key)
        segments = [s for s in key.split("/")]
        pattern = ""
        literals = 0
        for i, segment in enumerate(segments):
            if i:
                pattern += "/"
            if re.fullmatch(r"\{[^}/]+\}", segment):
                pattern += "[^/]+"
            else:
                pattern += re.escape(segment)
                literals += 1 if segment else 0
        flags = 0
        if item.get("x-prefix-match"):
            pattern = re.escape(key.rstrip("/")) + ".*"
        elif style == "users":
            flags = re.IGNORECASE
            pattern = pattern.rstrip("/") + "/?"
        return {"key": key, "item": item, "style": style, "regex": re.compile(pattern, flags),
                "literals": literals, "prefix": bool(item.get("x-prefix-match"))}

    def match(self, path):
        """The best template for `path`: prefix matches first, then the most literal segments."""
        best = None
        for t in self.templates:
            if not t["regex"].fullmatch(path):
                continue
            rank = (t["prefix"], t["literals"])
            if best is None or rank > (best["prefix"], best["literals"]):
                best = t
        return best

    # ---- schemas

    def validator(self, schema, where):
        if where not in self._validators:
            try:
                Draft202012Validator.check_schema(schema)
            except jsonschema.SchemaError as e:
                self.problems.append(f"{where}: not a valid schema: {e.message}")
            self._validators[where] = Draft202012Validator(schema, resolver=self.resolver)
        return self._validators[where]


def load_answers(directory):
    answers = []
    files = sorted(Path(directory).glob("answers-*.jsonl"))
    for file in files:
        for number, raw in enumerate(file.read_bytes().splitlines(), 1):
            if not raw.strip():
                continue
            # Bodies are bytes as received: media files are not UTF-8.
            record = json.loads(raw.decode("utf-8", "surrogateescape"))
            record["where"] = f"{file.name}:{number}"
            answers.append(record)
    return files, answers


def short(text, limit=300):
    text = text.encode("utf-8", "replace").decode("utf-8") if isinstance(text, str) else str(text)
    return text if len(text) <= limit else text[:limit] + "…"


def explain(error):
    """A schema error in one line; for anyOf/oneOf, the alternative that came closest."""
    if error.context:
        error = jsonschema.exceptions.best_match(error.context)
    return f"at /{'/'.join(str(p) for p in error.absolute_path)}: {short(error.message, 160)}"


def skip_group(path):
    # Media files have random names: one group for all.
    parts = path.split("/")
    if len(parts) > 2 and parts[1] == "media":
        return "/media/…"
    return path


def check(document, answers):
    mismatches = []
    server_errors = []
    skipped = collections.Counter()
    exercised = collections.defaultdict(set)  # (key, method) -> statuses seen
    validated = 0

    for a in answers:
        method = str(a.get("method", "")).lower()
        target = str(a.get("target", ""))
        status = str(a.get("status"))
        content_type = str(a.get("content_type") or "")
        body = a.get("body") or ""
        path = urlsplit(target).path or "/"
        label = f"{method.upper()} {target} -> {status}"

        template = document.match(path)
        head = False
        if template is not None:
            item = template["item"]
            style = template["style"]
            if method in item:
                op_method = method
            elif method == "head" and "get" in item:
                op_method, head = "get", True
            else:
                op_method = None
            if op_method:
                op = item[op_method]
                responses = op.get("responses", {})
                where = f"#/paths/{pointer_escape(template['key'])}/{op_method}/responses"
                context = f"{op_method.upper()} {template['key']}"
                exercised[(template["key"], op_method)].add(status)
            else:
                responses = document.styles.get(style, {}).get("otherMethods", {}).get("responses", {})
                where = f"#/x-usermgmt-routing/styles/{style}/otherMethods/responses"
                context = f"{template['key']} (a method it does not take, style {style})"
        else:
            style = document.style_of(path)
            if style == "handler":
                skipped[(skip_group(path), "outside the documented API")] += 1
                continue
            responses = document.styles.get(style, {}).get("unmatched", {}).get("responses", {})
            where = f"#/x-usermgmt-routing/styles/{style}/unmatched/responses"
            context = f"a path under the {style} prefix that no template matches"

        if status.startswith("5") and status != "503":
            server_errors.append(f"{label} [{context}]: {short(body)} ({a['where']})")
        if status not in responses:
            mismatches.append(f"{label}: status {status} is not documented for {context} "
                              f"(documented: {', '.join(sorted(responses))}); body: {short(body)} ({a['where']})")
            continue
        response = document.resolve(responses[status], f"{where}/{status}")
        if response is None:
            continue
        where = f"{where}/{status}"
        content = response.get("content")
        media_type = content_type.split(";")[0].strip().lower()
        if not content:
            if body or content_type:
                mismatches.append(f"{label}: documented without a body, got Content-Type {content_type!r} and "
                                  f"body {short(body)} [{context}] ({a['where']})")
            else:
                validated += 1
            continue
        if media_type not in content:
            mismatches.append(f"{label}: Content-Type {content_type!r}, documented {', '.join(content)} [{context}] ({a['where']})")
            continue
        if head:
            if body:
                mismatches.append(f"{label}: a HEAD answer with a body [{context}] ({a['where']})")
            else:
                validated += 1
            continue
        schema = content[media_type].get("schema")
        if schema is None:
            validated += 1
            continue
        # A JSON body is validated as JSON; any other (text/plain …) as the string it is.
        json_type = media_type == "application/json" or media_type.endswith("+json")
        try:
            body.encode("utf-8")
            instance = json.loads(body) if json_type else body
        except (UnicodeEncodeError, ValueError) as e:
            mismatches.append(f"{label}: the body is not {'JSON in ' if json_type else ''}UTF-8 ({e}): "
                              f"{short(body)} [{context}] ({a['where']})")
            continue
        errors = sorted(document.validator(schema, where).iter_errors(instance), key=lambda e: list(e.path))
        if errors:
            reasons = "; ".join(explain(e) for e in errors[:3])
            mismatches.append(f"{label}: body does not match {where}: {reasons}; body: {short(body)} ({a['where']})")
        else:
            validated += 1
    return mismatches, server_errors, skipped, exercised, validated


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--document", required=True, help="docs/openapi.json")
    parser.add_argument("--answers", required=True, help="the directory USERMGMT_RECORD_ANSWERS named")
    parser.add_argument("--min-coverage", type=float, default=0.8,
                        help="the share of documented operations that must have been exercised (default 0.8)")
    parser.add_argument("--verbose", action="store_true", help="also list the documented statuses no answer had")
    args = parser.parse_args()

    document = Document(args.document)
    files, answers = load_answers(args.answers)
    mismatches, server_errors, skipped, exercised, validated = check(document, answers)
    failed = False

    print(f"{len(answers)} answers in {len(files)} files from {args.answers}; "
          f"{validated} match {args.document}, {sum(skipped.values())} skipped, {len(mismatches)} mismatches")
    if skipped:
        print(f"\nskipped ({sum(skipped.values())}): answers outside the documented API")
        for (path, reason), count in sorted(skipped.items()):
            print(f"  {count:5}  {path}: {reason}")
    if document.problems:
        failed = True
        print(f"\nthe document is unsound ({len(document.problems)}):")
        for problem in sorted(set(document.problems)):
            print("  " + problem)
    if mismatches:
        failed = True
        print(f"\nanswers that do not match the document ({len(mismatches)}):")
        for m in mismatches:
            print("  " + m)
    if server_errors:
        failed = True
        print(f"\nserver errors (5xx other than 503: bugs in the server, documented or not) ({len(server_errors)}):")
        for e in server_errors:
            print("  " + e)

    total = len(document.operations)
    covered = [op for op in document.operations if op in exercised]
    share = len(covered) / total if total else 0.0
    print(f"\ncoverage: {len(covered)} of {total} documented operations exercised ({share:.0%}; at least "
          f"{args.min_coverage:.0%} required)")
    missing = [op for op in document.operations if op not in exercised]
    if missing:
        print("not exercised:")
        for key, method in missing:
            print(f"  {method.upper()} {key}")
    if not answers:
        failed = True
        print("nothing was recorded: run the HTTP tests with USERMGMT_RECORD_ANSWERS set to the answers directory "
              "(under CTest: tests/openapi/CMakeLists.txt hands http_tests its properties, so it must be added "
              "before usermgmt_test(http_tests ...))")
    elif share < args.min_coverage:
        failed = True
        print("too few operations exercised")
    if args.verbose:
        print("\ndocumented statuses no answer had:")
        for key, method in document.operations:
            documented = set(document.doc["paths"][key][method].get("responses", {}))
            unseen = sorted(documented - exercised.get((key, method), set()))
            if unseen:
                print(f"  {method.upper()} {key}: {', '.join(unseen)}")

    print("\nFAILED" if failed else "\nOK")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
