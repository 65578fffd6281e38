#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""make bench, last step: the JSON of each boot (build/bench/<kernel>/) ->
the measured section of docs/performance.md (between its two
"bench:generated" markers; the rest of the file is prose and stays) and
PNG plots in build/bench/ (gnuplot).

  report.py --build build/bench --doc docs/performance.md

Every ratio compares peers measured in the same boot: ioasid's speed-up
over a peer is the peer's median time divided by ioasid's (> 1: ioasid is
faster). Absolute times come from a TCG guest and mean nothing.
"""
import argparse
import json
import os
import shutil
import subprocess
import sys

BEGIN = "<!-- bench:generated begin (make bench rewrites this part) -->"
END = "<!-- bench:generated end -->"
KERNELS = [("stock", "Debian 6.12 (no IOMMUFD)"),
           ("bench", "bench kernel (tools/kernel/bench.config, IOMMUFD)")]
PEERS = ["type1", "ioasid-vfio", "iommufd"]


def load(path):
    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError:
        return None


def med(o, *keys):
    for k in keys:
        if not isinstance(o, dict) or k not in o:
            return None
        o = o[k]
    return o["median"] if isinstance(o, dict) else None


def fmt(x, digits=2):
    return "-" if x is None else f"{x:.{digits}f}"


def spread(o):
    """min-max as a fraction of the median: how far to trust a row."""
    if not o:
        return "-"
    return f"{o['min']:.1f} / {o['median']:.1f} / {o['max']:.1f}"


def ratio(a, b):
    return None if a is None or b is None or b == 0 else a / b


def median(v):
    v = sorted(v)
    n = len(v)
    return None if not n else v[n // 2] if n % 2 else (v[n // 2 - 1] + v[n // 2]) / 2


def paired(r, slow, fast, op):
    """Median over repetitions of slow's time over fast's in the same
    repetition (neighbours in time), robust against drift between reps."""
    try:
        a, b = r[slow][op]["samples"], r[fast][op]["samples"]
    except (KeyError, TypeError):
        return None
    return median([x / y for x, y in zip(a, b) if y])


def x(v):
    return "-" if v is None else f"{v:.2f}x"


# (column title, faster side, slower side): speed-up = slower's time / faster's
COLUMNS = [("ioasid vs type1", "ioasid", "type1"),
           ("ioasid vs iommufd", "ioasid", "iommufd"),
           ("ioasid-vfio vs type1 (one program)", "ioasid-vfio", "type1")]


def map_table(m):
    """Speed-ups per workload and op, and ioasid against the floor."""
    cols = [c for c in COLUMNS if c[1] in m["peers"] and c[2] in m["peers"]]
    out = ["| workload | op | ioasid us/op (min/med/max) | "
           + " | ".join(c[0] for c in cols) + " | ioasid / floor |",
           "|---|---|---|" + "---|" * len(cols) + "---|"]
    for w in m["workloads"]:
        if "skipped" in w:
            out.append(f"| {w['name']} | skipped: {w['skipped']} |" + " |" * (len(cols) + 2))
            continue
        r = w["us_per_op"]
        for op in ("map", "unmap", "map+unmap"):
            cells = [x(paired(r, slow, fast, op)) for _, fast, slow in cols]
            fl = x(paired(r, "ioasid", "floor", op)) if op == "map+unmap" else ""
            out.append(f"| {w['name']} | {op} | {spread(r['ioasid'].get(op))} | "
                       + " | ".join(cells) + f" | {fl} |")
    return out


def growth_table(m):
    peers = ["ioasid"] + [p for p in PEERS if p in m["peers"]]
    out = ["| mappings | " + " | ".join(f"{p} map / unmap us" for p in peers)
           + " | ioasid bytes/mapping (slab, all) |",
           "|---|" + "---|" * len(peers) + "---|"]
    for g in m["growth"]:
        cells = []
        for p in peers:
            e = g.get(p, {})
            if "stopped_at" in e:
                cells.append(f"stopped at {e['stopped_at']} ({e['error']})")
            else:
                cells.append(f"{fmt(med(e, 'map_us'))} / {fmt(med(e, 'unmap_us'))}")
        i = g.get("ioasid", {})
        mem = f"{fmt(med(i, 'slab_bytes_per_mapping'), 0)}, {fmt(med(i, 'bytes_per_mapping'), 0)}"
        out.append(f"| {g['mappings']} | " + " | ".join(cells) + f" | {mem} |")
    return out


def memory_rows(m):
    """Bytes per mapping at the largest M every peer reached."""
    out = []
    for g in reversed(m["growth"]):
        for p in ["ioasid"] + PEERS:
            e = g.get(p)
            if e and "stopped_at" not in e and p not in [x[0] for x in out]:
                out.append((p, g["mappings"], med(e, "slab_bytes_per_mapping"),
                            med(e, "bytes_per_mapping")))
    return out


def goals(runs):
    """Each goal of issue 17, evaluated on the bench kernel's run (all
    three peers) where it has one, else the stock run."""
    res = []
    m = (runs.get("bench") or runs.get("stock") or {}).get("map")
    src = "bench" if runs.get("bench") else "stock"
    if not m:
        return res
    w = {x["name"]: x.get("us_per_op") for x in m["workloads"]}

    def sp(work, op, peer):
        return paired(w.get(work), peer, "ioasid", op)

    for op in ("map", "unmap"):
        t1, fd = sp("4K", op, "type1"), sp("4K", op, "iommufd")
        res.append((f"4 KiB {op} >= 1.0x type1", x(t1), t1 is not None and t1 >= 1.0))
        res.append((f"4 KiB {op} >= 1.4x iommufd", x(fd), fd is not None and fd >= 1.4))
    for work in ("large-4K", "large-thp", "large-hugetlb"):
        fl = paired(w.get(work), "ioasid", "floor", "map+unmap")
        t1 = sp(work, "map", "type1")
        res.append((f"{work}: map+unmap within 1.5x of pin+unpin", f"{x(fl)} the floor",
                    fl is not None and fl <= 1.5))
        res.append((f"{work}: map ahead of type1", x(t1), t1 is not None and t1 > 1.0))
    g = {x["mappings"]: x.get("ioasid", {}) for x in m["growth"]}
    if g:
        lo, hi = min(g), max(g)
        a, b = med(g[lo], "map_us"), med(g[hi], "map_us")
        r = ratio(b, a)
        res.append((f"per-op map at 1M mappings <= 1.5x that at 1k (measured up to {hi})",
                    f"{x(r)} ({lo} -> {hi})", r is not None and r <= 1.5 and hi >= 1000000))
    io = m.get("iopte", {})
    ok = all(io.get(k) == 2 << 20 for k in ("THP", "hugetlb"))
    res.append(("2 MiB maps use 2 MiB IOPTEs (mock IOMMU)",
                ", ".join(f"{k}: {v}" for k, v in io.items() if k != "note"), ok))
    a = runs.get(src, {}).get("attach")
    if a:
        rows = {x["policy"]: x for x in a["attach"]}
        r8 = rows.get("stack_8", {}).get("ratio_to_builtin")
        res.append(("attach with 8 stacked BPF policies <= 1.05x built-in", x(r8),
                    r8 is not None and r8 <= 1.05))
    n = runs.get(src, {}).get("nest")
    if n:
        r = n["ratios"].get("nested map 4K / flat map 4K")
        res.append(("nested map <= 1.3x flat (4 KiB)", x(r), r is not None and r <= 1.3))
    return [(name, val, ok, src) for name, val, ok in res]


def verdict(v, ok):
    return "yes" if ok else "not measured" if v.startswith("-") else "**no**"


def plots(build, runs):
    """Per-op map cost against mappings, throughput against size."""
    if not shutil.which("gnuplot"):
        print("report: gnuplot missing (apt-get install gnuplot-nox)", file=sys.stderr)
        return []
    made = []
    for k, _ in KERNELS:
        m = runs.get(k, {}).get("map")
        if not m:
            continue
        peers = ["ioasid"] + [p for p in PEERS if p in m["peers"]]
        d = os.path.join(build, k)
        # growth.dat: M, then map us per peer ("NaN" where it stopped)
        with open(os.path.join(d, "growth.dat"), "w") as f:
            f.write("# mappings " + " ".join(peers) + "\n")
            for g in m["growth"]:
                vals = [med(g.get(p, {}), "map_us") for p in peers]
                f.write(f"{g['mappings']} " + " ".join("NaN" if v is None else f"{v:.3f}"
                                                        for v in vals) + "\n")
        # size-<backing>.dat: bytes per call, then map+unmap MiB/s per peer
        series = ("4K pages", "THP", "hugetlb")
        for i, backing in enumerate(series):
            with open(os.path.join(d, f"size{i}.dat"), "w") as f:
                f.write("# bytes-per-call " + " ".join(peers + ["floor"]) + "\n")
                for w in m["workloads"]:
                    if "skipped" in w or w["backing"] != backing:
                        continue
                    vals = [med(w["us_per_op"], p, "map+unmap") for p in peers + ["floor"]]
                    f.write(f"{w['chunk']} " + " ".join(
                        "NaN" if not t else f"{w['chunk'] / t / 1.048576:.1f}" for t in vals) + "\n")
        title = dict(KERNELS)[k].split(" (")[0]
        names = peers + ["floor (pin+unpin)"]
        # Only what was measured (BENCH_ARGS may leave out the growth
        # points or a backing): gnuplot refuses a plot without points.
        drawn = [(j, b) for j, b in enumerate(series)
                 if any("skipped" not in w and w["backing"] == b for w in m["workloads"])]
        gp = "set terminal pngcairo size 900,560 noenhanced\nset key left top\nset grid\n"
        pngs = []
        if m["growth"]:
            gp += f"""set logscale x
