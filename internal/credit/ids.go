package credit

import "github.com/google/uuid"

// NewID returns a new time-ordered identifier (UUIDv7). Time ordering keeps
// B-tree inserts local without a global sequence, which a distributed
// PostgreSQL-wire engine would turn into a hot spot.
func NewID() string {
	return uuid.Must(uuid.NewV7()).String()
}
