"""Runs carepulse's ClickHouse statements and checks on current ClickHouse.

chdb (PyPI package chdb-core) embeds a current ClickHouse engine. Usage:
    python3 tests/sql/current_clickhouse.py SCHEMA.sql CHECKS.sql DATABASE
SCHEMA.sql is `carepulse migrate --print-sql` output; CHECKS.sql holds
statements and one-row `SELECT name, ok` checks with {db} for the database.
Prints one line per check and exits 1 when a statement fails or a check
does not hold.
"""
import sys

try:
    from chdb import session
except ImportError:
    sys.exit("chdb is not installed: pip install chdb-core (dev/test installs it)")


def statements(path, database):
    text = open(path).read().replace("{db}", database)
    lines = [l for l in text.splitlines() if not l.lstrip().startswith("--")]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]


def main():
    schema, checks, database = sys.argv[1:4]
    s = session.Session()
    failed = 0
    for sql in statements(schema, database) + statements(checks, database):
        try:
            result = s.query(sql, "TSV")
        except Exception as e:  # chdb raises its own error types
            print(f"FAILED: {sql[:80]}...: {e}")
            failed += 1
            continue
        if sql.upper().startswith("SELECT"):
            name, ok = str(result).strip().split("\t")
            print(f"{'ok' if ok == '1' else 'FAILED'}: {name}")
            failed += ok != "1"
    sys.exit(1 if failed else 0)


main()