set output '{d}/growth.png'
set title '{title}: 4 KiB map cost vs mappings in place (TCG: compare lines, not values)'
set xlabel 'mappings already in the IOAS'
set ylabel 'us per map (median)'
plot """ + ", ".join(f"'{d}/growth.dat' using 1:{i + 2} with linespoints title '{p}'"
                     for i, p in enumerate(peers)) + "\n"
            pngs.append(os.path.join(d, "growth.png"))
        if drawn:
            gp += f"""set logscale x
set output '{d}/throughput.png'
set terminal pngcairo size {500 * len(drawn)},500 noenhanced
set multiplot layout 1,{len(drawn)} title '{title}: map+unmap throughput vs bytes per call (TCG: compare lines, not values)'
set xlabel 'bytes per map call'
set ylabel 'MiB/s mapped+unmapped (median)'
set logscale y
""" + "".join(f"""set title '{backing}-backed memory'
plot """ + ", ".join(f"'{d}/size{j}.dat' using 1:{i + 2} with linespoints title '{p}'"
                     for i, p in enumerate(names)) + "\n" for j, backing in drawn) + \
                "unset multiplot\n"
            pngs.append(os.path.join(d, "throughput.png"))
        if not pngs:
            continue
        subprocess.run(["gnuplot"], input=gp, text=True, check=True)
        made += pngs
    return made


def vmm_load(build):
    """The vmm boot's results (tools/bench/vmm_guest.sh), or None."""
    d = os.path.join(build, "vmm")
    v = load(os.path.join(d, "vmm.json"))
    if v:
        v["host"] = load(os.path.join(d, "host.json")) or {}
    return v


