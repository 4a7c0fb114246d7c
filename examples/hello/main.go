// Command hello is the sample program go-macos-sign builds for darwin/arm64 and darwin/amd64 in its demo and tests.
package main

import (
	"fmt"
	"runtime"
)

func main() {
	fmt.Printf("hello from %s/%s\n", runtime.GOOS, runtime.GOARCH)
}
