"""PyIceberg as a referee for OrderPulse's Iceberg tables (a test peer, not product code).

Two commands, both given the catalog file, the warehouse directory and a JSON file:

  read  CATALOG WAREHOUSE EXPECTED.json
      Opens OrderPulse's catalog with PyIceberg's SqlCatalog and checks each table described in
      EXPECTED.json: schema (names, field ids, types), row count, sums, snapshot history and time
      travel to every snapshot. Prints one line per check; exits 1 on the first mismatch.

  write CATALOG WAREHOUSE OUT.json
      Creates `referee.written_by_pyiceberg`, appends twice, and writes what OrderPulse must read
      back (snapshots, rows per snapshot, values) to OUT.json.
"""
import json
import sys
from datetime import datetime, timezone

import pyarrow as pa
import pyarrow.compute as pc
from pyiceberg.catalog.sql import SqlCatalog


def catalog(catalog_file: str, warehouse: str) -> SqlCatalog:
    return SqlCatalog(
        "orderpulse", uri=f"sqlite:///{catalog_file}", warehouse=f"file://{warehouse}"
    )


def fail(message: str) -> None:
    print(f"MISMATCH: {message}", flush=True)
    sys.exit(1)


def check(condition: bool, message: str) -> None:
    if not condition:
        fail(message)
    print(f"ok: {message}", flush=True)


def read(catalog_file: str, warehouse: str, expected_file: str) -> None:
    with open(expected_file, encoding="utf-8") as f:
        expected = json.load(f)
    cat = catalog(catalog_file, warehouse)
    for spec in expected["tables"]:
        name = spec["name"]
        table = cat.load_table(name)
        fields = [(f.field_id, f.name, str(f.field_type), f.required) for f in table.schema().fields]
        want = [(f["id"], f["name"], f["type"], f["required"]) for f in spec["schema"]]
        check(fields == want, f"{name}: schema {fields} == {want}")
        history = [(s.snapshot_id, s.summary.operation.value) for s in table.snapshots()]
        want_history = [(s["id"], s["operation"]) for s in spec["snapshots"]]
        check(history == want_history, f"{name}: snapshots {history} == {want_history}")
        for snap in spec["snapshots"]:
            data = table.scan(snapshot_id=snap["id"]).to_arrow()
            check(data.num_rows == snap["rows"], f"{name}@{snap['id']}: {data.num_rows} rows == {snap['rows']}")
            for column, total in snap.get("sums", {}).items():
                got = pc.sum(data[column]).as_py() if data.num_rows else 0
                check(abs((got or 0) - total) < 1e-6 * max(1, abs(total)), f"{name}@{snap['id']}: sum({column}) {got} == {total}")
            for column, count in snap.get("nonNull", {}).items():
                got = data.num_rows - data[column].null_count
                check(got == count, f"{name}@{snap['id']}: non-null {column} {got} == {count}")
        current = table.scan().to_arrow()
        for row in spec.get("rows", []):
            match = current.filter(pc.equal(current[spec["key"]], row[spec["key"]])).to_pylist()
            check(len(match) == 1, f"{name}: one row with {spec['key']}={row[spec['key']]}")
            got = match[0]
            for column, value in row.items():
                actual = got[column]
                if isinstance(actual, datetime):
                    actual = int(actual.timestamp() * 1000)
                elif hasattr(actual, "isoformat"):
                    actual = actual.isoformat()
                check(actual == value, f"{name}: {spec['key']}={row[spec['key']]} {column} {actual!r} == {value!r}")


def write(catalog_file: str, warehouse: str, out_file: str) -> None:
    cat = catalog(catalog_file, warehouse)
    if ("referee",) not in cat.list_namespaces():
        cat.create_namespace("referee")
    identifier = "referee.written_by_pyiceberg"
    if cat.table_exists(identifier):
        cat.drop_table(identifier)
    schema = pa.schema(
        [
            pa.field("order_id", pa.string(), nullable=False),
            pa.field("items", pa.int32()),
            pa.field("value", pa.float64()),
            pa.field("placed_at", pa.timestamp("us", tz="UTC")),
            pa.field("delivered_on", pa.date32()),
        ]
    )
    table = cat.create_table(identifier, schema=schema)

    def batch(start: int, count: int) -> pa.Table:
        ids = list(range(start, start + count))
        return pa.table(
            {
                "order_id": [f"order-{i:05d}" for i in ids],
                "items": [i % 7 + 1 for i in ids],
                "value": [i * 1.25 for i in ids],
                "placed_at": [datetime.fromtimestamp(1_500_000_000 + i * 60, tz=timezone.utc) for i in ids],
                "delivered_on": [None if i % 10 == 0 else datetime.fromtimestamp(1_500_000_000 + i * 86_400, tz=timezone.utc).date() for i in ids],
            },
            schema=schema,
        )

    snapshots = []
    total = 0
    for start, count in [(0, 300), (300, 200)]:
        data = batch(start, count)
        table.append(data)
        table = cat.load_table(identifier)
        total += count
        snapshots.append({"id": table.current_snapshot().snapshot_id, "rows": total})
    every = batch(0, 500)
    out = {
        "table": identifier,
        "snapshots": snapshots,
        "sums": {"items": pc.sum(every["items"]).as_py(), "value": pc.sum(every["value"]).as_py()},
        "nullDeliveredOn": every["delivered_on"].null_count,
        "row": {"order_id": "order-00042", "items": 42 % 7 + 1, "value": 42 * 1.25, "placed_at": (1_500_000_000 + 42 * 60) * 1000},
        "fieldIds": {f.name: f.field_id for f in table.schema().fields},
    }
    with open(out_file, "w", encoding="utf-8") as f:
        json.dump(out, f)
    print(f"wrote {identifier}: {len(snapshots)} snapshots, {total} rows", flush=True)


if __name__ == "__main__":
    if len(sys.argv) != 5 or sys.argv[1] not in ("read", "write"):
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    {"read": read, "write": write}[sys.argv[1]](*sys.argv[2:])
