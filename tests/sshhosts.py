"""Throwaway ssh test hosts on this machine: one network namespace per host.

Each host `hostNNN` is a network namespace `tkr-<run>-NNN` whose `eth0` is one end of a veth
pair; the other end is a port of the run's bridge `tkr-<run>-br` in the root namespace, which
holds the first address of the run's private /22 block inside 10.213.0.0/16. Traffic never
leaves this machine's namespaces, and only addresses created here are ever contacted.
Inside each namespace `sshd` runs on port 22 under its own UTS namespace (`hostname` answers
`hostNNN`), with a per-run sshd_config, a throwaway host key and a throwaway authorized key.

    with SshHosts(20) as hosts:
        subprocess.run(["ssh", "-F", hosts.ssh_config_path, "host001", "hostname"])

The hosts share this machine's PID namespace and file system (only network, UTS and mount
namespaces are their own), so `remote_pids` finds a host's processes by network namespace;
root's shell rc files are hidden inside the hosts, so remote commands start as on a fresh box.

Teardown (close, the context manager, atexit, SIGTERM/SIGHUP) kills every process in the
namespaces, deletes namespaces, veths and bridge, and removes the temp dir.
`cleanup_leftovers(prefix)` removes what a killed run left behind.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import ipaddress
import os
import pwd
import secrets
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

PREFIX = "tkr-"
TEMP_MARK = "-sshhosts-"
SUBNET = ipaddress.IPv4Network("10.213.0.0/16")
BLOCK_PREFIXLEN = 22
MAX_HOSTS = 999
LOCK_PATH = Path("/run/lock/tkr-sshhosts.lock")
SBIN_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])
TOOLS = ("ip", "sshd", "ssh", "ssh-keygen", "unshare", "hostname")

# sh -c SCRIPT sh ADDRESS NAME SSHD CONFIG PIDFILE LOG EMPTY RCFILE...
_SETUP_SH = 'addr=$1 name=$2 sshd=$3 cfg=$4 pid=$5 log=$6 empty=$7; shift 7; '
_NET_SH = (
    'printf "link set lo up\\naddr add %s dev eth0\\nlink set eth0 up\\n" "$addr" | ip -b - && '
)
_SSHD_SH = (
    'hostname "$name" && for rc in "$@"; do mount --bind "$empty" "$rc" || exit 1; done && '
    'exec "$sshd" -D -f "$cfg" -o "PidFile=$pid" -E "$log"'
)
_START_SCRIPT = _SETUP_SH + _NET_SH + _SSHD_SH
_RESTART_SCRIPT = _SETUP_SH + _SSHD_SH
# Like a fresh machine, the remote shell runs no rc files: root's here run `pyenv init`
# (0.2 s per command), so inside each host's own mount namespace an empty file hides them.
_HIDDEN_RC = (".bashrc", ".profile")


class SshHostsError(RuntimeError):
    """Bringing the hosts up failed; the message says which step and shows its output."""


def which(tool: str) -> str | None:
    """Absolute path of `tool`, also looking in the sbin directories."""
    return shutil.which(tool, path=SBIN_PATH)


def unavailable_reason() -> str | None:
    """Why namespace hosts cannot be created here (missing tool, no privilege), else None."""
    missing = [tool for tool in TOOLS if which(tool) is None]
    if missing:
        return f"ssh test hosts need {', '.join(missing)} (run .ci/install-ssh-deps)"
    if os.geteuid() != 0:
        return "ssh test hosts need root (CAP_NET_ADMIN, CAP_SYS_ADMIN) for network namespaces"
    probe = f"{PREFIX}probe-{os.getpid()}"
    made = _ip("netns", "add", probe, check=False)
    _ip("netns", "del", probe, check=False)
    if made.returncode != 0:
        return f"cannot create a network namespace: {made.stderr.strip()}"
    return None


@dataclass
class Host:
    """One test host: its name (= its hostname), address, namespace and sshd."""

    name: str
    address: ipaddress.IPv4Address
    netns: str
    veth: str
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)


class SshHosts:
    """N ssh hosts in network namespaces; a context manager (see the module docstring)."""

    def __init__(self, count: int, *, name_prefix: str = "host", connect_timeout: int = 5,
                 ready_timeout: float = 60.0) -> None:
        if not 1 <= count <= MAX_HOSTS:
            raise ValueError(f"count must be 1..{MAX_HOSTS}, got {count}")
        self.count = count
        self.name_prefix = name_prefix
        self.connect_timeout = connect_timeout
        self.ready_timeout = ready_timeout
        self.run_id = secrets.token_hex(2)
        self.hosts: dict[str, Host] = {}
        self.tempdir: Path | None = None
        self.setup_seconds: float | None = None
        self.bridge = f"{PREFIX}{self.run_id}-br"
        self._closed = False
        self._lock = threading.Lock()
        self._old_handlers: dict[int, object] = {}

    # ---- public API -----------------------------------------------------------------------

    @property
    def prefix(self) -> str:
        """The name prefix of everything this run creates (namespaces, links, temp dir)."""
        return f"{PREFIX}{self.run_id}-"

    @property
    def names(self) -> list[str]:
        """Host names in order: host001, host002, ..."""
        return list(self.hosts)

    @property
    def ssh_config_path(self) -> str:
        """The client config: `ssh -F <this> hostNNN ...` reaches hostNNN as root."""
        return str(self._path("ssh_config"))

    def ssh_argv(self, name: str, *remote: str, options: tuple[str, ...] = ()) -> list[str]:
        """argv of `ssh -F config [options] name remote...`."""
        return [which("ssh") or "ssh", "-F", self.ssh_config_path, *options, name, *remote]

    def run(self, name: str, *remote: str, timeout: float = 30,
            options: tuple[str, ...] = ()) -> subprocess.CompletedProcess[str]:
        """Run `remote` on host `name` over ssh; returns the finished process (text)."""
        return subprocess.run(self.ssh_argv(name, *remote, options=options), capture_output=True,
                              text=True, timeout=timeout, stdin=subprocess.DEVNULL, check=False)

    def start(self) -> SshHosts:
        """Create keys, configs, bridge, namespaces and sshds; wait until all listen."""
        started = time.perf_counter()
        self._install_cleanup_hooks()
        try:
            self._make_tempdir()
            self._allocate_and_make_bridge()
            self._write_keys_and_configs()
            self._make_namespaces()
            for host in self.hosts.values():
                self._launch(host, _START_SCRIPT)
            self._wait_listening(list(self.hosts.values()))
        except BaseException:
            self.close()
            raise
        self.setup_seconds = time.perf_counter() - started
        return self

    def stop(self, name: str) -> None:
        """Kill host `name`'s sshd and its sessions: new connections are refused."""
        host = self.hosts[name]
        _kill_all(self.netns_pids(name))
        if host.process is not None:
            host.process.wait()
        with contextlib.suppress(FileNotFoundError):
            self._pid_file(host).unlink()

    def hang(self, name: str) -> None:
        """SIGSTOP host `name`'s sshd: connections open but no banner comes (timeouts)."""
        self._signal_listener(name, signal.SIGSTOP)

    def resume(self, name: str) -> None:
        """SIGCONT a hung host's sshd."""
        self._signal_listener(name, signal.SIGCONT)

    def restart(self, name: str) -> None:
        """Start the sshd of a stopped host again and wait until it listens."""
        host = self.hosts[name]
        if host.process is not None and host.process.poll() is None:
            return
        self._launch(host, _RESTART_SCRIPT)
        self._wait_listening([host])

    def netns_pids(self, name: str) -> list[int]:
        """PIDs of all processes inside host `name` (its sshd, sessions, remote commands)."""
        return pids_in_netns([self.hosts[name].netns]).get(self.hosts[name].netns, [])

    def remote_pids(self, name: str, needle: str) -> list[int]:
        """PIDs inside host `name` whose command line contains `needle`."""
        return [pid for pid in self.netns_pids(name) if needle in _cmdline(pid)]

    def detach(self) -> None:
        """Leave the hosts running after this process exits (no atexit/signal teardown)."""
        with contextlib.suppress(Exception):
            atexit.unregister(self.close)
        self._restore_signal_handlers()
        self._closed = True

    def close(self) -> None:
        """Tear everything down; idempotent, and never raises for already-missing parts."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        atexit.unregister(self.close)
        self._restore_signal_handlers()
        netns = [host.netns for host in self.hosts.values()]
        _kill_all([pid for pids in pids_in_netns(netns).values() for pid in pids])
        for host in self.hosts.values():
            if host.process is not None:
                host.process.kill()
                host.process.wait()
        lines = [f"link del {host.veth}" for host in self.hosts.values()]
        lines += [f"netns del {ns}" for ns in netns] + [f"link del {self.bridge}"]
        _ip_batch(lines)
        if self.tempdir is not None:
            shutil.rmtree(self.tempdir, ignore_errors=True)

    def __enter__(self) -> SshHosts:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # ---- setup steps ----------------------------------------------------------------------

    def _path(self, name: str) -> Path:
        if self.tempdir is None:
            raise SshHostsError("the hosts are not started")
        return self.tempdir / name

    def _pid_file(self, host: Host) -> Path:
        return self._path("run") / f"{host.name}.pid"

    def _make_tempdir(self) -> None:
        self.tempdir = Path(tempfile.mkdtemp(prefix=f"{self.prefix[:-1]}{TEMP_MARK}"))
        for sub in ("run", "logs"):
            (self.tempdir / sub).mkdir()

    def _allocate_and_make_bridge(self) -> None:
        """Under a machine-wide lock: pick an unused /22 block and give it to a new bridge."""
        LOCK_PATH.parent.mkdir(parents=True, exist_ok=True)
        with LOCK_PATH.open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            block = _free_block()
            _ip_batch([f"link add {self.bridge} type bridge",
                       f"addr add {block[1]}/{BLOCK_PREFIXLEN} dev {self.bridge}",
                       f"link set {self.bridge} up"], check=True)
        for index in range(self.count):
            name = f"{self.name_prefix}{index + 1:03d}"
            link = f"{self.prefix}{index + 1:03d}"
            self.hosts[name] = Host(name, block[index + 2], link, link)

    def _write_keys_and_configs(self) -> None:
        for key in ("host_key", "client_key"):
            _run([which("ssh-keygen") or "ssh-keygen", "-q", "-t", "ed25519", "-N", "",
                  "-C", f"tkr-{self.run_id}", "-f", str(self._path(key))])
        shutil.copyfile(self._path("client_key.pub"), self._path("authorized_keys"))
        self._path("sshd_config").write_text(self._sshd_config(), encoding="utf-8")
        self._path("ssh_config").write_text(self._ssh_config(), encoding="utf-8")
        self._path("empty").write_bytes(b"")
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)

    def _sshd_config(self) -> str:
        return "\n".join([
            "Port 22", "ListenAddress 0.0.0.0", "AddressFamily inet",
            f"HostKey {self._path('host_key')}",
            f"AuthorizedKeysFile {self._path('authorized_keys')}",
            "PermitRootLogin prohibit-password", "PubkeyAuthentication yes",
            "PasswordAuthentication no", "KbdInteractiveAuthentication no",
            "UsePAM no", "StrictModes no", "UseDNS no", "PrintMotd no", "PrintLastLog no",
            "X11Forwarding no", "AllowTcpForwarding no", "MaxStartups 100:30:200",
            "LogLevel ERROR", "",
        ])

    def _ssh_config(self) -> str:
        entries = [f"Host {h.name}\n  HostName {h.address}\n" for h in self.hosts.values()]
        common = [
            "User root", f"IdentityFile {self._path('client_key')}", "IdentitiesOnly yes",
            "StrictHostKeyChecking no", "UserKnownHostsFile /dev/null",
            "GlobalKnownHostsFile /dev/null", "CheckHostIP no", "UpdateHostKeys no",
            "BatchMode yes", "PreferredAuthentications publickey", "LogLevel ERROR",
            # sntrup761 (the 9.x default) costs ~85 ms of client CPU per connection
            "KexAlgorithms curve25519-sha256",
            f"ConnectTimeout {self.connect_timeout}", "ConnectionAttempts 1",
            "ControlMaster no", "ControlPath none",
        ]
        return "".join(entries) + "Host *\n" + "".join(f"  {line}\n" for line in common)

    def _make_namespaces(self) -> None:
        lines: list[str] = []
        for host in self.hosts.values():
            lines += [f"netns add {host.netns}",
                      f"link add {host.veth} type veth peer name eth0 netns {host.netns}",
                      f"link set {host.veth} master {self.bridge} up"]
        _ip_batch(lines, check=True)

    def _launch(self, host: Host, script: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self._pid_file(host).unlink()
        log = self._path("logs") / f"{host.name}.log"
        argv = [which("ip") or "ip", "netns", "exec", host.netns,
                which("unshare") or "unshare", "--uts", "sh", "-c", script, "sh",
                f"{host.address}/{BLOCK_PREFIXLEN}", host.name, which("sshd") or "sshd",
                str(self._path("sshd_config")), str(self._pid_file(host)), str(log),
                str(self._path("empty")), *_root_rc_files()]
        with log.open("ab") as err:
            host.process = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                            stdout=subprocess.DEVNULL, stderr=err,
                                            start_new_session=True)

    def _wait_listening(self, hosts: list[Host]) -> None:
        """sshd writes its PidFile after it binds port 22; wait for all of them."""
        deadline = time.monotonic() + self.ready_timeout
        pending = list(hosts)
        while pending:
            for host in list(pending):
                if self._pid_file(host).exists():
                    pending.remove(host)
                elif host.process is not None and host.process.poll() is not None:
                    raise SshHostsError(f"sshd of {host.name} exited with "
                                        f"{host.process.returncode}: {self._log_tail(host)}")
            if pending and time.monotonic() > deadline:
                raise SshHostsError(f"{len(pending)} sshd not listening after "
                                    f"{self.ready_timeout}s, e.g. {pending[0].name}: "
                                    f"{self._log_tail(pending[0])}")
            if pending:
                time.sleep(0.02)

    def _log_tail(self, host: Host) -> str:
        log = self._path("logs") / f"{host.name}.log"
        return log.read_text(errors="replace")[-500:].strip() if log.exists() else "(no log)"

    def _signal_listener(self, name: str, signum: int) -> None:
        process = self.hosts[name].process
        if process is None or process.poll() is not None:
            raise SshHostsError(f"sshd of {name} is not running")
        os.kill(process.pid, signum)

    # ---- cleanup hooks --------------------------------------------------------------------

    def _install_cleanup_hooks(self) -> None:
        atexit.register(self.close)
        if threading.current_thread() is not threading.main_thread():
            return
        for signum in (signal.SIGTERM, signal.SIGHUP):
            if signal.getsignal(signum) is signal.SIG_DFL:
                self._old_handlers[signum] = signal.signal(signum, self._on_signal)

    def _on_signal(self, signum: int, _frame: object) -> None:
        """Tear down, then die of the same signal with its default action."""
        self.close()
        signal.signal(signum, signal.SIG_DFL)
        os.kill(os.getpid(), signum)

    def _restore_signal_handlers(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        for signum, handler in self._old_handlers.items():
            if signal.getsignal(signum) == self._on_signal:
                signal.signal(signum, handler)  # type: ignore[arg-type]
        self._old_handlers.clear()


# ---- machine-level helpers ------------------------------------------------------------------


def cleanup_leftovers(prefix: str = PREFIX) -> dict[str, int]:
    """Remove every namespace, link, sshd and temp dir whose name starts with `prefix`."""
    if not prefix.startswith(PREFIX):
        raise ValueError(f"prefix must start with {PREFIX!r}")
    listed = _ip("netns", "list", check=False).stdout.split()
    netns = [name for name in listed if name.startswith(prefix)]
    temp_root = Path(tempfile.gettempdir())
    tempdirs = [p for p in temp_root.glob(f"{prefix}*") if TEMP_MARK in p.name and p.is_dir()]
    pids = [pid for found in pids_in_netns(netns).values() for pid in found]
    pids += [pid for pid in _all_pids()
             if any(str(d) in _cmdline(pid) for d in tempdirs) and pid not in pids]
    _kill_all(pids)
    links = [name for name in _link_names() if name.startswith(prefix)]
    _ip_batch([f"netns del {ns}" for ns in netns] + [f"link del {link}" for link in links])
    for directory in tempdirs:
        shutil.rmtree(directory, ignore_errors=True)
    return {"netns": len(netns), "links": len(links), "processes": len(pids),
            "tempdirs": len(tempdirs)}


def pids_in_netns(netns: list[str]) -> dict[str, list[int]]:
    """PIDs per named network namespace, found by comparing /proc/PID/ns/net inodes."""
    by_inode: dict[int, str] = {}
    for name in netns:
        with contextlib.suppress(OSError):
            by_inode[os.stat(f"/run/netns/{name}").st_ino] = name
    found: dict[str, list[int]] = {name: [] for name in netns}
    for pid in _all_pids():
        with contextlib.suppress(OSError):
            name = by_inode.get(os.stat(f"/proc/{pid}/ns/net").st_ino)
            if name is not None:
                found[name].append(pid)
    return found


def leftovers(prefix: str = PREFIX) -> list[str]:
    """Names of namespaces, links, temp dirs and processes that still carry `prefix`."""
    found = [f"netns {n}" for n in _ip("netns", "list", check=False).stdout.split()
             if n.startswith(prefix)]
    found += [f"link {n}" for n in _link_names() if n.startswith(prefix)]
    found += [f"dir {p}" for p in Path(tempfile.gettempdir()).glob(f"{prefix}*")
              if TEMP_MARK in p.name]
    marker = f"/{prefix}"
    found += [f"pid {pid}" for pid in _all_pids()
              if pid != os.getpid() and marker in _cmdline(pid) and TEMP_MARK in _cmdline(pid)]
    return found


def _root_rc_files() -> list[str]:
    home = Path(pwd.getpwuid(0).pw_dir)
    return [str(home / name) for name in _HIDDEN_RC if (home / name).is_file()]


def _free_block() -> ipaddress.IPv4Network:
    used = set()
    for line in _ip("-o", "-4", "addr", "show", check=True).stdout.splitlines():
        address = ipaddress.IPv4Interface(line.split()[3]).ip
        if address in SUBNET:
            used.add(ipaddress.IPv4Network(f"{address}/{BLOCK_PREFIXLEN}", strict=False))
    for block in SUBNET.subnets(new_prefix=BLOCK_PREFIXLEN):
        if block not in used:
            return block
    raise SshHostsError(f"all {BLOCK_PREFIXLEN} blocks of {SUBNET} are in use")


def _link_names() -> list[str]:
    lines = _ip("-o", "link", "show", check=False).stdout.splitlines()
    return [line.split(":")[1].strip().split("@")[0] for line in lines if ":" in line]


def _all_pids() -> list[int]:
    return [int(entry) for entry in os.listdir("/proc") if entry.isdigit()]


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(
            errors="replace")
    except OSError:
        return ""


def _kill_all(pids: list[int]) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def _run(argv: list[str], stdin: str | None = None,
         check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(argv, input=stdin, capture_output=True, text=True, check=False)
    if check and done.returncode != 0:
        raise SshHostsError(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr.strip()}")
    return done


def _ip(*args: str, check: bool) -> subprocess.CompletedProcess[str]:
    return _run([which("ip") or "ip", *args], check=check)


def _ip_batch(lines: list[str], check: bool = False) -> None:
    """One `ip -batch` for many commands; without `check` failing lines are skipped."""
    if lines:
        _run([which("ip") or "ip", *([] if check else ["-force"]), "-batch", "-"],
             stdin="\n".join(lines) + "\n", check=check)
