"""LocalStack extensions that run Chat4All's deployed stage without a Docker engine.

Installed into LocalStack's Python by install.py (entry points only; nothing of LocalStack is patched):

* ``host-process`` Lambda runtime executor (``LAMBDA_RUNTIME_EXECUTOR=host-process``). LocalStack community runs
  function code only in Docker containers, with its Go runtime-init (lambda-runtime-init) inside serving the Lambda
  Runtime API. This executor does the same on the host: each execution environment LocalStack asks for is one
  host process of the function's runtime (the stage's Node 24), with the function's code and layers laid out as
  Lambda lays them out, the function's environment only, and a Runtime API server (this module) it talks to through
  infra/stack/localstack/runtime/bootstrap.mjs, the runtime interface client. LocalStack's own assignment service
  keeps one environment per concurrent invocation and reuses warm ones; between invocations the process is frozen
  (SIGSTOP) as Lambda freezes a sandbox, and thawed (SIGCONT) for the next one. Timeouts and the memory size are
  honoured, errors come back in Lambda's error shape, and every invocation's logs (with START/END/REPORT lines, Init
  Duration on cold starts) go to CloudWatch Logs through LocalStack and to <sandbox dir>/logs/<function>.log.
  Where a Docker engine answers, the stack keeps LocalStack's ``docker`` executor. ``no-docker`` is kept as an alias.

* Self-managed Apache Kafka event source mappings that consume (LocalStack community has no Kafka poller). One
  consumer group per mapping (its ConsumerGroupId, else its UUID), StartingPosition for a group without offsets,
  BatchSize and MaximumBatchingWindowInSeconds, records of a partition in order (one invocation per partition at a
  time, partitions in parallel), offsets committed only after the function succeeded, a failed batch retried with
  backoff (MaximumRetryAttempts when set, else until it succeeds, as AWS does), and the SelfManagedKafka event
  (records keyed topic-partition, base64 key and value, headers as byte arrays). Client: confluent-kafka.

Settings (environment of the LocalStack process): CHAT4ALL_LAMBDA_RUNTIMES (JSON: runtime -> binary, e.g.
{"nodejs24.x": "/…/bin/node"}), CHAT4ALL_LAMBDA_RUNTIME_CLIENT (bootstrap.mjs), CHAT4ALL_LAMBDA_DIR (sandboxes, logs).
"""

import atexit
import base64
import hashlib
import json
import logging
import math
import os
import queue
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from localstack.services.lambda_.event_source_mapping.pollers.poller import (
    EmptyPollResultsException,
    Poller,
)
from localstack.services.lambda_.hooks import create_event_source_poller
from localstack.services.lambda_.invocation.executor_endpoint import StatusErrorException
from localstack.services.lambda_.invocation.lambda_models import FunctionVersion, InvocationResult
from localstack.services.lambda_.invocation.plugins import RuntimeExecutorPlugin
from localstack.services.lambda_.invocation.runtime_executor import (
    LambdaRuntimeException,
    RuntimeExecutor,
)

LOG = logging.getLogger(__name__)

LOG_MARK = b"\x1echat4all-invocation-end "
MAX_LOG_LINES = 5000
# As Lambda (Go's os/exec) words a runtime's death: "Runtime exited with error: signal: killed".
SIGNAL_NAMES = {signal.SIGKILL: "killed", signal.SIGABRT: "aborted", signal.SIGSEGV: "segmentation fault", signal.SIGTERM: "terminated"}


def _sandbox_root() -> Path:
    return Path(os.environ.get("CHAT4ALL_LAMBDA_DIR") or Path(tempfile.gettempdir()) / "chat4all-lambda")


def _runtime_binary(runtime: str | None) -> str:
    runtimes = json.loads(os.environ.get("CHAT4ALL_LAMBDA_RUNTIMES") or "{}")
    binary = runtimes.get(runtime or "")
    if not binary:
        raise LambdaRuntimeException(
            f"runtime {runtime} is not available to the host-process executor (it has: {', '.join(runtimes) or 'none'}; "
            "set CHAT4ALL_LAMBDA_RUNTIMES)"
        )
    return binary