def vmm_section(v):
    """Inner guest: boot-to-device, vIOMMU map storm, guest WBINVD; the
    same QEMU command with its container on type1 and on ioasid-vfio."""
    out = ["### Inner guest (QEMU+KVM in the bench VM, edu on vfio-pci): type1 vs ioasid-vfio", ""]
    if not v:
        return out + ["Not measured in this run.", ""]
    env, h, r = v["environment"], v["host"], v["results"]
    t1, io = r["type1"], r["ioasid-vfio"]
    out += [f"Kernel {env['kernel']}, intel-iommu without snoop control (ecap "
            f"{env['iommu_ecap']}): KVM is told of non-coherent DMA on both backends. "
            f"One unmodified QEMU command, its VFIO container served by vfio_iommu_type1 "
            f"or by ioasid-vfio (serve_type1=1); {v['reps']} repetitions per backend "
            f"after a warm-up boot, interleaved; inner guest {env['inner_mem']}. Host "
            f"load average {h.get('host_loadavg_before', '?')} before, "
            f"{h.get('host_loadavg_after', '?')} after; the inner guest runs under the "
            "bench VM's KVM on TCG-emulated SVM, so absolute times are slower than "
            "hardware by orders of magnitude and only the same-boot ratios count.", "",
            "| workload | type1 (min/med/max) | ioasid-vfio (min/med/max) | type1 / ioasid-vfio |",
            "|---|---|---|---|"]

    def row(name, key):
        a, b = t1.get(key), io.get(key)
        if a and b:
            out.append(f"| {name} | {spread(a)} | {spread(b)} | "
                       f"{x(ratio(a['median'], b['median']))} |")

    row("boot-to-device, no vIOMMU: QEMU start to first verified edu DMA (s)", "device_s_novi")
    row("the same, inner uptime then (s)", "inner_uptime_s_novi")
    row("boot-to-device, vIOMMU (s)", "device_s_viommu")
    row("the same, inner uptime then (s)", "inner_uptime_s_viommu")
    row(f"vIOMMU map storm: us per dma_map_page+unmap cycle ({v['storm_cycles']} cycles)",
        "storm_us_per_cycle")
    row("guest WBINVD, KVM flushing: us each, no vIOMMU", "wbinvd_us_novi")
    row("guest WBINVD, KVM flushing: us each, vIOMMU", "wbinvd_us_viommu")
    mp = [f"{n} {fmt(med(e, 'storm_maps_per_cycle'))} maps + "
          f"{fmt(med(e, 'storm_unmaps_per_cycle'))} unmaps"
          for n, e in (("type1", t1), ("ioasid-vfio", io))]
    fl = [f"{n} {fmt(med(e, 'flushes_per_wbinvd_novi'))}"
          for n, e in (("type1", t1), ("ioasid-vfio", io))]
    out += ["", "The container's work per storm cycle (kprobes on vfio_pin_pages_remote / "
            "vfio_remove_dma for type1, ioasid_kioas_map_user / ioasid_kioas_unmap for "
            "ioasid-vfio, in the storm's window): " + "; ".join(mp) + ". KVM flushes "
            "(wbinvd_ipi) per guest WBINVD: " + "; ".join(fl) + ". A ratio > 1.00x: "
            "ioasid-vfio is faster.", ""]
    return out


