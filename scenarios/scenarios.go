// Package scenarios embeds the replayable scenarios that `coalition demo` and the tests use.
package scenarios

import _ "embed"

// Paris2015 is the NDJSON event log of France's push for a coalition against
// IS after the Paris attacks of 13 November 2015 (13-27 November 2015), one
// event per line, every event valid under the schema contract.
//
//go:embed paris-2015.ndjson
var Paris2015 []byte

// Paris2015Coalition is the coalition slug of every event in Paris2015.
const Paris2015Coalition = "paris-2015"
