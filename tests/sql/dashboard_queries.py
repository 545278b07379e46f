"""Runs the dashboards' queries on current ClickHouse (chdb, PyPI package
chdb-core) over the data the Rust test seeded on ClickHouse 18.16.

Usage: python3 tests/sql/dashboard_queries.py DIR
DIR holds schema.sql (`carepulse migrate --print-sql` with {db}),
data/TABLE (rows in the Values format) and queries.json ([{name, sql}]).
Prints one JSON line per query: name, columns and rows, or error. Exits 1
only when the schema or the data cannot be loaded.
"""
import json
import os
import sys

try:
    from chdb import session
except ImportError:
    sys.exit("chdb is not installed: pip install chdb-core (dev/test installs it)")

DATABASE = "carepulse_dashboards"


def main():
    root = sys.argv[1]
    s = session.Session()
    text = open(os.path.join(root, "schema.sql")).read().replace("{db}", DATABASE)
    for sql in [q.strip() for q in text.split(";") if q.strip()]:
        s.query(sql)
    for table in sorted(os.listdir(os.path.join(root, "data"))):
        values = open(os.path.join(root, "data", table)).read().strip()
        if values:
            s.query(f"INSERT INTO {DATABASE}.{table} VALUES {values}")
    s.query(f"USE {DATABASE}")
    for q in json.load(open(os.path.join(root, "queries.json"))):
        try:
            answer = json.loads(str(s.query(q["sql"], "JSON")) or "{}")
            line = {
                "name": q["name"],
                "columns": [c["name"] for c in answer.get("meta", [])],
                "rows": answer.get("rows", 0),
            }
        except Exception as e:  # chdb raises its own error types
            line = {"name": q["name"], "error": str(e)[:2000]}
        print(json.dumps(line))


main()
