#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""The operator's configuration in the VM (ioasid.conf(5), ioasidctl apply,
ioasid.service, 60-ioasid.rules) and two frictions an operator met:
cgroup paths as /proc/self/cgroup writes them, and what a cache flush's
decision line says. Prints TAP.

Runs in a private mount namespace with a tmpfs overlay on /etc (the VM's
root is the host's, read-only), so that /etc/ioasid/ioasid.conf can be
written as an operator would. Uses the default pin root, as the unit does;
every test starts from no registered policy and no apply state.
"""
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile

TOP = os.environ["TOP"]
B = os.environ["B"]
KMOD = os.environ.get("KMOD", os.path.join(TOP, "kernel"))
# IOASID_OPCONF_CTL: another build's ioasidctl (to see the checks fail on
# an older one; with IOASID_KMOD, its modules too).
CTL = os.environ.get("IOASID_OPCONF_CTL") or os.path.join(B, "tools", "ioasidctl")
FLUSH = os.path.join(B, "selftests", "opconf_flush")
PKG = os.path.join(TOP, "packaging", "systemd")
CONF = "/etc/ioasid/ioasid.conf"
STATE = "/run/ioasid/apply.state"
CGROUP = "/sys/fs/cgroup"

if os.environ.get("IOASID_OPCONF_NS") != "1":
    os.environ["IOASID_OPCONF_NS"] = "1"
    os.execvp("unshare", ["unshare", "--mount", "--propagation", "private",
                          sys.executable, os.path.abspath(__file__)])

results = []
tmp = tempfile.mkdtemp()


def test(fn):
    results.append(fn)
    return fn


def run(cmd, check=None, **kw):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=120, **kw)
    if check is not None and p.returncode != check:
        raise AssertionError("%s: exit %d, want %d\nstdout: %s\nstderr: %s" %
                             (" ".join(cmd), p.returncode, check, p.stdout, p.stderr))
    return p.returncode, p.stdout, p.stderr


def ctl(*args, check=None):
    return run([CTL] + list(args), check=check)


def apply(*args, check=0):
    return ctl("apply", *args, check=check)


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def overlay_etc():
    run(["modprobe", "overlay"])
    base = os.path.join(tmp, "ovl")
    os.makedirs(base)
    run(["mount", "-t", "tmpfs", "tmpfs", base], check=0)
    os.makedirs(base + "/up")
    os.makedirs(base + "/work")
    run(["mount", "-t", "overlay", "overlay", "-o",
         "lowerdir=/etc,upperdir=%s/up,workdir=%s/work" % (base, base), "/etc"], check=0)


def reset():
    """No registered policy, no apply state, no configuration."""
    rc, out, _ = ctl("-j", "policy", "list")
    if rc == 0:
        for p in json.loads(out):
            ctl("policy", "unload", p["name"])
    for f in (STATE, CONF):
        if os.path.exists(f):
            os.unlink(f)
    shutil.rmtree(CONF + ".d", ignore_errors=True)
    # The rule maps stay pinned after their policy goes: unpin them too.
    shutil.rmtree("/sys/fs/bpf/ioasid", ignore_errors=True)


def snapshot():
    """What runs: policies (names, priorities, shadow, link ids) and rules."""
    _, out, _ = ctl("-j", "policy", "list", check=0)
    pol = [(p["name"], p["priority"], p["shadow"], p["link_id"]) for p in json.loads(out)]
    rc, out, _ = ctl("-j", "rule", "list")
    rules = json.loads(out) if rc == 0 else []
    return pol, rules


def links():
    return {p[0]: p[3] for p in snapshot()[0]}


BASE = """# the operator's file
policy nosnoop_rules priority 10   # no-snoop by rule
policy strict priority 20 shadow
rule nosnoop 1234:11e8 allow flush-rate 100/s
rule nosnoop driver opconf-drv deny errno EACCES
rule strict device 8086:1111
"""


@test
def apply_makes_the_file_true():
    reset()
    write(CONF, BASE)
    _, out, _ = apply()
    want = ["+ policy nosnoop_rules priority 10",
            "+ policy strict priority 20 shadow",
            "+ rule nosnoop 1234:11e8 allow snoop no-snoop flush-rate 100/s flush-burst 1",
            "+ rule nosnoop driver opconf-drv deny errno EACCES",
            "+ rule strict device 8086:1111"]
    assert out.splitlines() == want, out
    pol, rules = snapshot()
    assert [(p[0], p[1], p[2]) for p in pol] == [("nosnoop_rules", 10, False),
                                                 ("strict", 20, True)], pol
    keys = sorted((r["table"], r["key"]) for r in rules)
    assert keys == [("nosnoop", "1234:11e8"), ("nosnoop", "driver opconf-drv"),
                    ("strict", "device 8086:1111")], keys


@test
def apply_twice_is_no_change():
    reset()
    write(CONF, BASE)
    apply()
    before = snapshot()
    _, out, _ = apply()
    assert out == "no change\n", out
    assert snapshot() == before, (before, snapshot())


@test
def dry_run_prints_the_difference_changes_nothing():
    reset()
    write(CONF, BASE)
    apply()
    before = snapshot()
    write(CONF, BASE.replace("priority 10", "priority 15")
          .replace("rule nosnoop driver opconf-drv deny errno EACCES\n",
                   "rule nosnoop default allow snoop enforce\n"))
    _, out, _ = apply("--dry-run")
    want = ["- rule nosnoop driver opconf-drv deny errno EACCES",
            "- policy nosnoop_rules priority 10",
            "+ policy nosnoop_rules priority 15",
            "+ rule nosnoop default allow snoop enforce"]
    assert out.splitlines() == want, out
    assert snapshot() == before, (before, snapshot())
    # And made so, the link kept (a replace, no gap), a dry run again: none.
    apply()
    pol, rules = snapshot()
    assert ("nosnoop_rules", 15, False, links()["nosnoop_rules"]) in pol, pol
    assert links()["nosnoop_rules"] == dict((p[0], p[3]) for p in before[0])["nosnoop_rules"]
    assert "driver opconf-drv" not in [r["key"] for r in rules], rules
    _, out, _ = apply("--dry-run")
    assert out == "no change\n", out


def bad_file(text, where, reason, dfile=None):
    """A malformed configuration: one line FILE:LINE: reason, exit 1, nothing changed."""
    write(CONF, BASE if dfile else text)
    if dfile:
        write(CONF + ".d/" + dfile, text)
    before = snapshot()
    rc, out, err = apply(check=None)
    shutil.rmtree(CONF + ".d", ignore_errors=True)
    want = "%s: %s" % (where, reason)
    if rc != 1 or err != want + "\n" or out:
        raise AssertionError("exit %d, stdout %r, stderr %r; want exit 1 and %r" %
                             (rc, out, err, want))
    assert snapshot() == before, (before, snapshot())


@test
def malformed_file_changes_nothing():
    reset()
    write(CONF, BASE)
    apply()
    # The error is on the line it names, whatever came before it.
    bad_file(BASE + "polcy strict\n", CONF + ":7",
             "unknown directive 'polcy' (want policy, rule or nodes)")
    bad_file(BASE.replace("1234:11e8", "1234:11e8x"), CONF + ":4",
             "'1234:11e8x' is not VENDOR:DEVICE (4 hex digits each, e.g. 8086:0b25)")
    bad_file(BASE + "\n\nrule nosnoop 8086:2222 allow flush-rate fast\n", CONF + ":9",
             "flush-rate 'fast': want N/s")
    bad_file(BASE.replace("priority 20", "priority -3"), CONF + ":3",
             "priority '-3': want 0..4294967295")
    bad_file(BASE + "policy /etc/ioasid/policies/gone.bpf.o\n", CONF + ":7",
             "policy file /etc/ioasid/policies/gone.bpf.o: No such file or directory")
    bad_file(BASE + "policy ./gone.bpf.o\n", CONF + ":7",
             "policy file /etc/ioasid/./gone.bpf.o: No such file or directory")
    bad_file(BASE + "policy strict\n", CONF + ":7", "policy strict is already given at %s:3" % CONF)
    bad_file(BASE + "rule nosnoop cgroup /no-such-cgroup allow\n", CONF + ":7",
             "cgroup '/no-such-cgroup' (%s/no-such-cgroup): no such cgroup" % CGROUP)
    bad_file(BASE + "nodes mode 999\n", CONF + ":7", "nodes: mode '999': want octal 0000..7777")
    # In a .d file: that file's line.
    bad_file("# more\nrule nosnoop 8086:2222 allw\n", CONF + ".d/10-more.conf:2",
             "'allw': want allow, deny or defer", dfile="10-more.conf")
    # A rule whose table no policy will hold.
    reset()
    write(CONF, "rule strict device 8086:1111\n")
    rc, out, err = apply(check=None)
    assert rc == 1 and err == ("%s:1: the strict policy, which holds this rule's table, is "
                               "neither running nor in the configuration\n" % CONF), (rc, err)
    assert snapshot()[0] == [], snapshot()


@test
def dropped_policy_unloaded_hand_loaded_kept():
    reset()
    write(CONF, BASE + "policy %s/bpf/vfio_compat.bpf.o priority 30\n" % B)
    apply()
    # By hand: a policy and a rule apply did not make.
    ctl("policy", "load", "%s/selftests/emu_deny.bpf.o" % B, "priority", "50", check=0)
    ctl("rule", "add", "nosnoop", "driver", "by-hand", "allow", check=0)
    # strict and the custom object dropped from the file, a rule dropped.
    write(CONF, "policy nosnoop_rules priority 10\n"
          "rule nosnoop 1234:11e8 allow flush-rate 100/s\n")
    _, out, _ = apply()
    lines = out.splitlines()
    for want in ("- policy strict priority 20 shadow", "- policy vfio_compat priority 30",
                 "- rule nosnoop driver opconf-drv deny errno EACCES",
                 "- rule strict device 8086:1111"):
        assert want in lines, out
    names = [p[0] for p in snapshot()[0]]
    assert names == ["nosnoop_rules", "emu_deny"], names
    keys = [r["key"] for r in snapshot()[1]]
    assert "driver by-hand" in keys and "driver opconf-drv" not in keys, keys
    _, out, _ = apply()
    assert out == "no change\n", out


def unit_commands(unit):
    """The unit's ExecStartPre and ExecStart lines, split as systemd does."""
    cmds = {}
    for line in unit.splitlines():
        m = re.match(r"(ExecStartPre|ExecStart)=(.*)", line)
        if m:
            cmds.setdefault(m.group(1), []).append(shlex.split(m.group(2)))
    return cmds


def rmmod_all():
    for m in ("ioasid_vfio", "ioasid_test", "ioasid_pci"):
        if os.path.exists("/sys/module/" + m):
            run(["rmmod", m], check=0)
    for _ in range(50):
        if run(["rmmod", "ioasid"])[0] == 0:
            return
        run(["sleep", "0.1"])
    raise AssertionError("ioasid would not unload")


def restore_modules():
    """As selftests/guest.sh left them for the suites after this one."""
    if not os.path.exists("/sys/module/ioasid"):
        run(["insmod", KMOD + "/ioasid.ko", "allow_unsafe_interrupts=1"], check=0)
    os.chmod("/dev/ioasid", 0o666)
    for m, f in (("ioasid_test", "ioasid_test.ko"), ("ioasid_pci", "ioasid-pci.ko")):
        if not os.path.exists("/sys/module/" + m):
            run(["insmod", KMOD + "/" + f], check=0)


def edu_nodes():
    d = "/dev/ioasid-dev"
    return [os.path.join(d, n) for n in sorted(os.listdir(d))] if os.path.isdir(d) else []


@test
def boot_order_unit_after_module_load():
    """The unit as installed: module gone, ExecStartPre, then ExecStart."""
    reset()
    unit = open(PKG + "/ioasid.service.in").read().replace("@SBINDIR@", B + "/tools")
    cmds = unit_commands(unit)
    assert cmds["ExecStartPre"] == [["/sbin/modprobe", "ioasid"]], cmds
    assert cmds["ExecStart"] == [[CTL, "apply"]], cmds
    write(CONF, BASE)
    rmmod_all()
    try:
        # The test VM has no installed module: the build's stands in for
        # what modprobe loads.
        run(["insmod", KMOD + "/ioasid.ko", "allow_unsafe_interrupts=1"], check=0)
        run(cmds["ExecStart"][0], check=0)
        _, out, _ = ctl("status", check=0)
        assert re.search(r"^nosnoop_rules +priority 10 ", out, re.M), out
        assert re.search(r"^strict +priority 20 +active shadow", out, re.M), out
        _, out, _ = ctl("rule", "list", check=0)
        assert "1234:11e8" in out and "device 8086:1111" in out, out
        _, out, _ = ctl("apply", check=0)
        assert out == "no change\n", out
    finally:
        reset()
        restore_modules()


@test
def udev_rule_sets_nodes():
    """The rule's RUN command sets /dev/ioasid and /dev/ioasid-dev/* as configured."""
    reset()
    rules = open(PKG + "/60-ioasid.rules.in").read().replace("@SBINDIR@", B + "/tools")
    runs = re.findall(r'KERNEL=="ioasid".*RUN\+="([^"]*)"', rules)
    assert runs == [CTL + " apply --nodes-only"], rules
    assert re.search(r'SUBSYSTEM=="ioasid-dev".*RUN\+="%s apply --nodes-only"' % re.escape(CTL),
                     rules), rules
    nodes = ["/dev/ioasid"] + edu_nodes()
    assert len(nodes) >= 2, nodes
    saved = {n: os.stat(n) for n in nodes}
    try:
        write(CONF, BASE + "nodes owner root group users mode 0640\n")
        run(shlex.split(runs[0]), check=0)
        users = int(run(["getent", "group", "users"], check=0)[1].split(":")[2])
        for n in nodes:
            st = os.stat(n)
            assert (st.st_uid, st.st_gid, st.st_mode & 0o7777) == (0, users, 0o640), (n, st)
        # Nodes only: no policy was loaded.
        assert snapshot()[0] == [], snapshot()
        # udevadm, where the VM has it, matches the rule and runs the same.
        udevadm = shutil.which("udevadm")
        if udevadm:
            os.makedirs("/run/udev/rules.d", exist_ok=True)
            write("/run/udev/rules.d/60-ioasid.rules", rules)
            rc, out, err = run([udevadm, "test", "--action=add", "/sys/class/misc/ioasid"])
            os.unlink("/run/udev/rules.d/60-ioasid.rules")
            assert ("run: '%s apply --nodes-only'" % CTL) in out + err, out + err
    finally:
        for n, st in saved.items():
            os.chown(n, st.st_uid, st.st_gid)
            os.chmod(n, st.st_mode & 0o7777)


@test
def cgroup_paths_as_proc_self_cgroup_writes_them():
    """policy test --cgroup: /ops and 0::/ops mean /sys/fs/cgroup/ops."""
    reset()
    cg = CGROUP + "/opconf-ops"
    os.makedirs(cg, exist_ok=True)
    try:
        want = os.stat(cg).st_ino
        for path in (cg, "/opconf-ops", "0::/opconf-ops"):
            _, out, _ = ctl("-j", "policy", "test", "--device", "8086:1111", "--cgroup", path,
                            check=0)
            assert json.loads(out)["device"]["cgroup_id"] == want, (path, out)
        own = open("/proc/self/cgroup").read().strip().split("\n")[-1]
        _, out, _ = ctl("-j", "policy", "test", "--device", "8086:1111", "--cgroup", own, check=0)
        assert json.loads(out)["device"]["cgroup_id"] == \
            os.stat(CGROUP + own.split("::", 1)[1]).st_ino, (own, out)
        # A rule keyed by such a path (config or rule add) is the same cgroup.
        ctl("policy", "load", "nosnoop_rules", check=0)
        ctl("rule", "add", "nosnoop", "cgroup", "0::/opconf-ops", "allow", check=0)
        _, out, _ = ctl("-j", "rule", "list", check=0)
        assert "cgroup %d" % want in [r["key"] for r in json.loads(out)], out
    finally:
        reset()
        os.rmdir(cg)


def flush_record(pid):
    """ioasidctl decisions' line and JSON record of @pid's cache flush."""
    _, text, _ = ctl("decisions", check=0)
    _, js, _ = ctl("-j", "decisions", check=0)
    lines = [ln for ln in text.splitlines()
             if " cache-flush " in ln and " pid %d " % pid in ln]
    recs = [r for r in json.loads(js) if r["op"] == "cache-flush" and r["pid"] == pid]
    assert len(lines) == 1 and len(recs) == 1, (text, recs)
    return lines[0], recs[0]


def flush_once():
    _, out, _ = run([FLUSH], check=0)
    m = re.match(r"pid (\d+) flush (-?\d+)$", out.strip())
    assert m, out
    return int(m.group(1)), int(m.group(2))


def edu():
    for d in sorted(os.listdir("/sys/bus/pci/devices")):
        base = "/sys/bus/pci/devices/" + d
        if open(base + "/vendor").read().strip() == "0x1234" and \
           open(base + "/device").read().strip() == "0x11e8":
            return d
    return None


@test
def flush_decision_names_owner_devices_and_grant():
    reset()
    write(CONF, "policy nosnoop_rules\nrule nosnoop 1234:11e8 allow flush-rate 100/s\n")
    apply()
    pid, rc = flush_once()
    assert rc == 0, rc
    line, rec = flush_record(pid)
    want = ("fd %d pid %d uid 0, 1 attached (1234:11e8 %s, 1 non-coherent): allow by builtin; "
            "grant 100/s burst 1 by nosnoop_rules at attach: " % (rec["fd_id"], pid, edu()))
    assert want in line and line.split(want)[1], (line, want)
    assert (rec["nr_attached"], rec["nr_noncoherent"], rec["vendor"], rec["device"],
            rec["grant_policy"], rec["flush_rate"], rec["flush_burst"], rec["flush_grant"]) == \
        (1, 1, 0x1234, 0x11e8, "nosnoop_rules", 100, 1, True), rec
    assert rec["grant_reason"] and rec["bdf"] == edu(), rec


@test
def refused_flush_decision_names_owner_devices_and_reason():
    reset()
    # The built-in: snoop enforced on this IOMMU, so no flush grant.
    pid, rc = flush_once()
    assert rc == -1, rc
    line, rec = flush_record(pid)
    want = ("fd %d pid %d uid 0, 1 attached (1234:11e8 %s, 0 non-coherent): "
            "deny (EPERM) by the core: no cache-flush grant" % (rec["fd_id"], pid, edu()))
    assert line.endswith(want), (line, want)
    assert (rec["nr_attached"], rec["nr_noncoherent"], rec["vendor"], rec["flush_grant"],
            rec["grant_policy"]) == (1, 0, 0x1234, False, ""), rec


def main():
    print("TAP version 13")
    print("1..%d" % len(results))
    failed = 0
    overlay_etc()
    os.makedirs("/run/ioasid", exist_ok=True)
    for i, fn in enumerate(results, 1):
        try:
            fn()
            print("ok %d opconf.%s" % (i, fn.__name__))
        except Exception as e:  # report and go on
            failed += 1
            for line in str(e).splitlines() or [repr(e)]:
                print("# " + line)
            print("not ok %d opconf.%s" % (i, fn.__name__))
        finally:
            reset()
    shutil.rmtree(tmp, ignore_errors=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
