package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strconv"
	"time"

	"knapp.dev/knapp/test/stack"
)

// startKnapp runs bin/knapp as a child process against s's control plane,
// serving its webhooks there (so /proc measures all of knapp), with its
// metrics, probe and hook ports off: nothing scrapes them, and two runs
// must not collide. Its log goes to dir, named knapp-<n><logSuffix>.log.
func startKnapp(ctx context.Context, s *session, o *options, dir string, n int, logSuffix string, extraArgs ...string) (*stack.Process, error) {
	// One proxy per control plane: a path is registered once, and a
	// restarted knapp serves on the same port.
	if s.hooks == nil {
		hooks, err := stack.ProxyKnappWebhooks(s.env)
		if err != nil {
			return nil, err
		}
		s.hooks = &hooks
	}
	hooks := *s.hooks
	kubeconfig, err := writeKubeconfig(s, filepath.Join(dir, fmt.Sprintf("kubeconfig-%d", n)))
	if err != nil {
		return nil, err
	}
	args := append([]string{"--metrics-bind-address=0", "--health-probe-bind-address=0", "--hook-bind-address=0",
		"--concurrent-reconciles=" + strconv.Itoa(o.Workers)}, hooks.Args()...)
	args = append(args, extraArgs...)
	p, err := stack.Knapp{
		Bin: o.KnappBin, Dir: o.root, Kubeconfig: kubeconfig, Args: args,
		LogFile: filepath.Join(dir, fmt.Sprintf("knapp-%d%s.log", n, logSuffix)),
	}.Start()
	if err != nil {
		return nil, err
	}
	if err := hooks.WaitUntilServing(ctx, p, time.Minute); err != nil {
		p.Stop()
		return nil, err
	}
	return p, nil
}

// writeKubeconfig provisions an admin user for knapp, as make dev does.
func writeKubeconfig(s *session, path string) (string, error) {
	return path, stack.WriteKubeconfig(s.env, "knapp", path)
}
