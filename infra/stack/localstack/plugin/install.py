"""Installs chat4all_localstack.py into the site-packages of the Python that runs this script (or into DIR, a
directory that LocalStack then gets on its PYTHONPATH), as a minimal distribution whose entry points LocalStack's
plugin loader (plux) discovers. No network, no build backend.

    <localstack-venv>/bin/python install.py [DIR]
"""

import hashlib
import pathlib
import shutil
import sys
import sysconfig

NAME = "chat4all_localstack"
VERSION = "2.0.0"
ENTRY_POINTS = """\
[localstack.lambda.runtime_executor]
host-process = chat4all_localstack:HostProcessRuntimeExecutorPlugin
no-docker = chat4all_localstack:NoDockerRuntimeExecutorPlugin

[localstack.hooks.lambda_create_event_source_poller]
consume_self_managed_kafka = chat4all_localstack:consume_self_managed_kafka
"""

here = pathlib.Path(__file__).resolve().parent
site = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else pathlib.Path(sysconfig.get_paths()["purelib"])
site.mkdir(parents=True, exist_ok=True)
dist_info = site / f"{NAME}-{VERSION}.dist-info"
for old in site.glob(f"{NAME}-*.dist-info"):
    shutil.rmtree(old)
dist_info.mkdir()
shutil.copyfile(here / f"{NAME}.py", site / f"{NAME}.py")
(dist_info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {NAME}\nVersion: {VERSION}\n")
(dist_info / "entry_points.txt").write_text(ENTRY_POINTS)
(dist_info / "INSTALLER").write_text("chat4all\n")
record = []
for path in [site / f"{NAME}.py", *sorted(dist_info.iterdir())]:
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    record.append(f"{path.relative_to(site)},sha256={digest},{path.stat().st_size}")
record.append(f"{dist_info.relative_to(site)}/RECORD,,")
(dist_info / "RECORD").write_text("\n".join(record) + "\n")
print(f"installed {NAME} {VERSION} into {site}")
