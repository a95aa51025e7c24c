"""PyIceberg as a referee for OrderPulse's Iceberg tables (a test peer, not product code).

Three commands, each given the catalog file, the warehouse directory and JSON files:

  read  CATALOG WAREHOUSE EXPECTED.json
      Opens OrderPulse's catalog with PyIceberg's SqlCatalog and checks each table described in
      EXPECTED.json: schema (names, field ids, types), row count, sums, snapshot history and time
      travel to every snapshot. Prints one line per check; exits 1 on the first mismatch.

  write CATALOG WAREHOUSE OUT.json
      Creates `referee.written_by_pyiceberg`, appends twice, and writes what OrderPulse must read
      back (snapshots, rows per snapshot, values) to OUT.json.

  figures CATALOG WAREHOUSE REQUEST.json OUT.json
      Reads each (table, snapshot) of REQUEST.json ({"reads": [{"table": ..., "snapshotId": ...}]},
      no snapshotId: the current one) to Arrow and writes what PyIceberg sees to OUT.json, one entry
      per read: the snapshot read, row count, the Iceberg schema as PyIceberg parses it, the Arrow
      schema of the scan, per column order-independent aggregates (see `column_figures`), the
      column statistics of the snapshot's manifests as PyIceberg decodes them (see `file_stats`)
      and the table's snapshot history. Prints one line per read. The caller compares them with its
      own reads.

Snapshot ids are decimal strings in every JSON file, both ways: Iceberg ids are 63-bit, and a JSON
number beyond 2^53 loses digits in JavaScript.
"""
import json
import math
import sys
from datetime import date, datetime, timedelta, timezone

import pyarrow as pa
import pyarrow.compute as pc
from pyiceberg.catalog.sql import SqlCatalog
from pyiceberg.conversions import from_bytes
from pyiceberg.types import BooleanType, DateType, DoubleType, FloatType, IcebergType, StringType, TimestamptzType, TimestampType


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
        want_history = [(int(s["id"]), s["operation"]) for s in spec["snapshots"]]
        check(history == want_history, f"{name}: snapshots {history} == {want_history}")
        for snap in spec["snapshots"]:
            data = table.scan(snapshot_id=int(snap["id"])).to_arrow()
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
        snapshots.append({"id": str(table.current_snapshot().snapshot_id), "rows": total})
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


def iso_instant(value: datetime) -> str:
    """An instant as UTC ISO text to the microsecond, the form the caller renders too."""
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def column_figures(column: pa.ChunkedArray) -> dict:
    """Aggregates of one column that do not depend on row order, chosen by its Arrow type.

    Every column: `nonNull` and `distinct` (non-null distinct values). Integers: exact `sum`,
    `min`, `max` as decimal text (no 2^53 limit). Floating point: `sum` (math.fsum, correctly
    rounded), `min`, `max`. Timestamps: `min`, `max` as UTC ISO text. Dates: `min`, `max` ISO.
    Strings: `bytes` (total UTF-8 length, as text), `min`, `max`. Booleans: `trues` (as text).
    Min and max are null when the column holds no value.
    """
    kind = column.type
    values = [v for v in column.to_pylist() if v is not None]
    out: dict = {
        "nonNull": len(values),
        "distinct": pc.count_distinct(column, mode="only_valid").as_py(),
    }
    if pa.types.is_boolean(kind):
        out["trues"] = str(sum(1 for v in values if v))
    elif pa.types.is_integer(kind):
        out.update(sum=str(sum(values)), min=str(min(values)) if values else None, max=str(max(values)) if values else None)
    elif pa.types.is_floating(kind):
        out.update(sum=math.fsum(values), min=min(values) if values else None, max=max(values) if values else None)
    elif pa.types.is_timestamp(kind):
        out.update(min=iso_instant(min(values)) if values else None, max=iso_instant(max(values)) if values else None)
    elif pa.types.is_date(kind):
        out.update(min=min(values).isoformat() if values else None, max=max(values).isoformat() if values else None)
    elif pa.types.is_string(kind) or pa.types.is_large_string(kind):
        out.update(
            bytes=str(sum(len(v.encode("utf-8")) for v in values)),
            min=min(values) if values else None,
            max=max(values) if values else None,
        )
    return out


