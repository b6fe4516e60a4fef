package sanction

// Test hooks.
var (
	UsccChecksumOK     = usccChecksumOK
	ResidentChecksumOK = residentChecksumOK
)

// SetBarChunk sets how many subjects' files the red-list bars read at
// once, and returns a function that restores it.
func SetBarChunk(n int) func() {
	old := barChunk
	barChunk = n
	return func() { barChunk = old }
}
