package main

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// completion prints the completion script of a shell, made from the
// commands table: the command names, and for each the long flags its
// synopsis names. Other words complete as file names.
func completion(args []string, stdout io.Writer) error {
	if len(args) != 1 {
		return usageError{fmt.Errorf("name a shell: bash or zsh")}
	}
	var visible []command
	for _, c := range commands() {
		if !c.hidden {
			visible = append(visible, c)
		}
	}
	switch args[0] {
	case "bash":
		return bashCompletion(stdout, visible)
	case "zsh":
		return zshCompletion(stdout, visible)
	}
	return usageError{fmt.Errorf("no completion for shell %q: bash or zsh", args[0])}
}

func bashCompletion(w io.Writer, cmds []command) error {
	b := bufio.NewWriter(w)
	var names []string
	for _, c := range cmds {
		names = append(names, c.name)
	}
	fmt.Fprintf(b, `# bash completion for pxed; made by pxed completion bash
_pxed() {
	local cur=${COMP_WORDS[COMP_CWORD]} flags=
	if [ "$COMP_CWORD" -eq 1 ]; then
		COMPREPLY=($(compgen -W '%s' -- "$cur"))
		return
	fi
	case ${COMP_WORDS[1]} in
`, strings.Join(names, " "))
	for _, c := range cmds {
		if fl := c.flags(); len(fl) > 0 {
			fmt.Fprintf(b, "\t%s) flags='%s' ;;\n", c.name, strings.Join(fl, " "))
		}
	}
	b.WriteString(`	esac
	if [[ $cur == -* ]]; then
		COMPREPLY=($(compgen -W "$flags" -- "$cur"))
	else
		# Nothing here: complete -o default completes file names.
		COMPREPLY=()
	fi
}
complete -o default -F _pxed pxed
`)
	return b.Flush()
}

func zshCompletion(w io.Writer, cmds []command) error {
	b := bufio.NewWriter(w)
	b.WriteString(`#compdef pxed
# zsh completion for pxed; made by pxed completion zsh
_pxed() {
	local -a commands flags
	commands=(
`)
	for _, c := range cmds {
		// _describe reads NAME:DESCRIPTION; a colon in the text is escaped.
		fmt.Fprintf(b, "\t\t'%s:%s'\n", c.name, strings.ReplaceAll(strings.ReplaceAll(c.summary, ":", `\:`), "'", `'\''`))
	}
	b.WriteString(`	)
	if (( CURRENT == 2 )); then
		_describe -t commands 'pxed command' commands
		return
	fi
	case $words[2] in
`)
	for _, c := range cmds {
		if fl := c.flags(); len(fl) > 0 {
			fmt.Fprintf(b, "\t%s) flags=(%s) ;;\n", c.name, strings.Join(fl, " "))
		}
	}
	b.WriteString(`	esac
	if [[ $PREFIX == -* ]]; then
		compadd -- $flags
	else
		_files
	fi
}
_pxed "$@"
`)
	return b.Flush()
}
