package clickhouse

// SetSlicing makes the store compute the status of coalitions with at
// least from stored rows in slices of perSlice rows (see slicedRows).
func (s *Store) SetSlicing(from, perSlice uint64) { s.slicing = slicing{from, perSlice} }

var ClusterStatements = clusterStatements

var DDLHostsActive = ddlHostsActive