def _runtime_client() -> str:
    client = os.environ.get("CHAT4ALL_LAMBDA_RUNTIME_CLIENT")
    if not client or not Path(client).is_file():
        raise LambdaRuntimeException("CHAT4ALL_LAMBDA_RUNTIME_CLIENT does not name the runtime interface client")
    return client


def _version_dir(function_version: FunctionVersion) -> Path:
    """Code and layers of one function version, shared (read-only, like /var/task and /opt) by its sandboxes."""
    config = function_version.config
    key = "|".join(
        [function_version.qualified_arn, str(config.code.get_unzipped_code_location() if config.code else "")]
        + [layer.layer_version_arn for layer in config.layers]
    )
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return _sandbox_root() / "versions" / f"{function_version.id.function_name}-{digest}"


def _prepare_version_dir(function_version: FunctionVersion) -> Path:
    """Lays out a version as Lambda does (see install notes in docs/deploy.md):

    <version>/task            = /var/task: the function's zip, unpacked (a copy: ESM resolution follows real paths)
    <version>/opt             = /opt: the layer, unpacked (several layers merged in order, as Lambda extracts them)
    <version>/node_modules -> opt/nodejs/node_modules: bare specifiers of ES modules (which ignore NODE_PATH) resolve
                                by walking up from task/… to here, i.e. in /opt/nodejs/node_modules, after any
                                node_modules of the function's own; CommonJS also gets Lambda's NODE_PATH.
    """
    target = _version_dir(function_version)
    if (target / ".ready").exists():
        return target
    config = function_version.config
    staging = Path(tempfile.mkdtemp(prefix=".staging-", dir=_ensure_dir(target.parent)))
    try:
        if config.code:
            config.code.prepare_for_execution()
            shutil.copytree(config.code.get_unzipped_code_location(), staging / "task", symlinks=True)
        else:
            (staging / "task").mkdir()
        layer_dirs = []
        for layer in config.layers:
            if layer.code:
                layer.code.prepare_for_execution()
                layer_dirs.append(Path(layer.code.get_unzipped_code_location()))
        if len(layer_dirs) == 1:
            (staging / "opt").symlink_to(layer_dirs[0], target_is_directory=True)
        else:
            (staging / "opt").mkdir()
            for layer_dir in layer_dirs:
                shutil.copytree(layer_dir, staging / "opt", symlinks=True, dirs_exist_ok=True)
        (staging / "node_modules").symlink_to("opt/nodejs/node_modules", target_is_directory=True)
        (staging / ".ready").write_text(datetime.now(timezone.utc).isoformat())
        if target.exists():
            shutil.rmtree(target, ignore_errors=True)
        staging.rename(target)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return target


