package main

import (
	"fmt"
	"os"
)

func main() {
	fmt.Fprintln(os.Stderr, "peakrss: Linux only")
	os.Exit(2)
}
