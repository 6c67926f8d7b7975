#!/usr/bin/env bash
# PostgreSQL and RabbitMQ run on this kind of machine before a session starts; if one stopped,
# start it with the commands of the handbook (DESIGN.md) and wait until it answers.
set -euo pipefail

pg_up() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null || python3 - <<'PY'
import socket, sys
s = socket.socket(); s.settimeout(1)
sys.exit(s.connect_ex(("127.0.0.1", 5432)))
PY
}
amqp_up() { python3 - <<'PY'
import socket, sys
s = socket.socket(); s.settimeout(1)
sys.exit(s.connect_ex(("127.0.0.1", 5672)))
PY
}

if ! pg_up; then
  echo "PostgreSQL is not answering on 127.0.0.1:5432; starting it" >&2
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start
  for _ in $(seq 30); do pg_up && break; sleep 1; done
fi
if ! amqp_up; then
  echo "RabbitMQ is not answering on 127.0.0.1:5672; starting it" >&2
  rabbitmq-server -detached
  rabbitmqctl await_startup >/dev/null
fi
pg_up || { echo "PostgreSQL is still down" >&2; exit 1; }
amqp_up || { echo "RabbitMQ is still down" >&2; exit 1; }
echo "PostgreSQL and RabbitMQ are up"