def _ensure_dir(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def _proc_status_kb(pid: int, field: str) -> int:
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _reap_stale_sandboxes() -> None:
    """Sandboxes of an earlier LocalStack that died without stopping them (frozen processes would stay forever)."""
    client = os.environ.get("CHAT4ALL_LAMBDA_RUNTIME_CLIENT") or "bootstrap.mjs"
    for pid_file in (_sandbox_root() / "sandboxes").glob("*/pid"):
        try:
            pid = int(pid_file.read_text())
            with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
                if client.encode() in cmdline.read():
                    os.killpg(pid, signal.SIGKILL)
        except (OSError, ValueError):
            pass
        shutil.rmtree(pid_file.parent, ignore_errors=True)


_live_executors: "set[HostProcessRuntimeExecutor]" = set()


@atexit.register
def _kill_live_sandboxes() -> None:
    """LocalStack may end without stopping its execution environments: no sandbox outlives it (frozen forever)."""
    for executor in list(_live_executors):
        executor._kill()


class _Invocation:
    def __init__(self, payload: dict[str, str], deadline_ms: int):
        self.payload = payload
        self.request_id = payload["invoke-id"]
        self.deadline_ms = deadline_ms
        self.done = threading.Event()
        self.result: bytes | None = None
        self.is_error = False


class _RuntimeApi(BaseHTTPRequestHandler):
    """The Lambda Runtime API (2018-06-01) of one sandbox, as lambda-runtime-init serves it in a container."""

    protocol_version = "HTTP/1.1"
    executor: "HostProcessRuntimeExecutor"

    def log_message(self, *args) -> None:  # no access log
        pass

    def _answer(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):  # the sandbox was killed meanwhile
            pass

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def do_GET(self) -> None:
        if self.path != "/2018-06-01/runtime/invocation/next":
            return self._answer(404)
        invocation = self.executor.next_invocation()
        if invocation is None:
            return self._answer(410, b'{"errorMessage":"sandbox stopped"}')
        headers = {
            "Content-Type": "application/json",
            "Lambda-Runtime-Aws-Request-Id": invocation.request_id,
            "Lambda-Runtime-Deadline-Ms": str(invocation.deadline_ms),
            "Lambda-Runtime-Invoked-Function-Arn": invocation.payload.get("invoked-function-arn", ""),
        }
        if invocation.payload.get("trace-id"):
            headers["Lambda-Runtime-Trace-Id"] = invocation.payload["trace-id"]
        self._answer(200, (invocation.payload.get("payload") or "").encode(), headers)

    def do_POST(self) -> None:
        body = self._body()
        parts = self.path.split("/")
        if self.path == "/2018-06-01/runtime/init/error":
            self.executor.init_failed(body)
        elif len(parts) == 6 and parts[3] == "invocation" and parts[5] in ("response", "error"):
            self.executor.invocation_finished(parts[4], body, is_error=parts[5] == "error")
        else:
            return self._answer(404)
        self._answer(202, b'{"status":"OK"}', {"Content-Type": "application/json"})


class HostProcessRuntimeExecutor(RuntimeExecutor):
    def __init__(self, id: str, function_version: FunctionVersion) -> None:
        super().__init__(id=id, function_version=function_version)
        self.process: subprocess.Popen | None = None
        self.server: ThreadingHTTPServer | None = None
        self.sandbox = _sandbox_root() / "sandboxes" / id
        self.env_vars: dict[str, str] = {}
        self.invocations: queue.Queue[_Invocation | None] = queue.Queue()
        self.current: _Invocation | None = None
        self.ready = threading.Event()
        self.init_error: bytes | None = None
        self.init_ms: float | None = None
        self.lines: list[str] = []
        self.lines_lock = threading.Lock()
        self.marks: set[str] = set()
        self.marks_changed = threading.Condition(self.lines_lock)
        self.invoke_lock = threading.Lock()
        self.stopped = False
        self.exit_lines: list[str] = []
        self.fresh = False  # a process that has not served an invocation yet: its first one is a cold start

    # -- RuntimeExecutor ------------------------------------------------------------------------------------------

    def start(self, env_vars: dict[str, str]) -> None:
        self.env_vars = env_vars
        self._ensure_running()

    def stop(self) -> None:
        self.stopped = True
        self._kill()
        _live_executors.discard(self)
        if self.server:
            self.invocations.put(None)
            self.server.shutdown()
            self.server.server_close()
            self.server = None
        shutil.rmtree(self.sandbox, ignore_errors=True)

    def get_address(self) -> str:
        return "127.0.0.1"

    def get_endpoint_from_executor(self) -> str:
        return "127.0.0.1"

    def get_runtime_endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1] if self.server else 0}"

    def invoke(self, payload: dict[str, str]) -> InvocationResult:
        with self.invoke_lock:
            config = self.function_version.config
            request_id = payload["invoke-id"]
            cold = self.fresh or self.process is None or self.process.poll() is not None
            self.fresh = False
            if self.process is None or self.process.poll() is not None:
                try:
                    self._ensure_running()
                except StatusErrorException as error:
                    return InvocationResult(request_id, error.payload, is_error=True, logs=self._take_lines())
            init_lines = self._take_lines()
            started = time.perf_counter()
            invocation = _Invocation(payload, int(time.time() * 1000) + config.timeout * 1000)
            self.current = invocation
            self._signal(signal.SIGCONT)
            self.invocations.put(invocation)
            outcome = self._await(invocation, config.timeout, config.memory_size)
            duration_ms = (time.perf_counter() - started) * 1000
            if outcome == "ok":
                with self.marks_changed:  # the logs the invocation wrote before it answered
                    self.marks_changed.wait_for(lambda: request_id in self.marks, timeout=2)
                    self.marks.discard(request_id)
                self._signal(signal.SIGSTOP)  # frozen until the next invocation, as Lambda freezes a sandbox
            self.current = None
            max_memory_mb = math.ceil(
                _proc_status_kb(self.process.pid, "VmHWM") / 1024 if self.process else 0
            )
            lines = self._take_lines()
            if outcome != "ok":
                self._kill()  # Lambda resets the sandbox: the next invocation starts a new process (a cold start)
            report = (
                f"REPORT RequestId: {request_id}\tDuration: {duration_ms:.2f} ms\t"
                f"Billed Duration: {math.ceil(duration_ms)} ms\tMemory Size: {config.memory_size} MB\t"
                f"Max Memory Used: {max_memory_mb} MB"
                + (f"\tInit Duration: {self.init_ms:.2f} ms" if cold and self.init_ms is not None else "")
                + ("\tStatus: timeout" if outcome == "timeout" else "")
            )
            logs = "\n".join(
                (
                    [f"INIT_START Runtime Version: {config.runtime}"] + init_lines
                    if cold
                    else init_lines
                )
                + [f"START RequestId: {request_id} Version: {self.function_version.id.qualifier}"]
                + lines
                + [f"END RequestId: {request_id}", report]
            )
            self._append_function_log(logs)
            if outcome == "timeout":
                body = {
                    "errorType": "Sandbox.Timedout",
                    "errorMessage": f"RequestId: {request_id} Error: Task timed out after {config.timeout:.2f} seconds",
                }
                return InvocationResult(request_id, json.dumps(body).encode(), is_error=True, logs=logs)
            if outcome in ("exit", "oom"):
                code = self.process.returncode if self.process else None
                reason = f"signal: {SIGNAL_NAMES.get(-code, str(-code))}" if code and code < 0 else f"exit status {code}"
                body = {
                    "errorType": "Runtime.OutOfMemory" if outcome == "oom" else "Runtime.ExitError",
                    "errorMessage": f"RequestId: {request_id} Error: Runtime exited with error: {reason}",
                }
                return InvocationResult(request_id, json.dumps(body).encode(), is_error=True, logs=logs)
            return InvocationResult(request_id, invocation.result, is_error=invocation.is_error, logs=logs)

    def get_logs(self) -> str:
        with self.lines_lock:
            return "\n".join(self.exit_lines + self.lines)

    @classmethod
    def prepare_version(cls, function_version: FunctionVersion) -> None:
        _runtime_binary(function_version.config.runtime)
        _runtime_client()
        _prepare_version_dir(function_version)

    @classmethod
    def cleanup_version(cls, function_version: FunctionVersion) -> None:
        shutil.rmtree(_version_dir(function_version), ignore_errors=True)

    @classmethod
    def validate_environment(cls) -> bool:
        return True

    # -- Runtime API callbacks -----------------------------------------------------------------------------------

    def next_invocation(self) -> _Invocation | None:
        self.ready.set()  # the runtime asks for work: its init phase is over
        return self.invocations.get()

    def init_failed(self, body: bytes) -> None:
        self.init_error = body
        self.ready.set()

    def invocation_finished(self, request_id: str, body: bytes, is_error: bool) -> None:
        invocation = self.current
        if invocation is None or invocation.request_id != request_id:
            return
        invocation.result = body
        invocation.is_error = is_error
        invocation.done.set()

    # -- the sandbox process --------------------------------------------------------------------------------------

    def _ensure_running(self) -> None:
        if self.process is not None and self.process.poll() is None:
            return
        config = self.function_version.config
        node = _runtime_binary(config.runtime)
        client = _runtime_client()
        version_dir = _prepare_version_dir(self.function_version)
        task, opt = version_dir / "task", version_dir / "opt"
        tmp = _ensure_dir(self.sandbox / "tmp")
        if self.server is None:
            handler = type("RuntimeApi", (_RuntimeApi,), {"executor": self})
            self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
            self.server.daemon_threads = True
            threading.Thread(target=self.server.serve_forever, name=f"lambda-runtime-api-{self.id}", daemon=True).start()
        self.ready.clear()
        self.init_error = None
        env = dict(self.env_vars)
        env.update(
            {
                "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{self.server.server_address[1]}",
                "LAMBDA_TASK_ROOT": str(task),
                "LAMBDA_RUNTIME_DIR": str(Path(client).parent),
                "AWS_EXECUTION_ENV": f"AWS_Lambda_{config.runtime}",
                "AWS_LAMBDA_LOG_STREAM_NAME": f"{date.today():%Y/%m/%d}/[{self.function_version.id.qualifier}]{self.id}",
                # Lambda's NODE_PATH, with /opt and /var/task where this sandbox has them (CommonJS only: ES modules
                # resolve bare specifiers through <version>/node_modules, see _prepare_version_dir).
                "NODE_PATH": ":".join(
                    [f"{opt}/nodejs/node24/node_modules", f"{opt}/nodejs/node_modules", str(task)]
                ),
                "PATH": f"{Path(node).parent}:{opt}/bin:/usr/local/bin:/usr/bin:/bin",
                "LANG": "en_US.UTF-8",
                "TMPDIR": str(tmp),
                "HOME": str(tmp),
            }
        )
        env = {key: str(value) for key, value in env.items() if value is not None}
        heap_mb = max(16, int(config.memory_size * 0.9))
        started = time.perf_counter()
        self.process = subprocess.Popen(
            [node, f"--max-old-space-size={heap_mb}", client],
            cwd=task,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        (self.sandbox / "pid").write_text(str(self.process.pid))
        _live_executors.add(self)
        self.fresh = True
        threading.Thread(target=self._read_output, args=(self.process,), name=f"lambda-logs-{self.id}", daemon=True).start()
        timeout = float(os.environ.get("LAMBDA_RUNTIME_ENVIRONMENT_TIMEOUT") or 20)
        deadline = time.monotonic() + timeout
        while not self.ready.wait(0.05):
            if self.process.poll() is not None or time.monotonic() > deadline:
                break
        self.init_ms = (time.perf_counter() - started) * 1000
        if self.init_error is not None or not self.ready.is_set():
            error = self.init_error or json.dumps(
                {
                    "errorType": "Runtime.ExitError" if self.process.poll() is not None else "Sandbox.Timedout",
                    "errorMessage": "Runtime exited during init"
                    if self.process.poll() is not None
                    else f"init did not finish within {timeout:.0f} s",
                }
            ).encode()
            self._kill()
            raise StatusErrorException("Environment startup failed", payload=error)

    def _await(self, invocation: _Invocation, timeout_s: int, memory_mb: int) -> str:
        deadline = time.monotonic() + timeout_s
        while not invocation.done.wait(0.05):
            if self.process.poll() is not None:
                with self.lines_lock:
                    text = "\n".join(self.lines[-20:])
                return "oom" if "heap out of memory" in text or "Reached heap limit" in text else "exit"
            if _proc_status_kb(self.process.pid, "VmRSS") > memory_mb * 1024:
                self._kill()
                return "oom"
            if time.monotonic() > deadline:
                return "timeout"
        return "ok"

    def _read_output(self, process: subprocess.Popen) -> None:
        for raw in iter(process.stdout.readline, b""):
            if raw.startswith(LOG_MARK):
                with self.marks_changed:
                    self.marks.add(raw[len(LOG_MARK) :].decode().strip())
                    self.marks_changed.notify_all()
                continue
            line = raw.decode("utf-8", errors="replace").rstrip("\n")
            with self.lines_lock:
                if len(self.lines) < MAX_LOG_LINES:
                    self.lines.append(line)
        process.stdout.close()
        with self.lines_lock:
            self.exit_lines = self.lines[-50:]

    def _take_lines(self) -> list[str]:
        with self.lines_lock:
            lines, self.lines = self.lines, []
        return lines

    def _signal(self, signum: int) -> None:
        if self.process is not None and self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signum)
            except ProcessLookupError:
                pass

    def _kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self._signal(signal.SIGKILL)
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                pass

    def _append_function_log(self, text: str) -> None:
        try:
            logs = _ensure_dir(_sandbox_root() / "logs")
            with open(logs / f"{self.function_version.id.function_name}.log", "a") as file:
                file.write(text + "\n")
        except OSError:
            pass