def generated(build, top, runs, pngs):
    out = [BEGIN, "",
           "Measured by `make bench`; regenerated by `tools/bench/report.py`. "
           "**The guests run under TCG: absolute times are meaningless, only the "
           "ratios between peers measured in the same boot count.** Speed-ups "
           "are the median over the repetitions of a peer's time over ioasid's in "
           "the same repetition (> 1.00x: ioasid is faster); \"ioasid / floor\" "
           "is ioasid's map+unmap over pin+unpin of the same pages, likewise.", ""]
    for k, title in KERNELS:
        r = runs.get(k)
        if not r or not r.get("map"):
            out += [f"### {title}", "", "Not measured in this run.", ""]
            continue
        m, h = r["map"], r.get("host", {})
        env = m["environment"]
        out += [f"### {title}", "",
                f"Kernel {env['kernel']}; peers {', '.join(m['peers'])}; {m['reps']} "
                f"interleaved repetitions after a warm-up; THP `{env['thp']}`. Host load "
                f"average {h.get('host_loadavg_before', '?')} before, "
                f"{h.get('host_loadavg_after', '?')} after ({h.get('nproc', '?')} CPUs); "
                f"guest load {env['guest_loadavg_1m']}.", ""]
        out += map_table(m) + [""]
        if m["growth"]:
            out += ["Per-op cost of one 4 KiB map/unmap with M mappings already in place "
                    "(median us):", ""] + growth_table(m) + [""]
            mem = memory_rows(m)
            if mem:
                out += ["Memory per 4 KiB mapping: " + "; ".join(
                    f"{p} {fmt(s, 0)} B slab, {fmt(a, 0)} B in all (at {n} mappings)"
                    for p, n, s, a in mem) + ".", ""]
        io = m.get("iopte", {})
        out += ["IOPTE size the mock IOMMU holds for 2 MiB of: " + ", ".join(
            f"{k2} memory {v} bytes" for k2, v in io.items() if k2 != "note") + ".", ""]
        a = r.get("attach")
        if a:
            out += ["| attach policy | stack depth | us per attach+detach (min/med/max) | ratio to built-in | decided by |",
                    "|---|---|---|---|---|"]
            for e in a["attach"]:
                out.append(f"| {e['policy']} | {e.get('stack_depth', 0)} | "
                           f"{e['us_min']:.1f} / {e['us_per_pair']:.1f} / {e['us_max']:.1f} | "
                           f"{e['ratio_to_builtin']:.3f} | {e['decided_by']} |")
            out.append("")
            if a.get("fill"):
                base = a["fill"][0]["us_per_pair"]
                out += ["Attach+detach (built-in) against what the IOAS holds besides its "
                        "256 KiB, the domain filled by the attach: " + "; ".join(
                            f"{e['extra_mib']} MiB: {e['us_per_pair']:.0f} us "
                            f"({e['us_per_pair'] / base:.2f}x)" for e in a["fill"]) + ".", ""]
            if a.get("reuse"):
                out += ["The same with a second device attached to the IOAS, whose domain "
                        "the attach joins (the IOAS checked to hold one domain): " + "; ".join(
                            f"{e['extra_mib']} MiB: {e['us_per_pair']:.0f} us (filling "
                            f"costs {f['us_per_pair'] / e['us_per_pair']:.2f}x)"
                            for e, f in zip(a["reuse"], a["fill"])) + ".", ""]
        fl = r.get("flush")
        if fl:
            u = fl["us_per_call"]
            out += [f"Cache flush (`IOASID_CACHE_FLUSH`, {fl['calls']} calls x {fl['reps']} "
                    f"repetitions, {fl['online_cpus']} CPUs, granted by {fl['decided_by']}), "
                    "us per call min/med/max: " + "; ".join(
                        f"{k2} {spread(u[k2])}" for k2 in u) + ". Over the flush itself "
                    "(same repetition): " + "; ".join(
                        f"{k2} = {v:.2f}" for k2, v in fl["ratios"].items()) + ".", ""]
        n = r.get("nest")
        if n:
            out += ["Nested and access-API ratios (time over time): " + "; ".join(
                f"{k2} = {v:.2f}" for k2, v in n["ratios"].items()) + ".", ""]
    out += vmm_section(vmm_load(build))
    gl = goals(runs)
    if gl:
        out += ["### Goals of issue 17, as measured", "",
                "| goal | measured | met |", "|---|---|---|"]
        out += [f"| {g} | {v} ({src}) | {verdict(v, ok)} |" for g, v, ok, src in gl]
        out.append("")
    if pngs:
        out += ["Plots (not committed; `make bench` writes them): " +
                ", ".join(f"`{os.path.relpath(p, top)}`" for p in pngs) + ".", ""]
    out.append(END)
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", required=True)
    ap.add_argument("--doc", required=True)
    args = ap.parse_args()
    runs = {}
    for k, _ in KERNELS:
        d = os.path.join(args.build, k)
        r = {n: load(os.path.join(d, n + ".json")) for n in ("map", "attach", "nest", "flush", "host")}
        if r["map"]:
            runs[k] = r
    if not runs and not vmm_load(args.build):
        sys.exit("report: no build/bench/<kernel>/map.json or vmm/vmm.json")
    pngs = plots(args.build, runs)
    top = os.path.dirname(os.path.dirname(os.path.abspath(args.doc)))
    gen = generated(args.build, top, runs, pngs)
    try:
        with open(args.doc) as f:
            doc = f.read()
    except FileNotFoundError:
        doc = "# Performance\n\n" + BEGIN + "\n" + END + "\n"
    if BEGIN not in doc or END not in doc:
        sys.exit(f"report: {args.doc} lacks the bench:generated markers")
    head, rest = doc.split(BEGIN, 1)
    tail = rest.split(END, 1)[1]
    with open(args.doc, "w") as f:
        f.write(head + gen + tail)
    print(f"report: {args.doc} regenerated" + (f", plots {' '.join(pngs)}" if pngs else ""))
    for g, v, ok, src in goals(runs):
        print(f"goal {verdict(v, ok).strip('*'):12s} {g}: {v} ({src})")


if __name__ == "__main__":
    main()
