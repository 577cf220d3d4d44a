package plugin

// healthy reports whether e is an answer Read would have cached: strict
// affinity, at least one pool, each with a valid CIDR as the datastores
// decode them, and a ready ClusterInformation. A file that says otherwise
// is torn or was written by something else: it is read afresh, never
// trusted (a cached entry stands in for the readiness gate and the pools).
func (e *clusterEntry) healthy() bool {
	if !e.Config.StrictAffinity || !e.ClusterInfo || len(e.Pools) == 0 {
		return false
	}
	for _, p := range e.Pools {
		if !p.CIDR.IsValid() || p.CIDR != p.CIDR.Masked() {
			return false
		}
	}
	for _, r := range e.Reservations {
		if !r.IsValid() {
			return false
		}
	}
	return true
}
