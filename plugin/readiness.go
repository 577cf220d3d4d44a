package plugin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"
)

// readinessGateTimeout bounds one probe of a readiness gate.
const readinessGateTimeout = 2 * time.Second

// checkReadinessGates probes every readiness_gates URL once, in parallel;
// a status of 200–399 is ready. Calico polls each gate every 5 s for up to
// 30 s inside the ADD; here a gate that is not ready fails the ADD at once
// with "try again later", and the runtime's retry is the poll.
func (c *call) checkReadinessGates() error {
	if len(c.nc.ReadinessGates) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(c.ctx, readinessGateTimeout)
	defer cancel()
	errs := make([]error, len(c.nc.ReadinessGates))
	var wg sync.WaitGroup
	for i, url := range c.nc.ReadinessGates {
		wg.Go(func() { errs[i] = probe(ctx, url) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("%w: %w", errNotReady, err)
	}
	return nil
}

func probe(ctx context.Context, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return &ConfigError{Key: "readiness_gates", Value: url, Reason: err.Error()}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("readiness gate %s: %w", url, err)
	}
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode >= 400 {
		return fmt.Errorf("readiness gate %s answered %s", url, resp.Status)
	}
	return nil
}
