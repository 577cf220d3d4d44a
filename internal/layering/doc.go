// Package layering holds no code: its test checks, on the package graph
// `go list` reports for Linux and for Windows, the import rules that the
// package docs state (plugin on top; dataplane, ipam and the datastore
// backends apart from each other; hns knowing nothing of Calico), and, on
// plugin's type-checked sources, that plugin uses of hns only the types it
// passes through (hnsuse_test.go).
package layering
