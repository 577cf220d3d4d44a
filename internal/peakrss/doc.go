// Command peakrss runs a program and writes down its own peak resident set,
// CPU time and wall time: what the process benchmarks report per plugin
// process.
//
// A benchmark cannot read that from the rusage of a child it starts itself:
// Linux carries a process's peak RSS across execve from the memory it
// replaces, and Go starts children with vfork, so a child's ru_maxrss is
// at least the benchmark process's own high-water mark (the test process of
// the Kubernetes benchmarks reaches 33-38 MB reading the API server's
// metrics; the plugin itself stays near 14 MB). Started from this small
// program, the plugin inherits only its few MB, below anything the plugin
// uses.
//
// Usage: PEAKRSS_OUT=file peakrss program [args...]. Standard input, output,
// error and the environment pass through; the exit code is the program's.
// The file gets one line: "<maxrss KB> <wall ns> <cpu ns>".
//
// It is a test tool and must not be imported.
package main
