"""``giaoviec mail-sink``: the demo's SMTP server keeps each message as a .eml file, in order."""

from __future__ import annotations

import smtplib
import socket
import subprocess
import time
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

from tests.work import HANG_GUARD

ROOT = Path(__file__).resolve().parents[1]
GIAOVIEC = str(ROOT / ".venv" / "bin" / "giaoviec")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _connect(port: int, proc: subprocess.Popen) -> smtplib.SMTP:
    deadline = time.monotonic() + HANG_GUARD  # a hang guard, not a measure of speed
    while True:
        assert proc.poll() is None, proc.stdout.read() if proc.stdout else "mail-sink exited"
        try:
            return smtplib.SMTP("127.0.0.1", port, timeout=HANG_GUARD)
        except ConnectionRefusedError:
            assert time.monotonic() < deadline, "mail-sink never listened"
            time.sleep(0.05)


def _message(n: int) -> EmailMessage:
    message = EmailMessage()
    message["From"], message["To"] = "giaoviec@localhost", "hieutruong@thcs01.edu.vn"
    message["Subject"] = f"Đôn đốc nhiệm vụ quá hạn #{n}"
    message.set_content("Nhiệm vụ 1.1 đã quá hạn.")
    return message


def test_each_message_lands_as_a_numbered_eml_file(tmp_path):
    folder, port = tmp_path / "mail", _free_port()
    proc = subprocess.Popen([GIAOVIEC, "mail-sink", "--port", str(port), "--dir", str(folder)],
                            cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)  # fmt: skip
    try:
        with _connect(port, proc) as smtp:
            for n in (1, 2):
                smtp.send_message(_message(n))
    finally:
        proc.terminate()
        output = proc.communicate(timeout=HANG_GUARD)[0]
    files = sorted(folder.glob("*.eml"))
    assert [f.name for f in files] == ["000001.eml", "000002.eml"]
    kept = [message_from_bytes(f.read_bytes(), policy=policy.default) for f in files]
    assert [m["Subject"] for m in kept] == ["Đôn đốc nhiệm vụ quá hạn #1", "Đôn đốc nhiệm vụ quá hạn #2"]
    assert kept[0].get_content().strip() == "Nhiệm vụ 1.1 đã quá hạn."
    assert f"smtp://127.0.0.1:{port}" in output and "hieutruong@thcs01.edu.vn" in output
