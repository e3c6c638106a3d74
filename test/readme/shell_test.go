package readme

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// shell runs code as a reader's one shell session would: in the
// repository's root, with what earlier code exported (kept in a file
// between runs, as each run is a new bash).
type shell struct {
	dir   string // where the commands run
	state string // the file of exported variables
	env   []string
	// replace rewrites the code before it runs (the cache's path, where
	// KNAPP_CACHE moved it from the README's ~/.cache/knapp).
	replace *strings.Replacer
}

// blockTimeout bounds one run of a block's commands: they take seconds,
// and kubectl wait in them allows 30 s.
const blockTimeout = 3 * time.Minute

func newShell(dir, stateDir string) *shell {
	var env []string
	for _, e := range os.Environ() {
		// The reader's shell has none of these from the test; the README
		// sets KUBECONFIG itself.
		if strings.HasPrefix(e, "KUBECONFIG=") {
			continue
		}
		env = append(env, e)
	}
	sh := &shell{dir: dir, state: filepath.Join(stateDir, "exports"), env: env, replace: strings.NewReplacer()}
	if cache := os.Getenv("KNAPP_CACHE"); cache != "" {
		if home, err := os.UserHomeDir(); err == nil && filepath.Clean(cache) != filepath.Join(home, ".cache", "knapp") {
			sh.replace = strings.NewReplacer("~/.cache/knapp", cache)
		}
	}
	return sh
}

// run runs code and returns what it printed to stdout and stderr, in
// order, as a terminal shows them. A command that fails does not stop the
// rest, as in an interactive shell; what it printed is its answer.
func (s *shell) run(ctx context.Context, code string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, blockTimeout)
	defer cancel()
	cmd := s.bash(ctx, s.replace.Replace(code)+"\nexport -p >\"$KNAPP_README_STATE\"\n")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out // one pipe: the order stays
	err := cmd.Run()
	if ctx.Err() != nil {
		return out.String(), ctx.Err()
	}
	_ = err // a command's failure is part of its output
	return out.String(), nil
}

// serve starts code, a command that keeps running (kubectl knapp
// console), as the reader's shell would, and returns its first line of
// output; stop ends it as Ctrl-C does.
func (s *shell) serve(ctx context.Context, code string) (first string, stop func(), err error) {
	cmd := s.bash(context.Background(), "exec "+s.replace.Replace(code)+"\n")
	out, err := cmd.StdoutPipe()
	if err != nil {
		return "", func() {}, err
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		return "", func() {}, err
	}
	stop = func() {
		_ = cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-done
		}
	}
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		if sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
		_, _ = io.Copy(io.Discard, out)
	}()
	select {
	case l, ok := <-lines:
		if !ok {
			stop()
			return "", func() {}, fmt.Errorf("%s printed nothing and ended", code)
		}
		return l, stop, nil
	case <-ctx.Done():
		stop()
		return "", func() {}, ctx.Err()
	case <-time.After(blockTimeout):
		stop()
		return "", func() {}, fmt.Errorf("%s printed nothing in %s", code, blockTimeout)
	}
}

// bash is script run by bash in the reader's session: in the repository,
// with what earlier code exported.
func (s *shell) bash(ctx context.Context, script string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "bash", "-c", "[ -f \"$KNAPP_README_STATE\" ] && . \"$KNAPP_README_STATE\"\n"+script)
	cmd.Dir = s.dir
	cmd.Env = append(s.env, "KNAPP_README_STATE="+s.state)
	return cmd
}
