// Package freeport picks free TCP ports on the loopback interface for local servers that
// take their port as a flag (DynamoDB Local, the Lambda emulator).
package freeport

import (
	"fmt"
	"net"
)

// Get returns n distinct ports that were free a moment ago on 127.0.0.1. It holds all n
// listeners until it returns, so that the ports differ from each other; another process
// may still take one before the caller binds it.
func Get(n int) ([]int, error) {
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("free port: %w", err)
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
