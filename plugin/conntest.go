package plugin

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/containernetworking/cni/pkg/types"

	"github.com/calico-win/cni/datastore"
)

// testConnection is "calico -t": read ClusterInformation "default" within
// 2 s and check datastoreReady. It prints a CNI error (code 100) on failure
// and returns the exit code.
func testConnection(stdin io.Reader, stdout io.Writer) int {
	fail := func(err error) int {
		_ = json.NewEncoder(stdout).Encode(struct {
			CNIVersion string `json:"cniVersion"`
			*types.Error
		}{"1.0.0", types.NewError(CodeDatastoreTest, err.Error(), "")})
		return 1
	}
	b, err := io.ReadAll(stdin)
	if err != nil {
		return fail(err)
	}
	nc, err := ParseNetConf(b)
	if err != nil {
		return fail(err)
	}
	st, err := openStore(nc)
	if err != nil {
		return fail(err)
	}
	defer st.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	snap, err := st.Read(ctx, datastore.Query{ClusterInfo: true})
	if err != nil {
		return fail(fmt.Errorf("error getting ClusterInformation: %w", err))
	}
	if err := ready(snap); err != nil {
		return fail(err)
	}
	fmt.Fprintln(stdout, "datastore connection OK")
	return 0
}
