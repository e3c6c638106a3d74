package resources

import "maps"

// OwnedMetadataEqual reports whether existing and desired agree on the
// label or annotation keys knapp owns (each builder names its own); every
// other key belongs to someone else.
func OwnedMetadataEqual(existing, desired map[string]string, owned []string) bool {
	for _, k := range owned {
		ev, eok := existing[k]
		dv, dok := desired[k]
		if eok != dok || ev != dv {
			return false
		}
	}
	return true
}

// MergeOwned returns existing with knapp's keys set as in desired (and
// removed where desired has none), keeping every other key.
func MergeOwned(existing, desired map[string]string, owned []string) map[string]string {
	out := maps.Clone(existing)
	if out == nil {
		out = map[string]string{}
	}
	for _, k := range owned {
		if v, ok := desired[k]; ok {
			out[k] = v
		} else {
			delete(out, k)
		}
	}
	return out
}
