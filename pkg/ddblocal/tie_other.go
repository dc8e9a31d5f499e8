//go:build !linux

package ddblocal

import "os/exec"

// startTied starts cmd. Without a parent-death signal, the tie is the standard input of
// the loopback launcher alone (see launcher.command); the jar run as shipped is not
// tied at all and outlives a killed process.
func startTied(cmd *exec.Cmd) error { return cmd.Start() }

// checkListener cannot tell who holds a port here: Start relies on the port having been
// free just before and on the engine still running after it answered.
func checkListener(pid, port int) error { return nil }
