# shellcheck shell=bash disable=SC2154,SC2054 # run's variables; QEMU options have commas
# Sourced by tools/vm/run when VM=vng: run the same VM through virtme-ng.
#
# Uses run's parsed options (kernel, guest_mods, iommu, edu, edug, devices,
# qargs, mem, smp, append, timeout, accel, quiet, repo, cwd). What is lost
# compared with the built-in runner (see README.md):
#   * no separate kernel log and no scan-log: virtme-ng owns the console, so
#     kernel problems do not turn into exit status 3; --log is ignored;
#   * --accel auto means virtme-ng's own choice (KVM when /dev/kvm is usable,
#     without our probe boot); --accel tcg maps to --disable-kvm;
#   * the guest environment is virtme-ng's (its init, its mounts: the root is
#     a copy-on-write snapshot, only the repo is written through);
#   * the exit status is whatever vng returns for --exec (recent versions
#     return the command's status).
# Kept: kernel, modules, IOMMU, edu topology, extra devices/args, memory,
# CPUs, command line, cwd, timeout (wrapped with timeout(1)) and the guest
# monitor port (wired through --qemu-opts).

exec_vng() {
	command -v vng >/dev/null 2>&1 ||
		die "VM=vng but vng (virtme-ng) is not on PATH; unset VM to use the built-in runner"

	local v=(vng --run "$kernel" --disable-microvm --memory "$mem" --cpus "$smp"
		--rwdir "$repo" --cwd "$cwd")
	[ -n "$guest_mods" ] && v+=(--rodir "/lib/modules=$guest_mods")
	[ "$accel" = tcg ] && v+=(--disable-kvm)
	[ -n "$quiet" ] || v+=(--verbose)

	# virtme-ng picks the machine type (pc under KVM); PCIe ports and
	# intel-iommu need q35. -machine options merge in QEMU.
	local qo=(-machine q35)
	case $iommu in
	none) ;;
	intel | intel,*)
		local opts=${iommu#intel}
		[[ $opts == *intremap=* ]] || opts=",intremap=off$opts"
		qo+=(-machine kernel-irqchip=split -device "intel-iommu$opts")
		append="intel_iommu=on $append" ;;
	virtio) qo+=(-device virtio-iommu-pci) ;;
	*) die "--iommu none | intel[,opt=val...] | virtio" ;;
	esac
	local i
	for ((i = 0; i < edu; i++)); do
		qo+=(-device "pcie-root-port,id=rp_edu$i,chassis=$((i + 1)),slot=$((i + 101))"
			-device "edu,id=edu$i,bus=rp_edu$i")
	done
	if ((edug > 0)); then
		qo+=(-device "pcie-root-port,id=rp_edug,chassis=100,slot=200"
			-device "pcie-pci-bridge,id=br_edug,bus=rp_edug")
		for ((i = 0; i < edug; i++)); do
			qo+=(-device "edu,id=edug$i,bus=br_edug,addr=$((i + 1))")
		done
	fi
	# Same monitor wiring as run, on a virtio-serial controller of our own.
	local sock
	sock=$(mktemp -u "${TMPDIR:-/tmp}/ioasid-vng-mon.XXXXXX")
	qo+=(-chardev "socket,id=monsrv,path=$sock,server=on,wait=off"
		-mon chardev=monsrv,mode=readline
		-chardev "socket,id=monport,path=$sock"
		-device virtio-serial-pci,id=ioasid_vser
		-device virtserialport,chardev=monport,name=org.ioasid.monitor,bus=ioasid_vser.0)
	local d
	for d in ${devices[@]+"${devices[@]}"}; do qo+=(-device "$d"); done
	qo+=(${qargs[@]+"${qargs[@]}"})

	[ -n "${append// /}" ] && v+=(--append "$append")

	# vng hands --qemu-opts and --exec to a shell: quote each word.
	local qs cmd
	qs=$(printf '%q ' "${qo[@]}")
	if [ $# -eq 1 ] && [[ $1 =~ [[:space:]] ]]; then
		cmd=$1
	else
		cmd=$(printf '%q ' "$@")
	fi
	v+=(--exec "export IOASID_VM=1; $cmd")
	# --qemu-opts swallows the rest of virtme-run's command line: keep it last.
	v+=(--qemu-opts "$qs")

	say "VM=vng: $kver | iommu $iommu | handing over to virtme-ng (no log scan)"
	exec timeout --foreground -k 10 "$timeout" "${v[@]}"
}