def bound_text(kind: IcebergType, value):
    """A decoded bound in the form `column_figures` gives the same column's min and max."""
    if isinstance(kind, (TimestamptzType, TimestampType)):
        return iso_instant(datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(microseconds=value))
    if isinstance(kind, DateType):
        return (date(1970, 1, 1) + timedelta(days=value)).isoformat()
    if isinstance(kind, (DoubleType, FloatType, StringType, BooleanType)):
        return value
    return str(value)


def file_stats(table, snapshot_id: int, schema) -> dict:
    """The statistics the snapshot's manifests hold, as PyIceberg plans and decodes them.

    `files` and `records` over the data files planned; per column the sums of value and null
    counts (null when a file lacks the count) and the lowest lower and highest upper bound
    (null when no file has one).
    """
    files = [task.file for task in table.scan(snapshot_id=snapshot_id).plan_files()]
    columns = {}
    for field in schema.fields:
        fid = field.field_id
        values = [(f.value_counts or {}).get(fid) for f in files]
        nulls = [(f.null_value_counts or {}).get(fid) for f in files]
        lowers = [from_bytes(field.field_type, f.lower_bounds[fid]) for f in files if f.lower_bounds and fid in f.lower_bounds]
        uppers = [from_bytes(field.field_type, f.upper_bounds[fid]) for f in files if f.upper_bounds and fid in f.upper_bounds]
        columns[field.name] = {
            "values": None if None in values else sum(values),
            "nulls": None if None in nulls else sum(nulls),
            "lower": bound_text(field.field_type, min(lowers)) if lowers else None,
            "upper": bound_text(field.field_type, max(uppers)) if uppers else None,
        }
    return {"files": len(files), "records": sum(f.record_count for f in files), "columns": columns}


def figures(catalog_file: str, warehouse: str, request_file: str, out_file: str) -> None:
    with open(request_file, encoding="utf-8") as f:
        request = json.load(f)
    cat = catalog(catalog_file, warehouse)
    results = []
    for spec in request["reads"]:
        name = spec["table"]
        table = cat.load_table(name)
        snapshot_id = spec.get("snapshotId")
        snapshot = table.current_snapshot() if snapshot_id is None else table.snapshot_by_id(int(snapshot_id))
        if snapshot is None:
            fail(f"{name}: no snapshot {snapshot_id}")
        # Time travel reads with the schema the snapshot was written with, as PyIceberg's scan does.
        schema = table.schemas().get(snapshot.schema_id, table.schema()) if snapshot.schema_id is not None else table.schema()
        data = table.scan(snapshot_id=snapshot.snapshot_id).to_arrow()
        results.append(
            {
                "table": name,
                "snapshotId": str(snapshot.snapshot_id),
                "rows": data.num_rows,
                "schema": [
                    {"id": f.field_id, "name": f.name, "type": str(f.field_type), "required": f.required} for f in schema.fields
                ],
                "arrow": [{"name": f.name, "type": str(f.type), "nullable": f.nullable} for f in data.schema],
                "columns": {n: column_figures(data[n]) for n in data.column_names},
                "stats": file_stats(table, snapshot.snapshot_id, schema),
                "history": [
                    {
                        "id": str(s.snapshot_id),
                        "parentId": None if s.parent_snapshot_id is None else str(s.parent_snapshot_id),
                        "sequenceNumber": s.sequence_number,
                        "timestampMs": s.timestamp_ms,
                        "operation": s.summary.operation.value,
                        "properties": dict(s.summary.additional_properties),
                    }
                    for s in table.snapshots()
                ],
            }
        )
        print(f"{name}@{snapshot.snapshot_id}: {data.num_rows} rows, {data.num_columns} columns", flush=True)
    with open(out_file, "w", encoding="utf-8") as f:
        json.dump({"reads": results}, f)


COMMANDS = {"read": (read, 3), "write": (write, 3), "figures": (figures, 4)}

if __name__ == "__main__":
    command = COMMANDS.get(sys.argv[1]) if len(sys.argv) > 1 else None
    if command is None or len(sys.argv) != 2 + command[1]:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    command[0](*sys.argv[2:])
