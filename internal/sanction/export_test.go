package sanction

// Test hooks.
var (
	UsccChecksumOK     = usccChecksumOK
	ResidentChecksumOK = residentChecksumOK
)
