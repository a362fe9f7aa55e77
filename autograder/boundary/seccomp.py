"""A seccomp filter that keeps the worker from making user namespaces, for bubblewrap's `--seccomp FD`.

A root grader starts the sandbox without a user namespace (so the worker is a real unprivileged uid,
autograder.boundary.sandbox), which means bubblewrap's `--disable-userns` cannot apply. Without it a
process of the worker could unshare a user namespace of its own and reach kernel code meant for
privileged users. This classic-BPF program makes `unshare` and `clone` with CLONE_NEWUSER fail with
EPERM, and `clone3` (whose flags BPF cannot read) fail with ENOSYS, so the C library falls back to
`clone`. Everything else is allowed. Only x86_64 and aarch64 are known; elsewhere there is no filter
and the sandbox lists it among what it cannot enforce.
"""

from __future__ import annotations

import errno
import platform
import struct

__all__ = ["no_user_namespaces"]

_CLONE_NEWUSER = 0x10000000
_SECCOMP_RET_ALLOW = 0x7FFF0000
_SECCOMP_RET_ERRNO = 0x00050000
_LD_W_ABS, _JEQ_K, _JSET_K, _RET_K = 0x20, 0x15, 0x45, 0x06
# machine: (AUDIT_ARCH_*, unshare, clone, clone3)
_ARCHES = {"x86_64": (0xC000003E, 272, 56, 435), "aarch64": (0xC00000B7, 97, 220, 435)}


def _op(code: int, k: int, jt: int = 0, jf: int = 0) -> bytes:
    return struct.pack("=HBBI", code, jt, jf, k)


def no_user_namespaces() -> bytes | None:
    """The filter for this machine's architecture, or None where the syscall numbers are not known."""
    known = _ARCHES.get(platform.machine())
    if known is None:
        return None
    arch, unshare, clone, clone3 = known
    deny, allow, nosys = (_op(_RET_K, _SECCOMP_RET_ERRNO | errno.EPERM), _op(_RET_K, _SECCOMP_RET_ALLOW),
                          _op(_RET_K, _SECCOMP_RET_ERRNO | errno.ENOSYS))
    program = [
        _op(_LD_W_ABS, 4),                   # 0: the architecture
        _op(_JEQ_K, arch, 1, 0),             # 1: ours: go on at 3
        _op(0x05, 8),                        # 2: else jump to 11 (allow)
        _op(_LD_W_ABS, 0),                   # 3: the syscall number
        _op(0x35, 0x40000000, 7, 0),         # 4: x32 numbers (bit 30): -> 12 (deny)
        _op(_JEQ_K, unshare, 3, 0),          # 5: unshare -> 9 (read its flags)
        _op(_JEQ_K, clone, 2, 0),            # 6: clone -> 9
        _op(_JEQ_K, clone3, 0, 3),           # 7: clone3 -> 8 (ENOSYS); anything else -> 11 (allow)
        nosys,                               # 8
        _op(_LD_W_ABS, 16),                  # 9: the first argument's low 32 bits: the flags
        _op(_JSET_K, _CLONE_NEWUSER, 1, 0),  # 10: a new user namespace -> 12 (deny); else -> 11
        allow,                               # 11
        deny,                                # 12
    ]
    return b"".join(program)
