# bash completion for bugtrack(1).
#
# The command names and each command's options come from the tool itself
# (`bugtrack __complete [COMMAND]`, read from the option tables its parser
# uses), so this script cannot fall behind the tool.  Installed to
# share/bash-completion/completions/bugtrack; or source it by hand.

_bugtrack_values()
{
	case $1 in
	--color) echo "auto always never" ;;
	--status) echo "new triaged in_progress awaiting_verification resolved closed open" ;;
	--severity|--severity-min) echo "low medium high critical" ;;
	--priority) echo "low medium high urgent" ;;
	--level|--level-min) echo "debug info warning error critical" ;;
	--sort) echo "last count severity created" ;;
	--format) echo "csv json ndjson table" ;;
	--since|--until|--changed-since) echo "now today yesterday 1h 1d 1w" ;;
	esac
}

_bugtrack()
{
	local cur prev cmd i words
	COMPREPLY=()
	cur=${COMP_WORDS[COMP_CWORD]}
	prev=${COMP_WORDS[COMP_CWORD-1]}

	# The command: the first word that is not an option or an option's value.
	cmd=
	for ((i = 1; i < COMP_CWORD; i++)); do
		case ${COMP_WORDS[i]} in
		--db|--color) ((i++)) ;;
		-*) ;;
		*) cmd=${COMP_WORDS[i]}; break ;;
		esac
	done

	case $prev in
	--db|--output|-o)
		COMPREPLY=($(compgen -f -- "$cur"))
		return ;;
	--*)
		words=$(_bugtrack_values "$prev")
		if [[ -n $words ]]; then
			COMPREPLY=($(compgen -W "$words" -- "$cur"))
			return
		fi ;;
	esac

	if [[ -z $cmd ]]; then
		if [[ $cur == -* ]]; then
			COMPREPLY=($(compgen -W "--db --color --utc --help --version" -- "$cur"))
		else
			COMPREPLY=($(compgen -W "$("${COMP_WORDS[0]}" __complete 2>/dev/null)" -- "$cur"))
		fi
		return
	fi
	if [[ $cmd == help ]]; then
		COMPREPLY=($(compgen -W "$("${COMP_WORDS[0]}" __complete 2>/dev/null)" -- "$cur"))
		return
	fi
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$("${COMP_WORDS[0]}" __complete "$cmd" 2>/dev/null)" \
			-- "$cur"))
		return
	fi
	case $cmd in
	export) COMPREPLY=($(compgen -W "tickets logs events" -- "$cur")) ;;
	report) COMPREPLY=($(compgen -W "summary top components daily mttr" -- "$cur")) ;;
	migrate) COMPREPLY=($(compgen -W "status up stamp list" -- "$cur")) ;;
	token) COMPREPLY=($(compgen -W "create list revoke" -- "$cur")) ;;
	import) COMPREPLY=($(compgen -f -- "$cur")) ;;
	esac
}

complete -F _bugtrack bugtrack
