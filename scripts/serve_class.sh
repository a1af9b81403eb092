#!/usr/bin/env bash
# Serve a big class: several kdviz server processes behind nginx with sticky sessions, one KDVIZ_HOME.
#
#   bash scripts/serve_class.sh [PROCESSES] [PORT]     # default: one process per core, port 8500
#
# Students open http://HOST:PORT. nginx gives each browser a route cookie on its first request and
# sends every later request of that browser (its websocket, its uploads) to the same backend, so a
# session never moves between processes. Backends listen on 127.0.0.1:PORT+1 … PORT+PROCESSES and
# share KDVIZ_HOME (default ~/.kdviz): runs, cached tasks and uploads are common to all of them, and
# a new Playground setting's teacher fits are computed by one of them for all (KDVIZ_OFFLOAD_SHARED).
# Needs Debian's nginx (apt-get install -y nginx-light). Ctrl-C stops everything.
set -euo pipefail
cd "$(dirname "$0")/.."
procs="${1:-$(nproc)}"
port="${2:-8500}"
listen="${KDVIZ_CLASS_LISTEN:-0.0.0.0}"
command -v nginx >/dev/null || { echo "serve_class: needs nginx (apt-get install -y nginx-light)" >&2; exit 1; }
bash scripts/setup.sh requirements.txt
run="$(mktemp -d "${TMPDIR:-/tmp}/kdviz-class.XXXXXX")"
secret="$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')"   # one cookie secret for all backends
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$run"; }
trap cleanup EXIT INT TERM

servers=""
for i in $(seq 1 "$procs"); do
  p=$((port + i))
  STREAMLIT_SERVER_COOKIE_SECRET="$secret" KDVIZ_OFFLOAD_SHARED="$run/offload" .venv/bin/streamlit run app.py --server.port "$p" \
    --server.address 127.0.0.1 --server.headless true --browser.gatherUsageStats false >"$run/backend-$p.log" 2>&1 &
  pids+=($!)
  servers="$servers    server 127.0.0.1:$p;"$'\n'
done

cat >"$run/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $run/nginx.pid;
error_log $run/nginx-error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  client_body_temp_path $run/body;
  proxy_temp_path $run/proxy;
  fastcgi_temp_path $run/fastcgi;
  uwsgi_temp_path $run/uwsgi;
  scgi_temp_path $run/scgi;
  client_max_body_size 500m;
  map \$http_upgrade \$connection_upgrade { default upgrade; '' close; }
  # sticky sessions: the route cookie, or a new random route for a browser's first request
  map \$cookie_kdvizroute \$route { "" \$request_id; default \$cookie_kdvizroute; }
  upstream kdviz {
    hash \$route consistent;
$servers  }
  server {
    listen $listen:$port;
    location / {
      proxy_pass http://kdviz;
      proxy_http_version 1.1;
      proxy_set_header Upgrade \$http_upgrade;
      proxy_set_header Connection \$connection_upgrade;
      proxy_set_header Host \$host;
      proxy_read_timeout 86400s;
      proxy_buffering off;
      add_header Set-Cookie "kdvizroute=\$route; Path=/; HttpOnly; SameSite=Lax";
    }
  }
}
EOF

for i in $(seq 1 "$procs"); do  # wait until every backend answers
  p=$((port + i))
  for _ in $(seq 1 120); do
    curl -fs "http://127.0.0.1:$p/_stcore/health" >/dev/null 2>&1 && break
    kill -0 "${pids[$((i - 1))]}" 2>/dev/null || { echo "serve_class: backend on port $p failed:" >&2; cat "$run/backend-$p.log" >&2; exit 1; }
    sleep 0.5
  done
done
echo "kdviz: $procs server processes behind nginx on http://$listen:$port (KDVIZ_HOME=${KDVIZ_HOME:-~/.kdviz})"
nginx -c "$run/nginx.conf" &
pids+=($!)
wait
