"""Auto IDs from the command line on a running MINIMAL devnet with an Auto ID domain: `autonomys id new` makes a
root and an agent it issues, `register` puts both on the domain, `show` walks the agent's chain to the root,
`revoke` signed by the issuer invalidates the agent; an agent whose issuer is unknown, a revocation signed by the
wrong key and a file that is no certificate are refused by name. The root then signs an object's provenance
(`put --sign`, `verify`) and issues a credential with a selectively disclosed claim (`credential issue`,
`present`, `verify`); a changed presentation fails. Last, an agent with certified capabilities registers its
service with the agent registry actor, is found by capability, invoked through Ray with a signed credential, and
rated; once its creator revokes it, discovery no longer lists it."""

from __future__ import annotations

import json
import re
import signal
import subprocess
from pathlib import Path

import pytest
from test_fraud_devnet import published
from test_objects_cli import SCRIPT, TIMEOUT, environment, run

from helpers.waiting import wait_until

pytestmark = [pytest.mark.cluster, pytest.mark.slow]
AUTO_ID = re.compile(r"^([0-9a-f]{64})  ", re.MULTILINE)


def test_identities_register_show_and_revoke(tmp_path: Path) -> None:
    data_dir, log_path, ids = tmp_path / "net", tmp_path / "devnet.log", tmp_path / "ids"
    command = [str(SCRIPT), "devnet", "--preset", "minimal", "--data-dir", str(data_dir), "--domain", "auto-id",
               "--cache-peers", "0"]  # fmt: skip
    with open(log_path, "w") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=environment())
        try:
            wait_until(published(data_dir, process, log_path), TIMEOUT, lambda: log_path.read_text(), ignoring=())
            net = ("--data-dir", str(data_dir))
            root_id = AUTO_ID.search(run("id", "new", "Alice agency", "--out", str(ids / "alice")).stdout).group(1)  # type: ignore[union-attr]
            made = run("id", "new", "agent-1", "--out", str(ids / "agent"), "--issuer", str(ids / "alice"),
                       "--key-type", "p256")  # fmt: skip
            agent_id = AUTO_ID.search(made.stdout).group(1)  # type: ignore[union-attr]
            # The agent's issuer is not registered yet: the pallet refuses it by name.
            early = run("id", "register", str(ids / "agent"), *net)
            assert early.returncode == 1 and "UnknownIssuer" in early.stderr, early.stdout + early.stderr
            for name in ("alice", "agent"):
                done = run("id", "register", str(ids / name), *net)
                assert done.returncode == 0, done.stdout + done.stderr
            shown = run("id", "show", agent_id, *net)
            assert "valid (Valid)" in shown.stdout and root_id[:16] in shown.stdout, shown.stdout + shown.stderr
            document = json.loads(run("id", "show", agent_id, "--did", *net).stdout)
            assert document["didDocument"]["id"] == f"did:auto:{agent_id}"
            assert document["didDocument"]["controller"] == f"did:auto:{root_id}"
            wrong = run("id", "revoke", agent_id, "--key", str(ids / "agent" / "key.pem"), *net)
            assert wrong.returncode == 1 and "InvalidSignature" in wrong.stderr, wrong.stdout + wrong.stderr
            revoked = run("id", "revoke", agent_id, "--key", str(ids / "alice" / "key.pem"), *net)
            assert revoked.returncode == 0, revoked.stdout + revoked.stderr
            assert "invalid (Revoked)" in run("id", "show", agent_id, *net).stdout
            (ids / "bad").mkdir()
            (ids / "bad" / "cert.pem").write_text("not a certificate")
            (ids / "bad" / "key.pem").write_bytes((ids / "alice" / "key.pem").read_bytes())
            bad = run("id", "register", str(ids / "bad"), *net)
            assert bad.returncode == 1 and "not an X.509 certificate" in bad.stderr, bad.stdout + bad.stderr
            provenance_and_credentials(tmp_path, ids, agent_id, net)
            agents_through_the_registry(ids, net)
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=120)
            except subprocess.TimeoutExpired:
                process.kill()


