"""LocalStack extensions for deploying Chat4All to a LocalStack without a Docker engine.

Installed into LocalStack's virtualenv by install.py (entry points only, nothing of LocalStack is patched):

* ``no-docker`` Lambda runtime executor (``LAMBDA_RUNTIME_EXECUTOR=no-docker``). LocalStack community ships only
  the ``docker`` executor, which on CreateFunction downloads its runtime-init binary from GitHub and pulls the
  runtime image; without Docker (or without internet) every function ends up ``Failed`` and can then not even be
  deleted ("Unable to find version manager"). This executor prepares nothing, so functions become ``Active``
  and can be updated and deleted like on AWS; an invocation fails with a clear error instead of running code.
  Where a Docker engine answers, the stack keeps LocalStack's ``docker`` executor and functions really run.

* Self-managed Apache Kafka event source mappings. LocalStack community has no Kafka poller (a Pro feature) and
  answers CreateEventSourceMapping with an error. This hook gives such mappings a poller that only records
  them: the mapping exists, with its topic, bootstrap servers, consumer group, batch size and starting
  position, but LocalStack consumes nothing (locally, Chat4All's event-source bridge consumes Kafka).
"""

import logging

from localstack.services.lambda_.event_source_mapping.pollers.poller import (
    EmptyPollResultsException,
    Poller,
)
from localstack.services.lambda_.hooks import create_event_source_poller
from localstack.services.lambda_.invocation.lambda_models import FunctionVersion, InvocationResult
from localstack.services.lambda_.invocation.plugins import RuntimeExecutorPlugin
from localstack.services.lambda_.invocation.runtime_executor import (
    LambdaRuntimeException,
    RuntimeExecutor,
)

LOG = logging.getLogger(__name__)

NO_DOCKER_MESSAGE = (
    "this LocalStack runs without a Docker engine (LAMBDA_RUNTIME_EXECUTOR=no-docker): functions are "
    "deployed but their code cannot run here; invoke them locally through serverless-offline (npm start)"
)


class NoDockerRuntimeExecutor(RuntimeExecutor):
    def start(self, env_vars: dict[str, str]) -> None:
        raise LambdaRuntimeException(NO_DOCKER_MESSAGE)

    def stop(self) -> None:
        pass

    def get_address(self) -> str:
        return "127.0.0.1"

    def get_endpoint_from_executor(self) -> str:
        return "127.0.0.1"

    def get_runtime_endpoint(self) -> str:
        return "http://127.0.0.1"

    def invoke(self, payload: dict[str, str]) -> InvocationResult:
        raise LambdaRuntimeException(NO_DOCKER_MESSAGE)

    def get_logs(self) -> str:
        return NO_DOCKER_MESSAGE

    @classmethod
    def prepare_version(cls, function_version: FunctionVersion) -> None:
        pass

    @classmethod
    def cleanup_version(cls, function_version: FunctionVersion) -> None:
        pass

    @classmethod
    def validate_environment(cls) -> bool:
        return True


class NoDockerRuntimeExecutorPlugin(RuntimeExecutorPlugin):
    name = "no-docker"

    def load(self, *args, **kwargs):
        return NoDockerRuntimeExecutor


class RecordedKafkaPoller(Poller):
    """A self-managed Kafka source that LocalStack records but does not consume."""

    def event_source(self) -> str:
        return "SelfManagedKafka"

    def poll_events(self) -> None:
        # "empty" makes the worker back off (up to LAMBDA_EVENT_SOURCE_MAPPING_MAX_BACKOFF_ON_EMPTY_POLL_SEC)
        raise EmptyPollResultsException(service="kafka")


@create_event_source_poller()
def record_self_managed_kafka(poller_holder, source_service, esm_config) -> None:
    if poller_holder.create_poller_fn or not esm_config.get("SelfManagedEventSource"):
        return
    LOG.info(
        "recording self-managed Kafka event source mapping %s (topics %s); LocalStack does not consume it",
        esm_config.get("UUID"),
        esm_config.get("Topics"),
    )
    poller_holder.create_poller_fn = lambda arn=None, client=None, processor=None: RecordedKafkaPoller(
        processor=processor
    )