_reaped = threading.Lock()
_reaped_once: list[bool] = []


class HostProcessRuntimeExecutorPlugin(RuntimeExecutorPlugin):
    name = "host-process"

    def load(self, *args, **kwargs):
        # load() runs for every execution environment LocalStack creates: reap only once per LocalStack process.
        with _reaped:
            if not _reaped_once:
                _reaped_once.append(True)
                _reap_stale_sandboxes()
        return HostProcessRuntimeExecutor


class NoDockerRuntimeExecutorPlugin(HostProcessRuntimeExecutorPlugin):
    """The name this executor had when it ran nothing; LocalStacks started with it run functions now."""

    name = "no-docker"


# ---------------------------------------------------------------------------------------------------------------
# Self-managed Kafka event source mappings


class SelfManagedKafkaPoller(Poller):
    """Consumes one self-managed Kafka event source mapping and invokes its function as AWS does."""

    def __init__(self, esm_config: dict, processor=None):
        super().__init__(processor=processor)
        self.esm_config = esm_config
        self.uuid = esm_config["UUID"]
        self.function_arn = esm_config["FunctionArn"]
        endpoints = (esm_config.get("SelfManagedEventSource") or {}).get("Endpoints") or {}
        servers = endpoints.get("KAFKA_BOOTSTRAP_SERVERS") or endpoints.get("KafkaBootstrapServers") or []
        self.bootstrap_servers = ",".join(servers)
        self.topics = esm_config.get("Topics") or []
        self.group_id = (esm_config.get("SelfManagedKafkaEventSourceConfig") or {}).get("ConsumerGroupId") or self.uuid
        self.batch_size = int(esm_config.get("BatchSize") or 100)
        window = esm_config.get("MaximumBatchingWindowInSeconds")
        self.window_s = 0.5 if window is None else float(window)
        self.max_retries = int(esm_config.get("MaximumRetryAttempts") or -1)
        self.starting_position = esm_config.get("StartingPosition") or "LATEST"
        self.consumer = None
        self.lambda_client = None
        self.pool: ThreadPoolExecutor | None = None
        self.closed = threading.Event()

    def event_source(self) -> str:
        return "SelfManagedKafka"

    def _connect(self) -> None:
        if self.consumer is not None:
            return
        # A mapping disabled and enabled again polls with the same poller: each start gets fresh workers.
        self.closed = threading.Event()
        self.pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix=f"kafka-esm-{self.uuid[:8]}")
        import botocore.config
        from confluent_kafka import Consumer

        from localstack.services.lambda_.event_source_mapping.pipe_utils import get_internal_client

        self.consumer = Consumer(
            {
                "bootstrap.servers": self.bootstrap_servers,
                "group.id": self.group_id,
                "client.id": f"lambda-esm-{self.uuid}",
                "enable.auto.commit": False,
                "auto.offset.reset": "earliest" if self.starting_position == "TRIM_HORIZON" else "latest",
                # A batch may be retried for long (AWS retries until it succeeds): stay in the group meanwhile.
                "max.poll.interval.ms": 3_600_000,
                "session.timeout.ms": 30_000,
                "enable.partition.eof": False,
            }
        )
        self.consumer.subscribe(self.topics)
        self.lambda_client = get_internal_client(
            arn=self.function_arn,
            client_config=botocore.config.Config(retries={"total_max_attempts": 1}, read_timeout=905, tcp_keepalive=True),
        )
        LOG.info(
            "Kafka event source mapping %s: consuming %s from %s as group %s for %s",
            self.uuid,
            ",".join(self.topics),
            self.bootstrap_servers,
            self.group_id,
            self.function_arn,
        )

    def poll_events(self) -> None:
        """One round: a batch (BatchSize records or MaximumBatchingWindowInSeconds, whichever first), one
        invocation per partition in parallel, each partition's offset committed after its invocation succeeded."""
        self._connect()
        first = self.consumer.poll(1.0)
        if first is None:
            return  # no exception: the worker polls again after LAMBDA_EVENT_SOURCE_MAPPING_POLL_INTERVAL_SEC
        records = [first]
        deadline = time.monotonic() + self.window_s
        while len(records) < self.batch_size:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                break
            more = self.consumer.consume(self.batch_size - len(records), remaining)
            if not more:
                break
            records.extend(more)
        by_partition: dict[tuple[str, int], list] = {}
        for record in records:
            if record.error():
                LOG.warning("Kafka event source mapping %s: %s", self.uuid, record.error())
                continue
            by_partition.setdefault((record.topic(), record.partition()), []).append(record)
        if not by_partition:
            raise EmptyPollResultsException(service="kafka")
        results = list(self.pool.map(lambda item: self._deliver(*item), by_partition.items()))
        if not all(results):
            # A batch that was not delivered (mapping stopped while retrying): read it again from the committed offset.
            for (topic, partition), batch in by_partition.items():
                from confluent_kafka import TopicPartition

                self.consumer.seek(TopicPartition(topic, partition, batch[0].offset()))

    def _event(self, topic: str, partition: int, batch: list) -> dict:
        def headers(record):
            return [{key: list(value or b"")} for key, value in (record.headers() or [])]

        return {
            "eventSource": "SelfManagedKafka",
            "bootstrapServers": self.bootstrap_servers,
            "records": {
                f"{topic}-{partition}": [
                    {
                        "topic": topic,
                        "partition": partition,
                        "offset": record.offset(),
                        "timestamp": record.timestamp()[1],
                        "timestampType": "LOG_APPEND_TIME" if record.timestamp()[0] == 2 else "CREATE_TIME",
                        "key": base64.b64encode(record.key() or b"").decode(),
                        "value": base64.b64encode(record.value() or b"").decode(),
                        "headers": headers(record),
                    }
                    for record in batch
                ]
            },
        }

    def _deliver(self, key: tuple[str, int], batch: list) -> bool:
        from confluent_kafka import TopicPartition

        topic, partition = key
        payload = json.dumps(self._event(topic, partition, batch))
        attempt = 0
        while True:
            attempt += 1
            try:
                response = self.lambda_client.invoke(FunctionName=self.function_arn, Payload=payload)
                body = response["Payload"].read()
                if not response.get("FunctionError"):
                    self.consumer.commit(
                        offsets=[TopicPartition(topic, partition, batch[-1].offset() + 1)], asynchronous=False
                    )
                    return True
                reason = body[:500].decode(errors="replace")
            except Exception as error:  # LocalStack's Lambda itself failed: retried like a function error
                reason = str(error)
            if 0 <= self.max_retries < attempt:
                LOG.warning(
                    "Kafka event source mapping %s: %s-%d offsets %d-%d dropped after %d attempts: %s",
                    self.uuid, topic, partition, batch[0].offset(), batch[-1].offset(), attempt, reason,
                )
                self.consumer.commit(
                    offsets=[TopicPartition(topic, partition, batch[-1].offset() + 1)], asynchronous=False
                )
                return True
            delay = min(30.0, 0.5 * 2 ** min(attempt - 1, 6))
            LOG.info(
                "Kafka event source mapping %s: %s-%d from offset %d failed (attempt %d), again in %.1f s: %s",
                self.uuid, topic, partition, batch[0].offset(), attempt, delay, reason,
            )
            if self.closed.wait(delay):
                return False

    def close(self) -> None:
        self.closed.set()
        if self.pool is not None:
            self.pool.shutdown(wait=True)
            self.pool = None
        if self.consumer is not None:
            try:
                self.consumer.close()  # leaves the group: its partitions go to the mapping's next consumer
            except Exception as error:
                LOG.debug("closing the Kafka consumer of %s: %s", self.uuid, error)
            self.consumer = None


@create_event_source_poller()
def consume_self_managed_kafka(poller_holder, source_service, esm_config) -> None:
    if poller_holder.create_poller_fn or not esm_config.get("SelfManagedEventSource"):
        return
    poller_holder.create_poller_fn = lambda arn=None, client=None, processor=None: SelfManagedKafkaPoller(
        esm_config, processor=processor
    )


# The entry point's name in version 1 of this plugin (a LocalStack whose Python still lists it resolves it here).
record_self_managed_kafka = consume_self_managed_kafka
