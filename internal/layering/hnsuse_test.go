package layering

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// hnsPassThrough is all that plugin may use of package hns (plugin's doc
// says why): the types it hands from the HNS client to the dataplane and
// back, the endpoint fields it reports (log, result), the DNS it maps from
// the netconf, and the classifiers with which errors.go maps HNS errors to
// CNI codes. A method of hns.Client, a policy, a flag or any other field
// used in plugin is HNS logic, which belongs in dataplane.
var hnsPassThrough = []string{
	"Client", "Network", "Endpoint", "Dns",
	"Endpoint.Name", "Endpoint.Id", "Endpoint.MacAddress",
	"Dns.Domain", "Dns.Search", "Dns.ServerList", "Dns.Options",
	"Code", "IsServiceUnavailable",
}

// listed is a package as `go list -export` reports it.
type listed struct {
	ImportPath, Dir, Export string
	GoFiles                 []string
}

// exports lists pkg and its dependencies for goos, building their export
// data, so that pkg's sources can be type-checked against them.
func exports(t *testing.T, goos, pkg string) map[string]listed {
	t.Helper()
	out := goList(t, goos, "-export", "-deps", "-json=ImportPath,Dir,Export,GoFiles", pkg)
	pkgs := map[string]listed{}
	for dec := json.NewDecoder(bytes.NewReader(out)); ; {
		var p listed
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		pkgs[p.ImportPath] = p
	}
	return pkgs
}

// check type-checks files (already parsed into fset) as package path against
// the export data in pkgs.
func check(fset *token.FileSet, path string, files []*ast.File, pkgs map[string]listed) (*types.Info, error) {
	imp := importer.ForCompiler(fset, "gc", func(path string) (io.ReadCloser, error) {
		p, ok := pkgs[path]
		if !ok || p.Export == "" {
			return nil, fmt.Errorf("no export data for %s", path)
		}
		return os.Open(p.Export)
	})
	info := &types.Info{Uses: map[*ast.Ident]types.Object{}, Selections: map[*ast.SelectorExpr]*types.Selection{},
		Types: map[ast.Expr]types.TypeAndValue{}}
	_, err := (&types.Config{Importer: imp}).Check(path, fset, files, info)
	return info, err
}

// hnsUses returns, for each use in files of something package hns declares,
// "file:line hns.<Name>" (a field or method as <Type>.<Name>), unless it is
// in allowed.
func hnsUses(fset *token.FileSet, files []*ast.File, info *types.Info, allowed []string) []string {
	hnsPath := module + "/hns"
	var bad []string
	report := func(pos token.Pos, name string) {
		if !slices.Contains(allowed, name) {
			p := fset.Position(pos)
			bad = append(bad, fmt.Sprintf("%s:%d hns.%s", filepath.Base(p.Filename), p.Line, name))
		}
	}
	fromHNS := func(o types.Object) bool { return o != nil && o.Pkg() != nil && o.Pkg().Path() == hnsPath }
	for _, f := range files {
		seen := map[*ast.Ident]bool{}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.SelectorExpr:
				if sel, ok := info.Selections[n]; ok && fromHNS(sel.Obj()) {
					seen[n.Sel] = true
					report(n.Sel.Pos(), typeName(sel.Recv())+"."+n.Sel.Name)
				}
			case *ast.CompositeLit:
				for _, e := range n.Elts {
					kv, ok := e.(*ast.KeyValueExpr)
					if !ok {
						continue
					}
					if k, ok := kv.Key.(*ast.Ident); ok && fromHNS(info.Uses[k]) {
						seen[k] = true
						report(k.Pos(), typeName(info.Types[n].Type)+"."+k.Name)
					}
				}
			case *ast.Ident:
				if o := info.Uses[n]; !seen[n] && fromHNS(o) {
					report(n.Pos(), o.Name())
				}
			}
			return true
		})
	}
	return bad
}

// typeName is the name of t's named type, through pointers.
func typeName(t types.Type) string {
	for {
		p, ok := t.(*types.Pointer)
		if !ok {
			break
		}
		t = p.Elem()
	}
	if n, ok := types.Unalias(t).(*types.Named); ok {
		return n.Obj().Name()
	}
	return t.String()
}

func parseFiles(t *testing.T, fset *token.FileSet, dir string, names []string) []*ast.File {
	t.Helper()
	var files []*ast.File
	for _, name := range names {
		f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	return files
}

// TestPluginHoldsNoHNSLogic: plugin (production code, for Linux and for
// Windows) uses of hns only what hnsPassThrough allows.
func TestPluginHoldsNoHNSLogic(t *testing.T) {
	for _, goos := range []string{"linux", "windows"} {
		t.Run(goos, func(t *testing.T) {
			pkgs := exports(t, goos, module+"/plugin")
			p := pkgs[module+"/plugin"]
			fset := token.NewFileSet()
			files := parseFiles(t, fset, p.Dir, p.GoFiles)
			info, err := check(fset, p.ImportPath, files, pkgs)
			if err != nil {
				t.Fatalf("type-checking plugin: %v", err)
			}
			for _, v := range hnsUses(fset, files, info, hnsPassThrough) {
				t.Errorf("%s: plugin may use of hns only the types it passes through (see hnsPassThrough); HNS logic belongs in dataplane", v)
			}
		})
	}
}

// The checker itself: HNS logic in plugin is reported, pass-through is not.
func TestHNSLogicIsFound(t *testing.T) {
	const src = `package plugin

import (
	"context"

	"github.com/calico-win/cni/hns"
)

func stale(ctx context.Context, h hns.Client, nc hns.Dns) (*hns.Endpoint, error) {
	n, err := h.GetNetworkByName(ctx, "Calico")
	if hns.IsNotFound(err) || hns.Code(err) != 0 {
		return nil, err
	}
	_ = hns.Dns{Domain: nc.Domain}
	for _, p := range n.Policies {
		_ = p.Is(hns.DrMacAddress)
	}
	ep := &hns.Endpoint{Name: "x"}
	return ep, err
}
`
	pkgs := exports(t, "linux", module+"/hns")
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "bad.go", src, 0)
	if err != nil {
		t.Fatal(err)
	}
	info, err := check(fset, module+"/plugin", []*ast.File{f}, pkgs)
	if err != nil {
		t.Fatal(err)
	}
	got := hnsUses(fset, []*ast.File{f}, info, hnsPassThrough)
	want := []string{
		"bad.go:10 hns.Client.GetNetworkByName",
		"bad.go:11 hns.IsNotFound",
		"bad.go:15 hns.Network.Policies",
		"bad.go:16 hns.Policy.Is",
		"bad.go:16 hns.DrMacAddress",
	}
	if !slices.Equal(got, want) {
		t.Errorf("violations = %q, want %q", got, want)
	}
}
