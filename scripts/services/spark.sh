#!/usr/bin/env bash
# Installs what the Apache Spark referee (scripts/referee/spark_referee.py) needs: PySpark 3.5 from
# PyPI for python3 (or $ORDERPULSE_PYTHON), and the jars the pom in scripts/services/spark/ names
# (Iceberg's Spark runtime, the SQLite and PostgreSQL JDBC drivers, Iceberg's AWS bundle), fetched
# from Maven Central into .services/spark/jars/. Idempotent: what is there is kept; the jars are
# fetched again only when the pom changes. Spark runs inside the test process's referee, so there
# is nothing to start or stop.
#
#   scripts/services/spark.sh            # prints `export ORDERPULSE_SPARK_JARS=...` on stdout
#
# Needs Java 17 or newer (Spark 3.5 supports 17; the java found is exported for the referee).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=lib.sh
source "$here/lib.sh"

SPARK_DIR="$SERVICES_DIR/spark"
SPARK_POM_DIR="$SERVICES_ROOT/scripts/services/spark"
SPARK_PYSPARK='pyspark==3.5.*'
python="${ORDERPULSE_PYTHON:-python3}"
started="$(now_ms)"
mkdir -p "$SPARK_DIR"

command -v "$python" >/dev/null || die "the Spark referee needs $python (set ORDERPULSE_PYTHON to another interpreter)"
if "$python" -c 'import sys, pyspark; sys.exit(0 if pyspark.__version__.startswith("3.5.") else 1)' 2>/dev/null; then
  log "pyspark $("$python" -c 'import pyspark; print(pyspark.__version__)') already installed for $python"
else
  log "installing $SPARK_PYSPARK for $python from PyPI (about 320 MB); log: $SPARK_DIR/pip.log"
  PIP_ROOT_USER_ACTION=ignore "$python" -m pip install --disable-pip-version-check -q "$SPARK_PYSPARK" >"$SPARK_DIR/pip.log" 2>&1 ||
    die "pip install '$SPARK_PYSPARK' failed; see $SPARK_DIR/pip.log"
fi

stamp="$(sha256sum "$SPARK_POM_DIR/pom.xml" | cut -c1-16)"
if [[ -f "$SPARK_DIR/jars/.pom-$stamp" ]]; then
  log "Spark referee jars already fetched ($SPARK_DIR/jars)"
else
  need_maven 'the Spark referee'
  log "fetching the Spark referee's jars from Maven Central (mvn dependency:copy-dependencies); log: $SPARK_DIR/mvn.log"
  rm -rf "$SPARK_DIR/jars.partial" "$SPARK_DIR/jars"
  # Only the named jars: the Iceberg runtime and the AWS bundle are shaded, and Spark brings the rest.
  (cd "$SPARK_POM_DIR" && mvn -B -q org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies \
    -DoutputDirectory="$SPARK_DIR/jars.partial" -DincludeScope=runtime -DexcludeTransitive=true) >"$SPARK_DIR/mvn.log" 2>&1 ||
    die "fetching the Spark referee's jars failed; see $SPARK_DIR/mvn.log"
  ls "$SPARK_DIR"/jars.partial/iceberg-spark-runtime-*.jar >/dev/null 2>&1 || die "mvn copied no iceberg-spark-runtime jar; see $SPARK_DIR/mvn.log"
  touch "$SPARK_DIR/jars.partial/.pom-$stamp"
  mv "$SPARK_DIR/jars.partial" "$SPARK_DIR/jars"
fi

java="$(find_java 17)" || die "the Spark referee needs Java 17: none found (looked at \$ORDERPULSE_JAVA_HOME, \$JAVA_HOME, the PATH and the usual JDK locations)"
log "Spark referee ready in $(( $(now_ms) - started )) ms: $("$java" -version 2>&1 | head -n1), jars in $SPARK_DIR/jars"
echo "export ORDERPULSE_SPARK_JARS=$SPARK_DIR/jars"
echo "export ORDERPULSE_SPARK_JAVA_HOME=$(dirname "$(dirname "$(readlink -f "$java")")")"
