"""The first code of a grading kernel: limits, no new processes, the runner, then IPython's kernel.

    python boot.py [--unconfined] [--memory BYTES] [--file-size BYTES] -f CONNECTION_FILE ...

It runs inside the sandbox (sandbox.py starts it under bubblewrap) before any of the notebook's
code, so that what it sets cannot be undone by that code:
- resource limits, soft and hard alike: address space (memory), the size of any file written,
  the number of processes, no core dumps;
- a seccomp filter that refuses fork, vfork and clone without CLONE_THREAD: the notebook may use
  threads (numpy's BLAS does) but cannot start a process, so nothing it starts can outlive it;
- the runner (runner.py), through which the judge calls the notebook's functions.
With --unconfined (grading with --no-sandbox) only the runner is set up.
"""
import ctypes
import importlib.util
import platform
import resource
import runpy
import struct
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def set_limits(memory, file_size, processes=64):
    for what, n in ((resource.RLIMIT_AS, memory), (resource.RLIMIT_FSIZE, file_size),
                    (resource.RLIMIT_NPROC, processes), (resource.RLIMIT_CORE, 0)):
        resource.setrlimit(what, (n, n))


# ---- seccomp: a classic BPF program over struct seccomp_data {int nr; u32 arch; u64 ip; u64 args[6]}

_LD_W_ABS, _JEQ, _JGE, _JSET, _RET = 0x20, 0x15, 0x35, 0x45, 0x06
_ALLOW, _ERRNO, _EPERM, _ENOSYS = 0x7FFF0000, 0x00050000, 1, 38
_CLONE_THREAD = 0x00010000
# (audit arch, syscall numbers) of the architectures the course runs on
_ARCH = {"x86_64": (0xC000003E, {"fork": 57, "vfork": 58, "clone": 56, "clone3": 435}),
         "aarch64": (0xC00000B7, {"clone": 220, "clone3": 435})}


def _op(code, k, jt=0, jf=0):
    return struct.pack("HBBI", code, jt, jf, k)


def no_new_processes():
    """Refuse every way to start a process, for this process and every thread it starts."""
    arch, nr = _ARCH[platform.machine()]
    deny = _op(_RET, _ERRNO | _EPERM)
    prog = [_op(_LD_W_ABS, 4), _op(_JEQ, arch, 1, 0), deny,           # another ABI (32-bit): refused
            _op(_LD_W_ABS, 0), _op(_JGE, 0x40000000, 0, 1), deny]       # x32 system calls: refused
    for name in ("fork", "vfork"):
        if name in nr:
            prog += [_op(_JEQ, nr[name], 0, 1), deny]
    prog += [_op(_JEQ, nr["clone3"], 0, 1), _op(_RET, _ERRNO | _ENOSYS),  # its flags are out of reach: libc falls back to clone
             _op(_JEQ, nr["clone"], 1, 0), _op(_RET, _ALLOW),
             _op(_LD_W_ABS, 16), _op(_JSET, _CLONE_THREAD, 0, 1), _op(_RET, _ALLOW), deny]   # clone: threads only
    code = ctypes.create_string_buffer(b"".join(prog))

    class Program(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    libc = ctypes.CDLL(None, use_errno=True)
    PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 38, 22, 2
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 or \
            libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(Program(len(prog), ctypes.addressof(code))), 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "could not install the seccomp filter")


def load(name, file):
    spec = importlib.util.spec_from_file_location(name, HERE / file)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)


def main(argv):
    unconfined = "--unconfined" in argv
    if unconfined:
        argv.remove("--unconfined")
    limits = {}
    for flag in ("--memory", "--file-size"):
        if flag in argv:
            i = argv.index(flag)
            limits[flag] = int(argv[i + 1])
            del argv[i:i + 2]
    if not unconfined:
        set_limits(limits.get("--memory", 2 << 30), limits.get("--file-size", 64 << 20))
        no_new_processes()
    load("_bptt_wire", "wire.py")
    load("_bptt_runner", "runner.py")
    sys.argv = ["ipykernel_launcher"] + argv
    sys.path[:] = [p for p in sys.path if p and Path(p).resolve() != HERE]   # the notebook imports from its folder
    runpy.run_module("ipykernel_launcher", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main(sys.argv[1:])
