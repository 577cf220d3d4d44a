package main

import (
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/calico-win/cni/hns"
)

// emit prints v as indented JSON with -o json, else as a table drawn by
// table (tab-separated cells, one line per row).
func (c *cli) emit(v any, table func(row func(cells ...any))) error {
	if c.format == "json" {
		b, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(c.out, "%s\n", b)
		return err
	}
	tw := tabwriter.NewWriter(c.out, 0, 4, 2, ' ', 0)
	table(func(cells ...any) {
		for i, cell := range cells {
			if i > 0 {
				fmt.Fprint(tw, "\t")
			}
			if s := fmt.Sprint(cell); s != "" {
				fmt.Fprint(tw, s)
			} else {
				fmt.Fprint(tw, "-")
			}
		}
		fmt.Fprintln(tw)
	})
	return tw.Flush()
}

// show prints one object as indented JSON: hcn's field names are the most
// readable form of a single object.
func (c *cli) show(v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(c.out, "%s\n", b)
	return err
}

// policySetting returns one string setting of the first policy of type typ.
func policySetting(ps []hns.Policy, typ, key string) string {
	for _, p := range ps {
		if !p.Is(typ) {
			continue
		}
		var m map[string]any
		if json.Unmarshal(p.Settings, &m) == nil {
			if v, ok := m[key]; ok {
				return fmt.Sprint(v)
			}
		}
	}
	return ""
}

func subnets(n *hns.Network) string {
	var out []string
	for _, ipam := range n.Ipams {
		for _, sn := range ipam.Subnets {
			s := sn.IpAddressPrefix
			for _, r := range sn.Routes {
				if r.DestinationPrefix == "0.0.0.0/0" || r.DestinationPrefix == "::/0" {
					s += " via " + r.NextHop
				}
			}
			for _, raw := range sn.Policies {
				var p hns.Policy
				if json.Unmarshal(raw, &p) == nil && p.Is(hns.VSID) {
					s += " vni " + policySetting([]hns.Policy{p}, hns.VSID, "IsolationId")
				}
			}
			out = append(out, s)
		}
	}
	return strings.Join(out, ", ")
}

func addresses(e *hns.Endpoint) string {
	var out []string
	for _, c := range e.IpConfigurations {
		out = append(out, c.IpAddress)
	}
	return strings.Join(out, ",")
}

func policyTypes(ps []hns.Policy) string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Type)
	}
	return strings.Join(out, ",")
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
