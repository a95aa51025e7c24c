"""Apache Spark as a referee for OrderPulse's Iceberg tables (a test peer, not product code).

One long-lived process holding one Spark session (the JVM starts once, which takes seconds), with
Iceberg's Spark runtime. It speaks JSON lines: one request per line on stdin, one answer per line
on stdout, in order. Spark's own output goes to stderr.

  python3 spark_referee.py --jars DIR

Requests:

  {"op": "open", "uri": "jdbc:sqlite:/abs/orderpulse.db", "warehouse": "file:/abs/warehouse",
   "properties": {...}}
      Opens the catalog `orderpulse` (the `catalog_name` of OrderPulse's catalog rows) on that JDBC
      store in a fresh Spark session (sessions share the JVM, not their catalogs), and makes it the
      one the other requests use. `properties` are more catalog properties (io-impl, s3.endpoint,
      jdbc.user, ...). -> {"ok": true}

  {"op": "sql", "sql": "SELECT ..."}
      Runs one Spark SQL statement. -> {"ok": true, "columns": [names], "rows": [[values]]}
      (a statement without a result gives no rows). Values are JSON-safe:
        null -> null; boolean -> true/false; int, short, byte -> number;
        bigint -> number when |v| <= 2^53, else its decimal text (so snapshot ids are exact);
        float, double -> number, or "NaN", "Infinity", "-Infinity";
        decimal -> its text with the column's scale ("12.30");
        string -> string; binary -> lower-case hex;
        date -> "YYYY-MM-DD";
        timestamp (Iceberg timestamptz) -> "YYYY-MM-DDTHH:MM:SS.ffffffZ" in UTC, always 6 digits;
        timestamp_ntz (Iceberg timestamp) -> "YYYY-MM-DDTHH:MM:SS.ffffff";
        array -> list, map -> list of [key, value], struct -> object; all of the above inside.

  {"op": "equality_delete", "table": "ns.t", "columns": ["id"], "rows": [[2], [5]]}
      Writes one equality delete file through Iceberg's Java API (Spark SQL's DELETE and MERGE
      write position deletes, never equality deletes) and commits it as a row delta: the rows of
      the table whose `columns` equal one of `rows` are deleted. The table must be unpartitioned
      and format v2; the columns' types int, string, boolean or double (values cross to the JVM as
      Python values, and a Python int of int32 range arrives as an Integer).
      -> {"ok": true, "snapshotId": ..., "file": path, "records": n}

  {"op": "stop"}  -> {"ok": true}, then the process ends (end of input does the same).

Any failure answers {"ok": false, "error": "..."} and the process goes on.

On a SQLite catalog, Iceberg's JdbcCatalog (1.9) opened on catalog tables that already exist
keeps a read transaction open from its start, so it never sees what another process (OrderPulse)
commits later. The referee therefore reads the catalog rows itself (Python's sqlite3) before each
request and opens the catalog afresh in a new session when they changed since the previous one.
"""
import argparse
import base64
import json
import math
import os
import sqlite3
import sys
import time
import traceback
import uuid
from datetime import date, datetime, timezone
from decimal import Decimal

# Python's datetime conversions of Spark timestamps use the process's time zone: make it UTC.
os.environ["TZ"] = "UTC"
time.tzset()

from pyspark.sql import Row, SparkSession  # noqa: E402
from pyspark.sql import types as T  # noqa: E402

CATALOG = "orderpulse"
SAFE_INTEGER = 2**53


