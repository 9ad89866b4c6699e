package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"spotdeck/azure"
)

// confirmChange asks the operator to confirm, unless --yes was given. Without a terminal
// on stdin nobody can answer, so the change is refused rather than assumed.
func confirmChange(cmd *cobra.Command, yes bool, plan azure.ActionPlan) error {
	if yes {
		return nil
	}
	in := cmd.InOrStdin()
	if !isTerminalReader(in) {
		return codedError{exitNotConfirmed, fmt.Errorf("needs --yes: stdin is not a "+
			"terminal, so nobody can confirm this: %s", plan.Description)}
	}
	return askToConfirm(in, cmd.ErrOrStderr(), plan)
}

// askToConfirm names the targets and the effect, then reads the answer: the scale set's
// name for a destructive change, y or yes for the others. The questions go to stderr so
// that stdout keeps only the result.
func askToConfirm(in io.Reader, out io.Writer, plan azure.ActionPlan) error {
	fmt.Fprintf(out, "About to %s.\n", plan.Description)
	for _, warning := range plan.Warnings {
		fmt.Fprintf(out, "Note: %s.\n", warning)
	}
	name := plan.Action.ScaleSet
	if plan.Destructive {
		fmt.Fprintf(out, "This cannot be undone. Type the scale set's name (%s) to go "+
			"ahead: ", name)
	} else {
		fmt.Fprint(out, "Go ahead? [y/N] ")
	}
	answer, err := readAnswer(in)
	if err != nil {
		return codedError{exitNotConfirmed, fmt.Errorf("not confirmed: %w; nothing was "+
			"changed", err)}
	}
	if plan.Destructive && answer != name {
		return codedError{exitNotConfirmed, fmt.Errorf("not confirmed: %q is not the scale "+
			"set's name %q; nothing was changed", answer, name)}
	}
	if !plan.Destructive && !isYes(answer) {
		return codedError{exitNotConfirmed, errors.New("not confirmed; nothing was changed")}
	}
	return nil
}

// readAnswer reads one line, without its line ending and surrounding blanks.
func readAnswer(in io.Reader) (string, error) {
	line, err := bufio.NewReader(in).ReadString('\n')
	if err != nil && line == "" {
		if errors.Is(err, io.EOF) {
			return "", errors.New("no answer (end of input)")
		}
		return "", err
	}
	return strings.TrimSpace(line), nil
}

func isYes(answer string) bool {
	switch strings.ToLower(answer) {
	case "y", "yes":
		return true
	}
	return false
}

// isTerminalReader tells whether r is a terminal an operator types into.
func isTerminalReader(r io.Reader) bool {
	f, ok := r.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}
