"""Helpers shared by the Python integration tests (imported from the scripts' directory)."""
import json
import socket
import subprocess
import time


def free_port():
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, timeout=30):
    """Waits until something listens on 127.0.0.1:port (smsc-sim starting up)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"smsc-sim did not listen on {port}")


def run(cmd, env, code=0, timeout=120):
    """Runs an otaflow command; asserts its exit code (the output goes into the message)."""
    r = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    assert r.returncode == code, f"{cmd[1:3]}: exit {r.returncode}, wanted {code}:\n{r.stdout}{r.stderr}"
    return r


def last_json(text):
    """The JSON object on the last line of a command's output (its summary)."""
    return json.loads(text.strip().splitlines()[-1])


def approvers(otaflow, env, directory, names=("alice", "bob")):
    """Operator approval keys (`otaflow approvals keygen`) in `directory` and an [approvals]
    file listing their public keys (docs/SECURITY.md "Four eyes"): (config path, {name: key
    file}, {name: key id})."""
    import os
    files, ids = {}, {}
    lines = ["[approvals]", "keys = ["]
    for n in names:
        path = os.path.join(directory, f"{n}.pem")
        k = json.loads(run([otaflow, "approvals", "keygen", "--out", path], env).stdout)
        files[n], ids[n] = path, k["key_id"]
        lines.append(f'  {{ name = "{n}", public_key = "{k["public_key"]}" }},')
    lines.append("]")
    config = os.path.join(directory, "approvals.toml")
    with open(config, "w") as f:
        f.write("\n".join(lines) + "\n")
    return config, files, ids


def sign(otaflow, env, campaign, key_files):
    """`otaflow campaign sign` of the campaign file with each key of {name: key file}."""
    for n, path in key_files.items():
        run([otaflow, "campaign", "sign", "--key", path, "--name", n, campaign], env)
