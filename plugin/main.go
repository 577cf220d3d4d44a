package plugin

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/containernetworking/cni/pkg/skel"
	"github.com/containernetworking/cni/pkg/version"
)

// Version is set at build time (-ldflags "-X github.com/calico-win/cni/plugin.Version=...").
var Version = "dev"

// SupportedVersions are the CNI spec versions both plugins speak.
var SupportedVersions = version.PluginSupports("0.3.0", "0.3.1", "0.4.0", "1.0.0", "1.1.0")

// Main runs the plugin the program was invoked as: calico-ipam(.exe) runs
// the IPAM plugin, any other name the main plugin, as Calico's single binary does.
func Main() {
	name := strings.TrimSuffix(strings.ToLower(filepath.Base(os.Args[0])), ".exe")
	if strings.HasPrefix(name, "calico-ipam") {
		MainIPAM()
		return
	}
	MainCalico()
}

// MainIPAM runs calico-ipam.
func MainIPAM() {
	if len(os.Args) > 1 && (os.Args[1] == "-v" || os.Args[1] == "--version") {
		fmt.Println(Version)
		return
	}
	skel.PluginMainFuncs(IPAMFuncs, SupportedVersions, "calico-win calico-ipam "+Version)
}

// MainCalico runs the main plugin. Besides the CNI commands it has Calico's
// two flags: -v prints the version, -t tests the datastore connection with
// the network config on stdin (CNI error code 100 on failure).
func MainCalico() {
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "-v", "--version":
			fmt.Println(Version)
			return
		case "-t":
			os.Exit(testConnection(os.Stdin, os.Stdout))
		}
	}
	skel.PluginMainFuncs(CalicoFuncs, SupportedVersions, "calico-win calico "+Version)
}
