"""`pods/exec` over WebSocket, in the channel protocol of the API server.

What `kubectl exec` (1.30+), the kubernetes client's `stream()` and
kubernetes_asyncio's `WsApiClient` speak: a WebSocket upgrade of
`GET .../pods/{name}/exec?command=..&stdin=..&stdout=..&stderr=..&tty=..`
with subprotocol `v5.channel.k8s.io` or an older one. Every binary frame
starts with its channel (0 stdin, 1 stdout, 2 stderr, 3 error, 4 resize; v5
adds 255, "close this channel"). When the command ends, the error channel
carries a `Status` (Success, or NonZeroExitCode with the code as the cause's
message, which is how clients read the exit code) and the server closes.
SPDY, the older transport, is not served; kubectl falls back to it only when
the WebSocket upgrade fails.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import json
import os
import struct
import termios
from typing import Any

from tornado import websocket

from ..kubelet.exec import ExecProcess, start_exec
from ..kubelet.runtime import StartError
from . import errors

STDIN, STDOUT, STDERR, ERROR, RESIZE, CLOSE = 0, 1, 2, 3, 4, 255
PROTOCOLS = (
    "v5.channel.k8s.io",
    "v4.channel.k8s.io",
    "v3.channel.k8s.io",
    "v2.channel.k8s.io",
    "channel.k8s.io",
)
STATUS_PROTOCOLS = {"v4.channel.k8s.io", "v5.channel.k8s.io"}


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in ("true", "1", "yes")


def exit_status(code: int, command: list[str]) -> dict[str, Any]:
    """The error channel's Status for an exit code, as the kubelet reports it."""
    if code == 0:
        return {"metadata": {}, "status": "Success"}
    return {
        "metadata": {},
        "status": "Failure",
        "message": f"command terminated with non-zero exit code: error executing command "
        f"[{' '.join(command)}], exit code {code}",
        "reason": "NonZeroExitCode",
        "details": {"causes": [{"reason": "ExitCode", "message": str(code)}]},
    }


def start_failure(exc: Exception) -> dict[str, Any]:
    message = (
        "Internal error occurred: error executing command in container: failed to exec in "
        f"container: OCI runtime exec failed: exec failed: unable to start container process: "
        f"{exc}: unknown"
    )
    return {
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": "InternalError",
        "details": {"causes": [{"message": message}]},
        "code": 500,
    }


class ExecHandler(websocket.WebSocketHandler):
    """One exec session: a command started in the container's context, streamed both ways."""

    def initialize(self, api: Any, kubelet: Any) -> None:
        self.api, self.kubelet = api, kubelet
        self.started: ExecProcess | None = None
        self.command: list[str] = []
        self.pumps: list[asyncio.Task] = []
        self.closed = False
        self.protocol: str | None = None

    def _fail(self, err: errors.ApiError) -> None:
        self.set_status(err.code)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(err.status_body()))

    def _check(self, namespace: str, name: str) -> None:
        self.command = self.get_query_arguments("command")
        self.want = {
            k: _flag(self.get_query_argument(k, None)) for k in ("stdin", "stdout", "stderr", "tty")
        }
        if not self.command:
            raise errors.bad_request("you must specify at least one command for the container")
        if not (self.want["stdin"] or self.want["stdout"] or self.want["stderr"]):
            raise errors.bad_request("you must specify at least 1 of stdin, stdout, stderr")
        if self.kubelet is None:
            raise errors.bad_request("the emulated kubelet is not running")
        pod = self.api.store.must_get("pods", namespace, name)
        self.context = self.kubelet.exec_context(pod, self.get_query_argument("container", None))

    async def get(self, namespace: str, name: str) -> None:  # type: ignore[override]
        try:
            self._check(namespace, name)
        except errors.ApiError as err:
            self._fail(err)
            return
        if self.request.headers.get("Upgrade", "").lower() != "websocket":
            self._fail(errors.bad_request("Upgrade request required"))
            return
        await super().get(namespace, name)

    def post(self, namespace: str, name: str) -> None:
        """SPDY clients POST; only the WebSocket transport is served."""
        try:
            self._check(namespace, name)
        except errors.ApiError as err:
            self._fail(err)
            return
        self._fail(errors.bad_request("Upgrade request required (the emulator serves WebSocket)"))

    def select_subprotocol(self, subprotocols: list[str]) -> str | None:
        return next((p for p in PROTOCOLS if p in subprotocols), None)

    def check_origin(self, origin: str) -> bool:
        return True  # API clients, not browsers

    async def open(self, namespace: str, name: str) -> None:  # type: ignore[override]
        self.protocol = self.selected_subprotocol
        try:
            self.started = await start_exec(
                self.context, self.command, self.want["stdin"], self.want["tty"]
            )
        except StartError as exc:
            self._send(ERROR, json.dumps(start_failure(exc)).encode())
            self.close()
            return
        loop = asyncio.get_running_loop()
        self.pumps.append(loop.create_task(self._finish()))

    async def _read_into(self, stream: asyncio.StreamReader | None, channel: int) -> None:
        if stream is None:
            return
        while chunk := await stream.read(65536):
            if (channel == STDOUT and self.want["stdout"]) or (
                channel == STDERR and self.want["stderr"]
            ):
                self._send(channel, chunk)

    async def _read_tty(self, fd: int) -> None:
        while True:
            try:
                chunk = await asyncio.to_thread(os.read, fd, 65536)
            except OSError:  # EIO: the terminal's last process is gone
                return
            if not chunk:
                return
            self._send(STDOUT, chunk)

    async def _finish(self) -> None:
        assert self.started is not None
        process = self.started.process
        if self.started.master_fd is not None:
            readers = [self._read_tty(self.started.master_fd)]
        else:
            readers = [
                self._read_into(process.stdout, STDOUT),
                self._read_into(process.stderr, STDERR),
            ]
        await asyncio.gather(*readers, return_exceptions=True)
        code = await process.wait()
        code = 128 - code if code < 0 else code
        if self.protocol in STATUS_PROTOCOLS:
            self._send(ERROR, json.dumps(exit_status(code, self.command)).encode())
        elif code:
            self._send(ERROR, exit_status(code, self.command)["message"].encode())
        self._release()
        self.close(1000)

    def _send(self, channel: int, data: bytes) -> None:
        if self.closed:
            return
        with contextlib.suppress(websocket.WebSocketClosedError):
            self.write_message(bytes([channel]) + data, binary=True)

    def on_message(self, message: str | bytes) -> None:
        data = message.encode() if isinstance(message, str) else message
        if not data or self.started is None:
            return
        channel, payload = data[0], data[1:]
        process, master = self.started.process, self.started.master_fd
        if channel == STDIN and payload:
            if master is not None:
                os.write(master, payload)
            elif process.stdin is not None:
                process.stdin.write(payload)
        elif channel == CLOSE and payload[:1] == bytes([STDIN]) and process.stdin is not None:
            process.stdin.close()
        elif channel == RESIZE and master is not None:
            with contextlib.suppress(ValueError, KeyError, OSError):
                size = json.loads(payload)
                packed = struct.pack("HHHH", int(size["Height"]), int(size["Width"]), 0, 0)
                fcntl.ioctl(master, termios.TIOCSWINSZ, packed)

    def on_close(self) -> None:
        """The client went away: the command does not outlive its session."""
        self.closed = True
        if self.started is not None and self.started.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.started.process.kill()

    def _release(self) -> None:
        if self.started is not None and self.started.master_fd is not None:
            with contextlib.suppress(OSError):
                os.close(self.started.master_fd)
            self.started.master_fd = None
