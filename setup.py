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

setup(
    ext_modules=[
        Extension(
            "autonomys.kernels._kernels",
            sources=KERNEL_SOURCES,
            include_dirs=["kernels/include", "kernels/src"],
            extra_compile_args=["-O3", "-std=c11", "-Wall", "-Wextra", "-Wno-unused-parameter"],
            extra_link_args=["-pthread"],
        ),
    ],
)
