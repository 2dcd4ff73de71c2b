"""The mlserver container's command (deploy/mlserver/Dockerfile): `mlserver start` on the model repository, then, once
MLServer and MLflow answer, one load of each model of the repository.

The repository says `load_models_at_startup: false`: MLServer exits when a model fails to load at start, and there is
no champion before the first training. Without a load here, a restarted container (a reboot, an upgrade) would serve
nothing until the training next moves the champion, and the forecast gold would fail until then. Before the first
champion MLServer refuses the load; that is logged, and the training's own load (after it registers the first
champion) serves it. SIGTERM and SIGINT are passed on to MLServer, and its exit status is this process's.

Settings (environment): MODEL_REPOSITORY (default the current folder, /models in the image), MLFLOW_TRACKING_URI
(where the models are read from), MODEL_LOAD_WAIT_SECONDS (how long to wait for both to answer, default 600).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import FrameType


def say(message: str) -> None:
    print(f"start.py: {message}", file=sys.stderr, flush=True)


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return 200 <= response.status < 300
    except OSError:
        return False


def model_names(repository: Path) -> list[str]:
    return sorted(json.loads(path.read_text())["name"] for path in repository.rglob("model-settings.json"))


def load_models(
    server: subprocess.Popen[bytes], base_url: str, mlflow_url: str, repository: Path, wait_seconds: float
) -> None:
    deadline = time.monotonic() + wait_seconds
    for name, url in (("MLServer", f"{base_url}/v2/health/live"), ("MLflow", f"{mlflow_url.rstrip('/')}/health")):
        while not answers(url):
            if server.poll() is not None:
                return
            if time.monotonic() > deadline:
                say(f"{name} did not answer at {url} in {wait_seconds:.0f} s: no model loaded (the training loads the champion)")
                return
            time.sleep(1)
    for model in model_names(repository):
        request = urllib.request.Request(f"{base_url}/v2/repository/models/{model}/load", method="POST", data=b"")
        try:
            with urllib.request.urlopen(request, timeout=120):
                say(f"serving {model}")
        except urllib.error.HTTPError as error:
            detail = error.read(500).decode("utf-8", "replace")
            say(f"{model} not loaded (HTTP {error.code}: {detail}); served once the training has a champion and loads it")
        except OSError as error:
            say(f"{model} not loaded: {error}")


def main() -> int:
    repository = Path(os.environ.get("MODEL_REPOSITORY") or ".").resolve()
    settings = json.loads((repository / "settings.json").read_text())
    base_url = f"http://127.0.0.1:{settings.get('http_port', 8080)}"
    server = subprocess.Popen(["mlserver", "start", str(repository)])

    def forward(signum: int, _frame: FrameType | None) -> None:
        server.send_signal(signum)

    signal.signal(signal.SIGTERM, forward)
    signal.signal(signal.SIGINT, forward)
    load_models(
        server,
        base_url,
        os.environ.get("MLFLOW_TRACKING_URI") or "http://127.0.0.1:5000",
        repository,
        float(os.environ.get("MODEL_LOAD_WAIT_SECONDS") or 600),
    )
    code = server.wait()
    # A server ended by a signal (-15): the shell's 128 + signal.
    return code if code >= 0 else 128 - code


if __name__ == "__main__":
    sys.exit(main())
