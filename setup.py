"""Builds the C kernels; everything else lives in pyproject.toml."""

from setuptools import Extension, setup

KERNEL_SOURCES = [
    "kernels/_binding.c",
    "kernels/src/pot.c",
    "kernels/src/pot_x86.c",
    "kernels/src/aes_soft.c",
    "kernels/src/fr.c",
    "kernels/src/fr_fft.c",
    "kernels/src/fr_recover.c",
]
# The proof-of-space kernel: ChaCha8, BLAKE3 for small inputs, the chia and shim tables.
POS_SOURCES = [
    "kernels/_pos_binding.c",
    "kernels/src/pos.c",
    "kernels/src/pos_table.c",
    "kernels/src/pos_match.c",
    "kernels/src/pos_verify.c",
    "kernels/src/chacha8.c",
    "kernels/src/blake3.c",
]
# The sector kernel: s-bucket scatter and gather of plotted sectors, and the audit (keyed BLAKE3; blake3.c is
# compiled into both _pos and _sector: its x86 paths carry their own target attributes, no extra flags).
SECTOR_SOURCES = [
    "kernels/_sector_binding.c",
    "kernels/src/sector.c",
    "kernels/src/audit.c",
    "kernels/src/blake3.c",
]
# The BLS12-381 G1 kernel: base field, points, Pippenger MSM, and the KZG quotient in Fr (fr_field.h, inline only).
G1_SOURCES = [
    "kernels/_g1_binding.c",
    "kernels/src/g1_fp.c",
    "kernels/src/g1_point.c",
    "kernels/src/g1_msm.c",
    "kernels/src/g1_glv.c",
    "kernels/src/g1_kzg.c",
]
COMPILE_ARGS = ["-O3", "-std=c11", "-Wall", "-Wextra", "-Wno-unused-parameter"]


def kernel_extension(name: str, sources: list[str]) -> Extension:
    return Extension(
        f"autonomys.kernels.{name}",
        sources=sources,
        include_dirs=["kernels/include", "kernels/src"],
        extra_compile_args=COMPILE_ARGS,
        extra_link_args=["-pthread"],
    )


setup(
    ext_modules=[
        kernel_extension("_kernels", KERNEL_SOURCES),
        kernel_extension("_pos", POS_SOURCES),
        kernel_extension("_sector", SECTOR_SOURCES),
        kernel_extension("_g1", G1_SOURCES),
    ],
)
