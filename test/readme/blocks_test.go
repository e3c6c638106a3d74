package readme

import (
	"fmt"
	"regexp"
	"strings"
)

// block is one shell block of the README and the output block after it.
type block struct {
	line int      // the README line of the block's opening fence
	code string   // the commands, as a reader pastes them
	want []string // the lines the README shows they print
}

// section returns the lines of the README section headed heading (a "## "
// line), up to the next such heading, and the README line number of the
// first.
func section(readme, heading string) ([]string, int, error) {
	lines := strings.Split(readme, "\n")
	for i, l := range lines {
		if l != heading {
			continue
		}
		end := len(lines)
		for j := i + 1; j < len(lines); j++ {
			if strings.HasPrefix(lines[j], "## ") {
				end = j
				break
			}
		}
		return lines[i+1 : end], i + 2, nil
	}
	return nil, 0, fmt.Errorf("the README has no line %q", heading)
}

// blocks pairs each ```sh block of lines with the unlabelled fenced block
// that follows it. A shell block without one is an error: the reader would
// not know what to expect.
func blocks(lines []string, first int) ([]block, error) {
	type fence struct {
		line int
		lang string
		body []string
	}
	var fences []fence
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if !strings.HasPrefix(l, "```") {
			continue
		}
		f := fence{line: first + i, lang: strings.TrimPrefix(l, "```")}
		for i++; i < len(lines) && lines[i] != "```"; i++ {
			f.body = append(f.body, lines[i])
		}
		if i == len(lines) {
			return nil, fmt.Errorf("README line %d: the block does not end", f.line)
		}
		fences = append(fences, f)
	}
	var out []block
	for i, f := range fences {
		if f.lang != "sh" {
			continue
		}
		if i+1 >= len(fences) || fences[i+1].lang != "" {
			return nil, fmt.Errorf("README line %d: the shell block has no output block after it", f.line)
		}
		out = append(out, block{line: f.line, code: strings.Join(f.body, "\n"), want: fences[i+1].body})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("README line %d on: no shell blocks", first)
	}
	return out, nil
}

// command is one command of a block: continuation lines and here-documents
// joined in.
type command struct {
	text string
	// read: a kubectl command that changes nothing (get, wait, explain,
	// describe, events, knapp's get, describe and route), safe to run
	// again.
	read bool
}

var (
	heredoc = regexp.MustCompile(`<<-?\s*'?"?([A-Za-z_]+)'?"?`)
	reads   = regexp.MustCompile(`^kubectl\s+((knapp\s+)?(get|describe|route)|wait|explain|events)\s`)
	// console: kubectl knapp console keeps running until Ctrl-C.
	console = regexp.MustCompile(`^kubectl\s+knapp\s+console\b`)
)

// commands splits a block into commands, leaving out blank lines and
// comments.
func commands(code string) []command {
	lines := strings.Split(code, "\n")
	var out []command
	for i := 0; i < len(lines); i++ {
		l := lines[i]
		if t := strings.TrimSpace(l); t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		text := l
		for strings.HasSuffix(l, `\`) && i+1 < len(lines) {
			i++
			l = lines[i]
			text += "\n" + l
		}
		if m := heredoc.FindStringSubmatch(text); m != nil {
			for i+1 < len(lines) {
				i++
				text += "\n" + lines[i]
				if lines[i] == m[1] {
					break
				}
			}
		}
		out = append(out, command{text: text, read: reads.MatchString(text)})
	}
	return out
}

// split cuts cmds after the last command that is not a read: what runs
// once, and the reads after it, which may run again.
func split(cmds []command) (once, again []command) {
	last := -1
	for i, c := range cmds {
		if !c.read {
			last = i
		}
	}
	return cmds[:last+1], cmds[last+1:]
}

func join(cmds []command) string {
	texts := make([]string, len(cmds))
	for i, c := range cmds {
		texts[i] = c.text
	}
	return strings.Join(texts, "\n")
}

// serving is the index of the command that starts kubectl knapp console,
// or -1.
func serving(cmds []command) int {
	for i, c := range cmds {
		if console.MatchString(c.text) {
			return i
		}
	}
	return -1
}
