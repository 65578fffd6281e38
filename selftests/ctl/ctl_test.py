#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""ioasidctl in the VM: golden human output, JSON checked field by field,
every error message with its exit code. Prints TAP.

Golden files live in selftests/ctl/golden/; ids, times and counters that
change from run to run are normalized first. IOASID_UPDATE_GOLDEN=1
rewrites them (then review the diff).
"""
import errno
import fcntl
import json
import os
import re
import struct
import subprocess
import sys
import time

TOP = os.environ["TOP"]
B = os.environ["B"]
CTL = os.path.join(B, "tools", "ioasidctl")
GOLDEN = os.path.join(TOP, "selftests", "ctl", "golden")
ROOT = "/sys/fs/bpf/ioasid-ctltest"
UPDATE = os.environ.get("IOASID_UPDATE_GOLDEN") == "1"
# _IO(IOASID_TYPE 0xB9, IOASID_CMD_CACHE_FLUSH 0x09), kernel/include/uapi/linux/ioasid.h
IOASID_CACHE_FLUSH = 0xB909

results = []


def ctl(*args, user=None, check=None):
    """Run ioasidctl with the test pin root; returns (rc, stdout, stderr)."""
    cmd = [CTL, "--pin-root", ROOT] + list(args)
    kw = {}
    if user is not None:
        kw["user"] = user
        kw["group"] = "nogroup" if user == "nobody" else user
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=60, **kw)
    if check is not None and p.returncode != check:
        raise AssertionError("%s: exit %d, want %d\nstdout: %s\nstderr: %s" %
                             (" ".join(args), p.returncode, check, p.stdout, p.stderr))
    return p.returncode, p.stdout, p.stderr


def normalize(text):
    text = re.sub(r"(link id: +|map id: +|\"link_id\": ?|\"map_id\": ?)\d+", r"\1N", text)
    text = re.sub(r"(allow|deny|defer|error) \d+", r"\1 N", text)
    text = re.sub(r"(cgroup )\d+", r"\1N", text)
    return text


def golden(name, text):
    path = os.path.join(GOLDEN, name + ".txt")
    text = normalize(text)
    if UPDATE:
        os.makedirs(GOLDEN, exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
    with open(path) as f:
        want = f.read()
    if text != want:
        raise AssertionError("output differs from %s:\n--- want\n%s--- got\n%s" %
                             (path, want, text))


def test(fn):
    results.append(fn)
    return fn


def expect_error(args, code, message, user=None):
    rc, out, err = ctl(*args, user=user)
    if rc != code or err.strip().splitlines()[:1] != [message]:
        raise AssertionError("%s: exit %d, stderr %r; want exit %d, %r" %
                             (" ".join(args), rc, err, code, message))


def unload_all():
    rc, out, _ = ctl("-j", "policy", "list")
    if rc == 0:
        for p in json.loads(out):
            ctl("policy", "unload", p["name"])


def edu_bdf():
    for d in sorted(os.listdir("/sys/bus/pci/devices")):
        base = "/sys/bus/pci/devices/" + d
        with open(base + "/vendor") as v, open(base + "/device") as dv:
            if v.read().strip() == "0x1234" and dv.read().strip() == "0x11e8":
                return d
    return None


@test
def help_texts():
    rc, out, _ = ctl("--help", check=0)
    golden("help", out)
    rc, out, _ = ctl("policy", "--help", check=0)
    golden("policy-help", out)
    rc, out, _ = ctl("rule", "--help", check=0)
    golden("rule-help", out)
    for obj in (["device"], ["decisions"], ["status"], ["policy", "test"], ["bpffs"]):
        rc, out, _ = ctl(*obj, "--help", check=0)
        assert out.startswith("usage: ioasidctl " + obj[0]), out


@test
def usage_errors():
    expect_error(["frobnicate"], 2, "ioasidctl: unknown object 'frobnicate' (see ioasidctl --help)")
    expect_error(["policy"], 2, "ioasidctl: policy needs a command (see ioasidctl policy --help)")
    expect_error(["policy", "load"], 2, "ioasidctl: policy load needs NAME or FILE")
    expect_error(["policy", "load", "strict", "priority", "x"], 2,
                 "ioasidctl: priority 'x': want 0..4294967295")
    expect_error(["policy", "test", "--device", "12345"], 2,
                 "ioasidctl: '12345' is not VENDOR:DEVICE (4 hex digits each, e.g. 8086:0b25)")
    expect_error(["policy", "test", "--device", "8086:1234", "--pasid", "2000000"], 2,
                 "ioasidctl: PASID '2000000' out of range (1..1048575)")
    expect_error(["policy", "test"], 2, "ioasidctl: policy test needs --bdf or --device")
    expect_error(["policy", "test", "--bdf", "00:3g.0"], 2,
                 "ioasidctl: '00:3g.0' is not a PCI address ([DOMAIN:]BUS:DEVICE.FUNCTION)")
    expect_error(["rule", "add", "nosnoop", "8086:1234", "allow", "pasid", "0-5"], 2,
                 "ioasidctl: PASID range 0-5: must be within 1-1048575 and not empty")
    expect_error(["rule", "add", "nosnoop", "8086:1234", "maybe"], 2,
                 "ioasidctl: 'maybe': want allow, deny or defer")
    expect_error(["rule", "add", "nosnoop", "8086:1234", "allow", "flush-rate", "fast"], 2,
                 "ioasidctl: flush-rate 'fast': want N/s")
    expect_error(["rule", "add", "other", "8086:1234"], 2,
                 "ioasidctl: rule add: the table is nosnoop or strict")
    expect_error(["device", "info", "zz"], 2,
                 "ioasidctl: 'zz' is not a PCI address ([DOMAIN:]BUS:DEVICE.FUNCTION)")
    expect_error(["decisions", "--count", "0"], 2, "ioasidctl: --count '0': want N > 0")


@test
def operation_errors():
    unload_all()
    expect_error(["policy", "load", "nosuch"], 1,
                 "ioasidctl: no policy 'nosuch': not an embedded policy (vfio_compat, strict, nosnoop_rules) nor a file")
    expect_error(["policy", "unload", "nosuch"], 1, "ioasidctl: no registered policy named nosuch")
    expect_error(["policy", "show", "nosuch"], 1, "ioasidctl: no registered policy named nosuch")
    expect_error(["policy", "replace", "nosuch", "strict"], 1,
                 "ioasidctl: no registered policy named nosuch")
    expect_error(["rule", "add", "nosnoop", "8086:1234", "allow"], 1,
                 "ioasidctl: %s/nsr_by_id: No such file or directory (is the nosnoop_rules policy loaded with this pin root?)" % ROOT)
    expect_error(["device", "info", "00:1f.7"], 1, "ioasidctl: no PCI device 0000:00:1f.7")


@test
def environment_errors():
    # Not root.
    expect_error(["policy", "load", "vfio_compat"], 3,
                 "ioasidctl: loading policies needs CAP_BPF or CAP_SYS_ADMIN (run as root)",
                 user="nobody")
    expect_error(["policy", "test", "--device", "8086:1234"], 3,
                 "ioasidctl: a dry run needs CAP_SYS_ADMIN", user="nobody")
    expect_error(["policy", "bypass", "on"], 3,
                 "ioasidctl: kill switch: Permission denied", user="nobody")
    # A pin root that is not on a bpffs, with the offer to mount one.
    rc, out, err = ctl("--pin-root", "/tmp/pins", "policy", "load", "vfio_compat")
    lines = err.strip().splitlines()
    assert rc == 3, (rc, err)
    assert lines == ["ioasidctl: /tmp is not on a bpffs: mount one (mount -t bpf bpf /sys/fs/bpf)",
                     "ioasidctl: 'ioasidctl bpffs mount' mounts one"], lines
    rc, out, err = ctl("bpffs", "mount", check=0)
    assert out == "bpffs mounted on /sys/fs/bpf\n", out


@test
def policy_lifecycle():
    unload_all()
    rc, out, _ = ctl("policy", "available", check=0)
    golden("policy-available", out)
    rc, out, _ = ctl("policy", "load", "vfio_compat", "priority", "300", check=0)
    assert out == "registered vfio_compat\n", out
    rc, out, _ = ctl("-j", "policy", "load", "nosnoop_rules", check=0)
    assert json.loads(out) == {"result": "registered", "policy": "nosnoop_rules"}, out
    expect_error(["policy", "load", "vfio_compat"], 1,
                 "ioasidctl: a policy named vfio_compat is registered already (replace it instead)")
    rc, out, _ = ctl("policy", "list", check=0)
    golden("policy-list", out)
    rc, out, _ = ctl("-j", "policy", "list", check=0)
    lst = json.loads(out)
    assert [p["name"] for p in lst] == ["nosnoop_rules", "vfio_compat"], lst
    p = lst[1]
    assert p["priority"] == 300 and p["state"] == "active" and p["shadow"] is False, p
    assert p["link_id"] > 0 and p["map_id"] > 0, p
    assert p["pinned"] == ROOT + "/links/vfio_compat", p
    assert set(p["verdicts"]) == {"allow", "deny", "defer", "error"}, p
    assert p["last_error"] is None, p
    rc, out, _ = ctl("policy", "show", "vfio_compat", check=0)
    golden("policy-show", out)
    rc, out, _ = ctl("-p", "policy", "show", "vfio_compat", check=0)
    assert out.startswith("{\n"), out
    assert json.loads(out)["name"] == "vfio_compat"

    # Replace keeps the link and the slot.
    link = p["link_id"]
    rc, out, _ = ctl("policy", "replace", "vfio_compat", "strict", check=0)
    assert out == "replaced strict (was vfio_compat)\n", out
    rc, out, _ = ctl("-j", "policy", "show", "strict", check=0)
    s = json.loads(out)
    assert s["link_id"] == link and s["priority"] == 300, s
    rc, out, _ = ctl("policy", "errors", check=0)
    assert out == "no errored policy\n", out
    rc, out, _ = ctl("-j", "policy", "errors", check=0)
    assert json.loads(out) == []

    # Shadow.
    rc, out, _ = ctl("policy", "load", "vfio_compat", "shadow", "priority", "1", check=0)
    rc, out, _ = ctl("-j", "policy", "show", "vfio_compat", check=0)
    assert json.loads(out)["shadow"] is True

    # Kill switch.
    rc, out, _ = ctl("policy", "bypass", "on", check=0)
    assert out == "kill switch on: only the built-in policy decides\n", out
    rc, out, _ = ctl("-j", "policy", "bypass", check=0)
    assert json.loads(out) == {"bypass": True}
    rc, out, _ = ctl("policy", "bypass", "off", check=0)
    expect_error(["policy", "bypass", "maybe"], 2,
                 "ioasidctl: policy bypass: 'maybe' is neither on nor off")

    for name in ("strict", "vfio_compat", "nosnoop_rules"):
        rc, out, _ = ctl("policy", "unload", name, check=0)
        assert out == "unregistered %s\n" % name, out
    rc, out, _ = ctl("-j", "policy", "list", check=0)
    assert json.loads(out) == []


@test
def verifier_log_on_failed_load():
    obj = os.path.join(B, "selftests", "policy_bad.bpf.o")
    rc, out, err = ctl("policy", "load", obj, "map", "t_write")
    assert rc == 1, (rc, err)
    lines = err.splitlines()
    assert lines[0] == "ioasidctl: t_write: load failed (Permission denied): see the verifier log", lines
    assert "only read is supported" in err, err
    assert "--- verifier log ---" in lines and "--- end of verifier log ---" in lines, err


@test
def rules_and_dry_run():
    unload_all()
    ctl("policy", "load", "nosnoop_rules", check=0)
    rc, out, _ = ctl("rule", "add", "nosnoop", "1234:11e8", "allow", "flush-rate", "100/s", check=0)
    assert out == "added nosnoop rule 1234:11e8\n", out
    ctl("rule", "add", "nosnoop", "driver", "vfio-pci", "deny", "errno", "EACCES", check=0)
    ctl("rule", "add", "nosnoop", "8086:0b25", "allow", "snoop", "enforce", "pasid", "1-100", check=0)
    ctl("rule", "add", "nosnoop", "default", "defer", check=0)
    rc, out, _ = ctl("rule", "list", check=0)
    golden("rule-list", out)
    rc, out, _ = ctl("-j", "rule", "list", check=0)
    rules = {r["key"]: r for r in json.loads(out)}
    r = rules["1234:11e8"]
    assert r["table"] == "nosnoop" and r["action"] == "allow" and r["snoop"] == "no-snoop", r
    assert r["flush"] is True and r["flush_rate"] == 100 and r["flush_burst"] == 1, r
    assert rules["driver vfio-pci"]["errno"] == 13, rules
    assert rules["8086:0b25"]["pasid_min"] == 1 and rules["8086:0b25"]["pasid_max"] == 100

    rc, out, _ = ctl("policy", "test", "--device", "1234:11e8", check=0)
    golden("policy-test", out)
    rc, out, _ = ctl("-j", "policy", "test", "--device", "1234:11e8", "--noncoherent", check=0)
    d = json.loads(out)
    assert d["device"]["vendor"] == 0x1234 and d["device"]["device"] == 0x11e8, d
    assert d["device"]["iommu_caps"] == "cache-coherency", d
    assert d["asked"][0]["policy"] == "nosnoop_rules" and d["asked"][0]["verdict"] == "allow", d
    dec = d["decision"]
    assert dec["allowed"] is True and dec["policy"] == "nosnoop_rules", dec
    assert dec["snoop"] == "no-snoop" and dec["flush_grant"] is True and dec["flush_rate"] == 100, dec
    rc, out, _ = ctl("-j", "policy", "test", "--device", "8086:1111", "--driver", "vfio-pci", check=0)
    dec = json.loads(out)["decision"]
    assert dec["allowed"] is False and dec["verdict"] == -13, dec
    if os.path.exists("/sys/fs/cgroup/cgroup.controllers"):
        rc, out, _ = ctl("-j", "policy", "test", "--device", "8086:1111", "--cgroup",
                         "/sys/fs/cgroup", check=0)
        assert json.loads(out)["device"]["cgroup_id"] == os.stat("/sys/fs/cgroup").st_ino

    # Strict allowlists.
    ctl("policy", "load", "strict", check=0)
    rc, out, _ = ctl("rule", "add", "strict", "device", "1234:11e8", check=0)
    assert out == "added strict rule device 1234:11e8\n", out
    ctl("rule", "add", "strict", "pasid-driver", "idxd", check=0)
    rc, out, _ = ctl("rule", "list", check=0)
    golden("rule-list-strict", out)
    for key in (["nosnoop", "1234:11e8"], ["nosnoop", "driver", "vfio-pci"],
                ["nosnoop", "8086:0b25"], ["nosnoop", "default"],
                ["strict", "device", "1234:11e8"], ["strict", "pasid-driver", "idxd"]):
        ctl("rule", "del", *key, check=0)
    expect_error(["rule", "del", "nosnoop", "1234:11e8"], 1, "ioasidctl: nsr_by_id: no such rule")
    rc, out, _ = ctl("-j", "rule", "list", check=0)
    assert json.loads(out) == [], out
    unload_all()


def _io(nr):
    return (0xB9 << 8) | nr


@test
def rule_keys_and_revocation():
    """bdf, subsys and uid keys; a deny reaching an attached edu."""
    import fcntl
    import select
    import struct
    unload_all()
    ctl("policy", "load", "nosnoop_rules", check=0)
    rc, out, _ = ctl("rule", "add", "nosnoop", "bdf", "0000:01:00.0", "allow", check=0)
    assert out == "added nosnoop rule bdf 0000:01:00.0\n", out
    ctl("rule", "add", "nosnoop", "subsys", "1af4:1100", "deny", check=0)
    rc, out, _ = ctl("-j", "rule", "add", "nosnoop", "uid", "root", "allow", "flush", check=0)
    d = json.loads(out)
    assert d["key"] == "uid 0" and d["revalidated"]["revoked"] == 0, d
    ctl("rule", "add", "nosnoop", "8086:1234", "allow", check=0)
    rc, out, _ = ctl("-j", "rule", "list", check=0)
    keys = [r["key"] for r in json.loads(out)]
    # Listed in the order nosnoop_rules asks them.
    assert keys == ["bdf 0000:01:00.0", "subsys 1af4:1100", "8086:1234", "uid 0"], keys
    expect_error(["rule", "add", "nosnoop", "bdf", "01:00", "allow"], 2,
                 "ioasidctl: '01:00' is not a PCI address ([DOMAIN:]BUS:DEVICE.FUNCTION)")
    expect_error(["rule", "add", "nosnoop", "uid", "no-such-user-x", "allow"], 2,
                 "ioasidctl: uid 'no-such-user-x': not a number nor a user name")
    for key in (["bdf", "0000:01:00.0"], ["subsys", "1af4:1100"], ["uid", "0"], ["8086:1234"]):
        ctl("rule", "del", "nosnoop", *key, check=0)

    bdf = edu_bdf()
    if not bdf:
        unload_all()
        return "SKIP no edu device in this VM"
    # A program holding the edu attached, as a VMM would.
    fd = os.open("/dev/ioasid", os.O_RDWR)
    dfd = os.open("/dev/ioasid-dev/" + bdf, os.O_RDWR)
    try:
        alloc = bytearray(struct.pack("IIII", 16, 0, 0, 0))
        fcntl.ioctl(fd, _io(0x01), alloc)
        ioas = struct.unpack("IIII", alloc)[3]
        fcntl.ioctl(dfd, _io(0x40), bytearray(struct.pack("IIiI", 16, 0, fd, 0)))
        fcntl.ioctl(dfd, _io(0x41), bytearray(struct.pack("IIII", 16, 0, ioas, 0)))
        rc, out, _ = ctl("device", "list", check=0)
        line = [l for l in out.splitlines() if l.startswith(bdf)][0]
        assert line.split()[-1] == "attached", line
        rc, out, _ = ctl("rule", "add", "nosnoop", "bdf", bdf, "deny", "errno", "EACCES", check=0)
        assert out == "added nosnoop rule bdf %s\nrevalidated 1 attachments: 0 changed, 0 need a re-attach, 1 revoked\n" % bdf, out
        # The owner's fd polls POLLPRI; the operator sees the state.
        p = select.poll()
        p.register(fd, select.POLLPRI)
        assert p.poll(0) == [(fd, select.POLLPRI)], p.poll(0)
        rc, out, _ = ctl("device", "list", check=0)
        line = [l for l in out.splitlines() if l.startswith(bdf)][0]
        assert line.split()[-1] == "bound,revoked", line
        rc, out, _ = ctl("-j", "device", "info", bdf, check=0)
        info = json.loads(out)
        assert info["revoked"] is True and info["ioas_id"] == 0, info
        assert info["decision"]["verdict"] == -13, info
        rc, out, _ = ctl("decisions", "--count", "1", check=0)
        assert "revalidated" in out and "revoked (detached) by nosnoop_rules" in out, out
        ctl("rule", "del", "nosnoop", "bdf", bdf, check=0)
    finally:
        os.close(dfd)
        os.close(fd)
        unload_all()


@test
def device_commands():
    bdf = edu_bdf()
    if not bdf:
        return "SKIP no edu device in this VM"
    rc, out, _ = ctl("-j", "device", "list", check=0)
    devs = {d["bdf"]: d for d in json.loads(out)}
    assert devs[bdf]["driver"] == "ioasid-pci" and devs[bdf]["id"] == "1234:11e8", devs
    assert devs[bdf]["device_file"] == "/dev/ioasid-dev/" + bdf, devs
    rc, out, _ = ctl("device", "list", check=0)
    assert out.splitlines()[0].split() == ["BDF", "ID", "GROUP", "DRIVER", "DEVICE", "FILE",
                                           "STATE"], out
    assert any(l.startswith(bdf) and "ioasid-pci" in l for l in out.splitlines()), out
    rc, out, _ = ctl("-j", "device", "list", "--all", check=0)
    assert len(json.loads(out)) >= 1
    rc, out, _ = ctl("device", "info", bdf, check=0)
    lines = out.splitlines()
    assert lines[0] == "device:   %s (/dev/ioasid-dev/%s)" % (bdf, bdf), lines
    assert lines[1].startswith("iommu:    intel-iommu"), lines
    rc, out, _ = ctl("-j", "device", "info", bdf, check=0)
    info = json.loads(out)
    assert info["iommu_driver"] == "intel-iommu" and info["group_size"] >= 1, info
    assert info["bound"] is False, info
    # Unbind gives it back (edu has no kernel driver), bind takes it again.
    rc, out, _ = ctl("device", "unbind", bdf, check=0)
    assert out == "%s unbound from ioasid-pci, now without a driver\n" % bdf, out
    expect_error(["device", "info", bdf], 1,
                 "ioasidctl: %s is not bound to ioasid-pci (ioasidctl device bind %s)" % (bdf, bdf))
    expect_error(["device", "unbind", bdf], 1,
                 "ioasidctl: %s is not bound to ioasid-pci (driver: none)" % bdf)
    rc, out, _ = ctl("device", "bind", bdf, check=0)
    assert out == "%s bound to ioasid-pci: /dev/ioasid-dev/%s\n" % (bdf, bdf), out
    rc, out, _ = ctl("device", "bind", bdf, check=0)
    assert out == "%s is bound to ioasid-pci already\n" % bdf, out
    expect_error(["device", "bind", bdf], 3, "ioasidctl: binding a device needs root", user="nobody")


@test
def decisions_history():
    # The kernel keeps the latest decisions: no --follow, no tracing needed.
    for i in range(6):
        ctl("policy", "test", "--device", "1234:d00%d" % i, check=0)
    rc, out, _ = ctl("decisions", "--count", "5", check=0)
    lines = out.splitlines()
    assert len(lines) == 5, out
    for i, line in enumerate(lines, 1):
        assert " attach " in line and "1234:d00%d" % i in line and "(dry run)" in line, out
        assert line.endswith("allow by builtin, snoop enforce: IOMMU can enforce snooping"), out
    rc, out, _ = ctl("-j", "decisions", "--count", "5", check=0)
    recs = json.loads(out)
    assert [r["device"] for r in recs] == [0xd001 + i for i in range(5)], recs
    assert [r["seq"] for r in recs] == list(range(recs[0]["seq"], recs[0]["seq"] + 5)), recs
    for r in recs:
        assert r["op"] == "attach" and r["dry_run"] is True and r["lost"] == 0, r
        assert r["vendor"] == 0x1234 and r["bdf"] is None and r["uid"] == 0, r
        assert r["policy"] == "builtin" and r["verdict"] == 0 and r["snoop"] == "enforce", r
        assert r["reason"] == "IOMMU can enforce snooping" and r["core_reason"] == "", r
    # The whole history ends with the same five.
    rc, out, _ = ctl("-j", "decisions", check=0)
    assert json.loads(out)[-5:] == recs, out
    # Other users' decisions are not for everyone.
    expect_error(["decisions"], 3,
                 "ioasidctl: reading decisions needs CAP_PERFMON or CAP_SYS_ADMIN", user="nobody")


@test
def decisions_follow():
    unload_all()
    p = subprocess.Popen([CTL, "-j", "decisions", "--follow", "--count", "1"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1.5)
    ctl("policy", "test", "--device", "1234:abcd", check=0)
    try:
        out, err = p.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        p.kill()
        raise AssertionError("no decision seen by decisions --follow")
    assert p.returncode == 0, (p.returncode, err)
    d = json.loads(out)
    assert d["op"] == "attach" and d["vendor"] == 0x1234 and d["device"] == 0xabcd, d
    assert d["policy"] == "builtin" and d["verdict"] == 0 and d["snoop"] == "enforce", d
    assert d["reason"] == "IOMMU can enforce snooping", d
    # What --follow read stays in the log for the next reader.
    ctl("policy", "test", "--device", "1234:abce", check=0)
    rc, out, _ = ctl("decisions", check=0)
    lines = out.splitlines()
    assert any("1234:abcd" in l for l in lines), out
    assert any("1234:abce" in l and "allow by builtin, snoop enforce: IOMMU can enforce snooping" in l
               for l in lines), out
    rc, out, _ = ctl("-j", "decisions", check=0)
    assert any(d["device"] == 0xabce for d in json.loads(out)), out


@test
def json_errors():
    # Under -j, errors are JSON objects on stdout (as bpftool's), not text.
    for args, code, msg in (
            (["policy", "show", "nosuch"], 1, "no registered policy named nosuch"),
            (["frobnicate"], 2, "unknown object 'frobnicate' (see ioasidctl --help)"),
            (["rule", "frob"], 2, "unknown rule command 'frob' (see ioasidctl rule --help)"),
            (["device"], 2, "device needs a command (see ioasidctl device --help)"),
            (["decisions", "--count", "x"], 2, "--count 'x': want N > 0")):
        rc, out, err = ctl("-j", *args)
        assert rc == code and err == "", (args, rc, out, err)
        assert json.loads(out) == {"error": msg}, (args, out)


@test
def status_report():
    rc, out, _ = ctl("-j", "status", check=0)
    st = json.loads(out)
    assert st["module_loaded"] is True and st["module_btf"] is True, st
    assert st["device_node"] is True and st["kill_switch"] is False, st
    assert set(st["live"]) == {"fds", "objects", "groups", "domains", "pasid_attachments",
                               "charged_pages", "accesses", "access_pins",
                               "unpin_violations"}, st
    assert st["policies"] == [], st
    assert set(st["flush"]) == {"refused", "throttled", "trackers", "cpu_tracking"}, st
    # A flush from an fd without a grant is refused, and counted.
    fd = os.open("/dev/ioasid", os.O_RDWR)
    try:
        fcntl.ioctl(fd, IOASID_CACHE_FLUSH, struct.pack("IIII", 16, 0, 0, 0))
        raise AssertionError("IOASID_CACHE_FLUSH without a grant succeeded")
    except OSError as e:
        assert e.errno == errno.EPERM, e
    finally:
        os.close(fd)
    rc, out, _ = ctl("-j", "status", check=0)
    after = json.loads(out)["flush"]
    assert after["refused"] == st["flush"]["refused"] + 1, (st["flush"], after)
    rc, out, _ = ctl("status", check=0)
    lines = out.splitlines()
    assert lines[0] == "module:      loaded, with BTF", out
    assert ("flushes:     refused %d, throttled %d," %
            (after["refused"], after["throttled"])) in out, out


def main():
    print("TAP version 13")
    print("1..%d" % len(results))
    failed = 0
    for i, fn in enumerate(results, 1):
        try:
            r = fn()
            if isinstance(r, str) and r.startswith("SKIP"):
                print("ok %d ctl.%s # %s" % (i, fn.__name__, r))
            else:
                print("ok %d ctl.%s" % (i, fn.__name__))
        except Exception as e:  # report and go on
            failed += 1
            for line in str(e).splitlines():
                print("# " + line)
            print("not ok %d ctl.%s" % (i, fn.__name__))
        finally:
            unload_all()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
