# SPDX-License-Identifier: GPL-2.0
# bash completion for ioasidctl(8). Install as
# /usr/share/bash-completion/completions/ioasidctl.

_ioasidctl_policies()
{
	local f
	for f in /sys/kernel/ioasid/policy/*/link_id; do
		[ -e "$f" ] && basename "$(dirname "$f")"
	done
}

_ioasidctl_pci()
{
	local d
	for d in /sys/bus/pci/devices/*; do
		[ -e "$d/iommu_group" ] && basename "$d"
	done
}

_ioasidctl()
{
	local cur prev words cword i obj="" cmd="" nonopt=0
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD-1]}
	# The object and command are the first two words that are not options.
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		--pin-root) ((i++)) ;;
		-*) ;;
		*)
			((nonopt++))
			[ $nonopt = 1 ] && obj=${COMP_WORDS[i]}
			[ $nonopt = 2 ] && cmd=${COMP_WORDS[i]}
			;;
		esac
	done
	case $prev in
	--pin-root | --cgroup)
		COMPREPLY=($(compgen -d -- "$cur"))
		return
		;;
	--bdf)
		COMPREPLY=($(compgen -W "$(_ioasidctl_pci)" -- "$cur"))
		return
		;;
	esac
	if [ -z "$obj" ]; then
		COMPREPLY=($(compgen -W "status policy rule device decisions bpffs apply
			--json --pretty --pin-root --debug --help --version" -- "$cur"))
		return
	fi
	if [ -z "$cmd" ]; then
		case $obj in
		policy) COMPREPLY=($(compgen -W "list show available load replace unload errors test bypass --help" -- "$cur")) ;;
		rule) COMPREPLY=($(compgen -W "add del list --help" -- "$cur")) ;;
		device) COMPREPLY=($(compgen -W "list bind unbind info --help" -- "$cur")) ;;
		decisions) COMPREPLY=($(compgen -W "--follow --count --help" -- "$cur")) ;;
		bpffs) COMPREPLY=($(compgen -W "mount --help" -- "$cur")) ;;
		apply) COMPREPLY=($(compgen -W "--dry-run --nodes-only --help" -- "$cur")
			$(compgen -f -- "$cur")) ;;
		esac
		return
	fi
	case $obj/$cmd in
	policy/show | policy/unload)
		COMPREPLY=($(compgen -W "$(_ioasidctl_policies)" -- "$cur")) ;;
	policy/replace)
		if [ "$prev" = replace ]; then
			COMPREPLY=($(compgen -W "$(_ioasidctl_policies)" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "vfio_compat strict nosnoop_rules priority map" -- "$cur")
				$(compgen -f -X '!*.bpf.o' -- "$cur"))
		fi ;;
	policy/load)
		if [ "$prev" = load ]; then
			COMPREPLY=($(compgen -W "vfio_compat strict nosnoop_rules" -- "$cur")
				$(compgen -f -X '!*.bpf.o' -- "$cur"))
		else
			COMPREPLY=($(compgen -W "priority shadow map" -- "$cur"))
		fi ;;
	policy/bypass) COMPREPLY=($(compgen -W "on off" -- "$cur")) ;;
	policy/test)
		COMPREPLY=($(compgen -W "--bdf --device --driver --coherent --noncoherent
			--cgroup --pasid --pasid-bits --help" -- "$cur")) ;;
	rule/add | rule/del)
		case $prev in
		add | del) COMPREPLY=($(compgen -W "nosnoop strict" -- "$cur")) ;;
		strict) COMPREPLY=($(compgen -W "device pasid-driver" -- "$cur")) ;;
		nosnoop) COMPREPLY=($(compgen -W "bdf subsys driver uid cgroup default" -- "$cur")) ;;
		snoop) COMPREPLY=($(compgen -W "enforce nosnoop default" -- "$cur")) ;;
		*)
			[ "$cmd" = add ] && COMPREPLY=($(compgen -W "allow deny defer snoop
				flush flush-rate flush-burst pasid errno" -- "$cur")) ;;
		esac ;;
	device/bind | device/unbind | device/info)
		COMPREPLY=($(compgen -W "$(_ioasidctl_pci)" -- "$cur")) ;;
	device/list) COMPREPLY=($(compgen -W "--all" -- "$cur")) ;;
	esac
}
complete -F _ioasidctl ioasidctl
