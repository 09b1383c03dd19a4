package schema

// Internals under test.
var (
	ParseCanonical = parseCanonical
	ParseEventSlow = parseEventSlow
	WithinLimits   = withinLimitsQuick
)
