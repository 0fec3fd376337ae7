#!/bin/sh
# LocalStack container init hook (docker-compose.yml mounts it into /etc/localstack/init/boot.d): installs
# Chat4All's LocalStack plugin into the container's Python before LocalStack starts, as the native stack does.
set -e
for python in /opt/code/localstack/.venv/bin/python python3 python; do
  if command -v "$python" >/dev/null 2>&1; then
    # The Kafka client of the plugin's event source mappings (pinned as in infra/stack/localstack/requirements.lock).
    "$python" -m pip install --quiet --no-deps confluent-kafka==2.13.0 ||
      echo "chat4all: confluent-kafka not installed: Kafka event source mappings will not consume" >&2
    exec "$python" /opt/chat4all/localstack-plugin/install.py
  fi
done
echo "chat4all: no Python found to install the LocalStack plugin" >&2
exit 1
