"""The machine a benchmark ran on, for the line above its table: CPU model, the widest SIMD
level it offers (AVX-512 / AVX2 / SSE4.2, from /proc/cpuinfo's flags), L2 and L3 sizes, and
cores (lscpu).

    python bench/cpu.py          # prints the line
    from cpu import describe     # (with bench/ on sys.path)
"""
import os
import subprocess


def simd_level(flags):
    if {"avx512f", "avx512bw", "avx512vl", "avx512dq"} <= flags:
        return "AVX-512"
    if {"avx2", "fma"} <= flags:
        return "AVX2"
    return "SSE4.2" if "sse4_2" in flags else "baseline x86-64"


def describe():
    info = open("/proc/cpuinfo").read().splitlines()
    model = next((l.split(":", 1)[1].strip() for l in info if l.startswith("model name")), "?")
    flags = set(next((l.split(":", 1)[1].split() for l in info if l.startswith("flags")), []))
    caches = {}
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            key, _, value = line.partition(":")
            if key.strip() in ("L2 cache", "L3 cache"):
                caches[key.strip()[:2]] = value.strip()
    except (OSError, subprocess.CalledProcessError):
        pass
    cache = ", ".join(f"{k} {v}" for k, v in caches.items()) or "caches unknown"
    return f"{model}, {simd_level(flags)}, {cache}, {os.cpu_count()} cores"


if __name__ == "__main__":
    print(describe())
