#!/usr/bin/python3
"""Reads a /metrics page with the real Prometheus parser (Debian's python3-prometheus-client)
and prints its samples as JSON lines: {"name", "labels", "value"}. A page the parser refuses
exits 1 with its error. Usage: parse_metrics.py FILE"""
import json
import sys

from prometheus_client.parser import text_string_to_metric_families


def main():
    with open(sys.argv[1], encoding="utf-8") as page:
        text = page.read()
    try:
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                print(json.dumps({"family": family.name, "type": family.type, "name": sample.name,
                                  "labels": sample.labels, "value": sample.value}))
    except Exception as error:  # the parser raises ValueError and friends on malformed pages
        print(f"unparsable metrics page: {error!r}", file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    main()