def start_session(jars_dir: str) -> SparkSession:
    jars = sorted(os.path.join(jars_dir, name) for name in os.listdir(jars_dir) if name.endswith(".jar"))
    if not any("iceberg-spark-runtime" in j for j in jars):
        raise SystemExit(f"no iceberg-spark-runtime jar in {jars_dir} (run scripts/services/spark.sh)")
    builder = (
        SparkSession.builder.master("local[2]")
        .appName("orderpulse-spark-referee")
        .config("spark.jars", ",".join(jars))
        .config("spark.driver.memory", os.environ.get("ORDERPULSE_SPARK_DRIVER_MEMORY", "768m"))
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "2")
        .config("spark.sql.session.timeZone", "UTC")
        # Tables here are small: compiling each query costs more than running it interpreted.
        .config("spark.sql.codegen.wholeStage", "false")
        .config("spark.driver.extraJavaOptions", "-Duser.timezone=UTC")
        .config("spark.sql.extensions", "org.apache.iceberg.spark.extensions.IcebergSparkSessionExtensions")
        # No Hive, no Derby directory in the working directory.
        .config("spark.sql.catalogImplementation", "in-memory")
        .config("spark.sql.warehouse.dir", os.path.join(os.environ.get("TMPDIR", "/tmp"), f"spark-referee-{os.getpid()}"))
    )
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def open_catalog(root: SparkSession, request: dict) -> SparkSession:
    session = root.newSession()
    prefix = f"spark.sql.catalog.{CATALOG}"
    settings = {
        "": "org.apache.iceberg.spark.SparkCatalog",
        "catalog-impl": "org.apache.iceberg.jdbc.JdbcCatalog",
        "uri": request["uri"],
        "warehouse": request["warehouse"],
        # OrderPulse's iceberg_tables has Java's V1 column iceberg_type.
        "jdbc.schema-version": "V1",
        # Tests read right after another engine commits: no cached table metadata.
        "cache-enabled": "false",
    }
    for key, value in (request.get("properties") or {}).items():
        settings[key] = str(value)
    for key, value in settings.items():
        session.conf.set(prefix + ("." + key if key else ""), value)
    # Resolve the catalog now so a bad URI fails this request, not the next one.
    session.sql(f"SHOW NAMESPACES IN {CATALOG}").collect()
    return session


class Catalog:
    """The open catalog: its Spark session, reopened when a SQLite catalog's rows change."""

    def __init__(self, root: SparkSession, request: dict):
        self.root = root
        self.request = request
        uri = request["uri"]
        self.sqlite_file = uri[len("jdbc:sqlite:"):] if uri.startswith("jdbc:sqlite:") else None
        self.seen = self.fingerprint()
        self.session = open_catalog(root, request)

    def fingerprint(self):
        if self.sqlite_file is None:
            return None
        try:
            db = sqlite3.connect(f"file:{self.sqlite_file}?mode=ro", uri=True)
        except sqlite3.Error:
            return None  # no catalog file yet
        try:
            return db.execute(
                "SELECT catalog_name, table_namespace, table_name, metadata_location FROM iceberg_tables ORDER BY 1, 2, 3"
            ).fetchall()
        except sqlite3.Error:
            return None  # no catalog tables yet
        finally:
            db.close()

    def current(self) -> SparkSession:
        now = self.fingerprint()
        if now != self.seen:
            self.session = open_catalog(self.root, self.request)
        self.seen = now
        return self.session


def json_value(value, data_type):
    if value is None:
        return None
    if isinstance(data_type, T.BooleanType):
        return bool(value)
    if isinstance(data_type, T.LongType):
        return value if abs(value) <= SAFE_INTEGER else str(value)
    if isinstance(data_type, (T.IntegerType, T.ShortType, T.ByteType)):
        return value
    if isinstance(data_type, (T.FloatType, T.DoubleType)):
        if math.isnan(value):
            return "NaN"
        if math.isinf(value):
            return "Infinity" if value > 0 else "-Infinity"
        return value
    if isinstance(data_type, T.DecimalType):
        return format(Decimal(value).quantize(Decimal(1).scaleb(-data_type.scale)), "f")
    if isinstance(data_type, T.BinaryType):
        return bytes(value).hex()
    if isinstance(data_type, T.TimestampType):
        # Spark gives a naive datetime in the process's zone, UTC here.
        return value.replace(tzinfo=None).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    if isinstance(data_type, T.TimestampNTZType):
        return value.strftime("%Y-%m-%dT%H:%M:%S.%f")
    if isinstance(data_type, T.DateType):
        return value.isoformat()
    if isinstance(data_type, T.ArrayType):
        return [json_value(v, data_type.elementType) for v in value]
    if isinstance(data_type, T.MapType):
        return [[json_value(k, data_type.keyType), json_value(v, data_type.valueType)] for k, v in value.items()]
    if isinstance(data_type, T.StructType):
        return {f.name: json_value(value[f.name], f.dataType) for f in data_type.fields}
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode("ascii")
    return value


