"""Backend selection shared by every kernel facade: one table of names and one `BackendSelector`.

Every facade function that runs a kernel takes `backend: str = "auto"`, and every facade exposes
`available_backends()` and `best_backend()`, all answered by that kernel's one `BackendSelector`.
A name means the same thing in every kernel that has it:

| name        | what runs                                                    | pot | fr | pos | audit | sector |
| ----------- | ------------------------------------------------------------ | --- | -- | --- | ----- | ------ |
| "auto"      | the best C path for this CPU, chosen by the kernel           |  x  | x  |  x  |   x   |   x    |
| "portable"  | plain C without instruction-set extensions: any CPU          |  x  | x  |  x  |   x   |   x    |
| "aes-ni"    | x86 AES-NI on 128-bit registers                              |  x  |    |     |       |        |
| "vaes-256"  | x86 VAES on 256-bit registers (AVX2)                         |  x  |    |     |       |        |
| "vaes-512"  | x86 VAES on 512-bit registers (AVX-512F)                     |  x  |    |     |       |        |
| "bmi2-adx"  | x86-64 mulx/adcx/adox Montgomery multiplication              |     | x  |     |       |        |
| "avx2"      | x86 AVX2: 8 ChaCha8 blocks or BLAKE3 hashes at a time        |     |    |  x  |   x   |        |
| "avx-512"   | x86 AVX-512F: 16 at a time                                   |     |    |  x  |   x   |        |
| "reference" | the pure-Python reference (kernels/*reference.py): slow      |  x  | x  |  x  |   x   |   x    |

Notes per kernel. PoT proving is one dependent AES chain, so every x86 PoT backend proves with AES-NI and
they differ in verifying; "auto" verifies with the widest. Where a function has a single C path, every C
name of its kernel runs that path (the name is still checked): all of the sector kernel (so its "auto" is
"portable"); fr.combine_records, fr.root_of_unity and fr.is_canonical; and PoS verification and hashing
(is_proof_valid, compute_f1, compute_fn, has_match, shim_*), the PoS backend choosing how tables are built.

Names kept from before this table (each facade resolves them, none lists them):

| old name                     | now          | old name   | now        |
| ---------------------------- | ------------ | ---------- | ---------- |
| "c" (fr, pos, audit, sector) | "auto"       | "aesni"    | "aes-ni"   |
| "c-portable" (audit)         | "portable"   | "vaes256"  | "vaes-256" |
| "c-avx2" (audit)             | "avx2"       | "vaes512"  | "vaes-512" |
| "c-avx512", "avx512"         | "avx-512"    |            |            |

An unknown name, or one this CPU cannot run, raises the kernel's own error listing the valid names.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

AUTO = "auto"
PORTABLE = "portable"
REFERENCE = "reference"
# Every backend name, in the table's order: auto, portable, the instruction-set paths narrow to wide, reference.
NAMES = (AUTO, PORTABLE, "aes-ni", "vaes-256", "vaes-512", "bmi2-adx", "avx2", "avx-512", REFERENCE)
ALIASES = {
    "c": AUTO,
    "c-portable": PORTABLE,
    "aesni": "aes-ni",
    "vaes256": "vaes-256",
    "vaes512": "vaes-512",
    "c-avx2": "avx2",
    "avx512": "avx-512",
    "c-avx512": "avx-512",
}

# The suffix of each name's C constant: a kernel's header defines <prefix>AUTO, <prefix>PORTABLE, ... (include/*.h).
C_SUFFIXES = {
    AUTO: "AUTO",
    PORTABLE: "PORTABLE",
    "aes-ni": "AESNI",
    "vaes-256": "VAES256",
    "vaes-512": "VAES512",
    "bmi2-adx": "BMI2_ADX",
    "avx2": "AVX2",
    "avx-512": "AVX512",
}


def codes_of(compiled: object, prefix: str) -> dict[str, int]:
    """The backend codes a compiled module exports as `prefix` + suffix (POT_BACKEND_AESNI), by the table's names."""
    return {
        name: getattr(compiled, prefix + suffix)
        for name, suffix in C_SUFFIXES.items()
        if hasattr(compiled, prefix + suffix)
    }


class BackendSelector:
    """The backends of one kernel: its C codes by name, which of them this CPU runs, and the reference.

    `codes` maps names of the table above to the kernel's C backend codes and must hold "auto" and
    "portable"; "reference" is always added. `is_available(code)` is asked once per code, here: a CPU's
    instruction sets do not change while the process runs. `best_code()` is the code "auto" resolves to,
    when the kernel can say; otherwise the widest available path is taken as the best.
    """

    def __init__(
        self,
        kernel: str,
        codes: Mapping[str, int],
        is_available: Callable[[int], object],
        error: type[Exception],
        best_code: Callable[[], int] | None = None,
    ) -> None:
        unknown = [name for name in codes if name not in NAMES or name == REFERENCE]
        # a kernel may only use the shared names, and every kernel has an auto and a portable path
        if unknown or AUTO not in codes or PORTABLE not in codes:
            msg = f"{kernel} backend codes {dict(codes)} must use names of {NAMES} and include auto and portable"
            raise ValueError(msg)
        self.kernel = kernel
        self.codes = {name: codes[name] for name in NAMES if name in codes}
        self.names = (*self.codes, REFERENCE)
        self._error = error
        self._available = tuple(name for name, code in self.codes.items() if is_available(code)) + (REFERENCE,)
        self._best = self._name_of(best_code()) if best_code is not None else self._widest()
        # every accepted spelling of an available backend -> its C code (None: the reference)
        self._resolved: dict[str, int | None] = {name: self.codes.get(name) for name in self._available}
        self._resolved.update(
            {alias: self._resolved[name] for alias, name in ALIASES.items() if name in self._resolved}
        )

    def available(self) -> tuple[str, ...]:
        """Every backend this CPU runs, in the table's order, "reference" last."""
        return self._available

    def best(self) -> str:
        """The backend "auto" runs on this CPU (never "auto" itself)."""
        return self._best

    def code(self, backend: object) -> int | None:
        """The C code of `backend` (any accepted name), None for the reference; the kernel's error otherwise."""
        try:
            return self._resolved[backend]  # type: ignore[index]
        except (KeyError, TypeError):
            raise self._refusal(backend) from None

    def name(self, backend: object) -> str:
        """The table's name of `backend` (an old name resolved); the kernel's error when refused."""
        self.code(backend)
        return ALIASES.get(backend, backend)  # type: ignore[arg-type, return-value]

    def _refusal(self, backend: object) -> Exception:
        canonical = ALIASES.get(backend, backend) if isinstance(backend, str) else None
        if canonical in self.codes:
            msg = (
                f"backend={backend!r} of the {self.kernel} kernel is not available on this CPU; "
                f"available: {', '.join(self._available)}"
            )
        else:
            names = ", ".join(self.names)
            msg = f"backend={backend!r} is not a backend of the {self.kernel} kernel; choose one of {names}"
        return self._error(msg)

    def _name_of(self, code: int) -> str:
        names = [name for name, known in self.codes.items() if known == code and name != AUTO]
        return names[0] if names else PORTABLE

    def _widest(self) -> str:
        native = [name for name in self._available if name not in (AUTO, REFERENCE)]
        return native[-1] if native else PORTABLE