def provenance_and_credentials(tmp_path: Path, ids: Path, subject_id: str, net: tuple[str, ...]) -> None:
    source = tmp_path / "model-card.txt"
    source.write_text("a model card")
    stored = run("put", str(source), "--sign", str(ids / "alice"), *net)
    assert stored.returncode == 0, stored.stdout + stored.stderr
    object_id = stored.stdout.strip().splitlines()[-1]
    checked = run("verify", object_id, *net)
    assert checked.returncode == 0 and "valid (Valid)" in checked.stdout and "Alice agency" in checked.stdout, (
        checked.stdout + checked.stderr
    )
    issued = run("credential", "issue", "--issuer", str(ids / "alice"), "--subject", subject_id, "--claim",
                 "role=travel", "--disclose", "budget=500", "--disclose", "region=eu", "-o",
                 str(tmp_path / "vc.txt"), *net)  # fmt: skip
    assert issued.returncode == 0, issued.stdout + issued.stderr
    shown = run("credential", "present", str(tmp_path / "vc.txt"), "--reveal", "region", "-o", str(tmp_path / "vp.txt"))
    assert shown.returncode == 0, shown.stdout + shown.stderr
    verified = run("credential", "verify", str(tmp_path / "vp.txt"), *net)
    assert verified.returncode == 0 and "region: eu" in verified.stdout and "budget" not in verified.stdout, (
        verified.stdout + verified.stderr
    )
    text = (tmp_path / "vp.txt").read_text()
    (tmp_path / "forged.txt").write_text(text.replace("e", "f", 1))
    forged = run("credential", "verify", str(tmp_path / "forged.txt"), *net)
    assert forged.returncode == 1, forged.stdout + forged.stderr


def agents_through_the_registry(ids: Path, net: tuple[str, ...]) -> None:
    made = run("id", "new", "travel", "--out", str(ids / "travel"), "--issuer", str(ids / "alice"), "--purpose",
               "books trips", "--capability", "travel.book", "--endpoint", "ray://travel-agent")  # fmt: skip
    travel_id = AUTO_ID.search(made.stdout).group(1)  # type: ignore[union-attr]
    assert run("id", "register", str(ids / "travel"), *net).returncode == 0
    run("id", "new", "Bob", "--out", str(ids / "bob"))
    assert run("id", "register", str(ids / "bob"), *net).returncode == 0
    served = run("agent", "serve", "travel-agent", *net)
    assert served.returncode == 0, served.stdout + served.stderr
    uncertified = run("agent", "register", str(ids / "travel"), "--name", "Travel", "--capability", "payments",
                      "--endpoint", "ray://travel-agent", *net)  # fmt: skip
    assert uncertified.returncode == 1 and "CapabilityNotCertified" in uncertified.stderr, uncertified.stderr
    registered = run("agent", "register", str(ids / "travel"), "--name", "Travel", "--capability", "travel.book",
                     "--endpoint", "ray://travel-agent", *net)  # fmt: skip
    assert registered.returncode == 0, registered.stdout + registered.stderr
    found = run("agent", "find", "travel.book", *net)
    assert travel_id in found.stdout, found.stdout + found.stderr
    answer = run("agent", "invoke", travel_id, "--as", str(ids / "bob"), "--request", "Lisbon in May", *net)
    assert answer.returncode == 0 and "Lisbon in May" in answer.stdout, answer.stdout + answer.stderr
    rated = run("agent", "rate", travel_id, "--as", str(ids / "bob"), "--value", "90", *net)
    assert rated.returncode == 0 and "score 90.00 from 1 verified" in rated.stdout, rated.stdout + rated.stderr
    assert run("id", "revoke", travel_id, "--key", str(ids / "alice" / "key.pem"), *net).returncode == 0
    assert travel_id not in run("agent", "find", "travel.book", *net).stdout