def run_sql(session: SparkSession, sql: str) -> dict:
    frame = session.sql(sql)
    fields = frame.schema.fields
    rows = frame.collect()
    return {
        "ok": True,
        "columns": [f.name for f in fields],
        "rows": [[json_value(row[i], f.dataType) for i, f in enumerate(fields)] for row in rows],
    }


def equality_delete(session: SparkSession, request: dict) -> dict:
    jvm = session.sparkContext._jvm
    gateway = session.sparkContext._gateway
    iceberg = jvm.org.apache.iceberg
    table = jvm.org.apache.iceberg.spark.Spark3Util.loadIcebergTable(session._jsparkSession, f"{CATALOG}.{request['table']}")
    if not table.spec().isUnpartitioned():
        raise ValueError(f"equality_delete writes to unpartitioned tables only; {request['table']} is partitioned")
    schema = table.schema()
    columns = list(request["columns"])
    # Checked before anything is written: a refused request leaves no file behind.
    for values in request["rows"]:
        if len(values) != len(columns):
            raise ValueError(f"delete row {values} does not have one value per column {columns}")
    field_ids = gateway.new_array(jvm.int, len(columns))
    names = jvm.java.util.ArrayList()
    for i, name in enumerate(columns):
        field = schema.findField(name)
        if field is None:
            raise ValueError(f"{request['table']} has no column {name}")
        field_ids[i] = field.fieldId()
        names.add(name)
    delete_schema = schema.select(names)
    factory = iceberg.data.GenericAppenderFactory(schema, table.spec(), field_ids, delete_schema, None)
    location = table.locationProvider().newDataLocation(f"eq-delete-{uuid.uuid4()}.parquet")
    output = iceberg.encryption.EncryptedFiles.plainAsEncryptedOutput(table.io().newOutputFile(location))
    writer = factory.newEqDeleteWriter(output, iceberg.FileFormat.PARQUET, None)
    try:
        for values in request["rows"]:
            record = iceberg.data.GenericRecord.create(delete_schema)
            for name, value in zip(columns, values):
                record.setField(name, value)
            writer.write(record)
    finally:
        writer.close()
    delete_file = writer.toDeleteFile()
    table.newRowDelta().addDeletes(delete_file).commit()
    table.refresh()
    snapshot_id = table.currentSnapshot().snapshotId()
    return {
        "ok": True,
        "snapshotId": snapshot_id if abs(snapshot_id) <= SAFE_INTEGER else str(snapshot_id),
        "file": delete_file.location(),
        "records": delete_file.recordCount(),
    }


def java_message(error: BaseException) -> str:
    # Py4J and Spark errors carry the Java exception's text; keep its first lines.
    text = str(error).strip()
    lines = [line for line in text.splitlines() if line.strip()]
    return "\n".join(lines[:6]) if lines else type(error).__name__


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jars", required=True, help="folder of the jars scripts/services/spark.sh fetched")
    args = parser.parse_args()
    # Answers go to the original stdout; file descriptor 1 then points at stderr, so that nothing
    # else (Spark's JVM inherits it, py4j, print) can write into the answer channel.
    answers = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    sys.stdout = sys.stderr
    root = start_session(args.jars)
    catalog = None

    def answer(message: dict) -> None:
        answers.write(json.dumps(message, allow_nan=False) + "\n")
        answers.flush()

    answer({"ok": True, "ready": True, "spark": root.version})
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            request = json.loads(line)
            op = request.get("op")
            if op == "stop":
                answer({"ok": True})
                break
            if op == "open":
                catalog = Catalog(root, request)
                answer({"ok": True})
            elif catalog is None:
                answer({"ok": False, "error": f"no catalog open: send an open request before {op!r}"})
            elif op == "sql":
                answer(run_sql(catalog.current(), request["sql"]))
            elif op == "equality_delete":
                answer(equality_delete(catalog.current(), request))
            else:
                answer({"ok": False, "error": f"unknown op {op!r} (open, sql, equality_delete, stop)"})
        except Exception as error:  # noqa: BLE001 - every failure is an answer; the referee goes on
            traceback.print_exc(file=sys.stderr)
            answer({"ok": False, "error": java_message(error)})
    root.stop()


if __name__ == "__main__":
    main()
