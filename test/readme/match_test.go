package readme

import (
	"fmt"
	"regexp"
	"strings"
)

// elided, as a line of the README's output, stands for any lines.
const elided = "..."

var (
	spaces = regexp.MustCompile(`[ \t]+`)
	// age is kubectl's AGE column, last on a line: 30s, 5m2s, 3h, 2d4h.
	age = regexp.MustCompile(` (\d+[smhd]){1,2}$`)
	// token is the console's random session token, "token=..." in the
	// README.
	token = regexp.MustCompile(`token=[0-9a-f]+`)
)

// normalize makes a line comparable: runs of spaces as one, no trailing
// space, an age at the end as "<age>", the console's token as "...".
func normalize(l string) string {
	l = strings.TrimRight(spaces.ReplaceAllString(l, " "), " ")
	l = token.ReplaceAllString(l, "token=...")
	return age.ReplaceAllString(l, " <age>")
}

// matches reports whether got is what want shows, line by line after
// normalize, each "..." of want standing for any number of lines.
func matches(want, got []string) bool {
	want, got = normalized(want), normalized(got)
	// memo[i][j]: want[i:] against got[j:] was tried and failed.
	memo := make([][]bool, len(want)+1)
	for i := range memo {
		memo[i] = make([]bool, len(got)+1)
	}
	var match func(i, j int) bool
	match = func(i, j int) bool {
		if i == len(want) {
			return j == len(got)
		}
		if memo[i][j] {
			return false
		}
		ok := false
		if want[i] == elided {
			for k := j; k <= len(got) && !ok; k++ {
				ok = match(i+1, k)
			}
		} else {
			ok = j < len(got) && want[i] == got[j] && match(i+1, j+1)
		}
		if !ok {
			memo[i][j] = true
		}
		return ok
	}
	return match(0, 0)
}

// normalized is lines after normalize, without the empty lines at the
// end that a command's final newline leaves.
func normalized(lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = normalize(l)
	}
	for len(out) > 0 && out[len(out)-1] == "" {
		out = out[:len(out)-1]
	}
	return out
}

// outputLines splits a command's output; no output is no lines.
func outputLines(out string) []string {
	if out == "" {
		return nil
	}
	return strings.Split(strings.TrimRight(out, "\n"), "\n")
}

// show prints want and got for a failure message.
func show(want, got []string) string {
	return fmt.Sprintf("the README shows:\n    %s\nit printed:\n    %s",
		strings.Join(want, "\n    "), strings.Join(got, "\n    "))
}
