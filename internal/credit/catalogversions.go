package credit

import (
	"context"
	"time"
)

// CatalogVersion is one uploaded version of one of the information
// catalogue's files (internal/catalog: departments.json, measures.json
// ...), kept as uploaded. At most one version of a file is active; the
// active versions are loaded over the files the node ships with, at each
// node's start.
type CatalogVersion struct {
	ID          string    `json:"id"`
	File        string    `json:"file"`
	Version     string    `json:"version"` // the file's own "version"
	SHA256      string    `json:"sha256"`
	Content     []byte    `json:"-"`
	Note        string    `json:"note,omitempty"`
	UploadedBy  string    `json:"uploaded_by"`
	Uploaded    time.Time `json:"uploaded_at"`
	Active      bool      `json:"active"`
	ActivatedBy string    `json:"activated_by,omitempty"`
	Activated   time.Time `json:"activated_at,omitzero"`
}

// CatalogVersionStore keeps the catalogue's file versions.
type CatalogVersionStore interface {
	// AddCatalogVersion stores an uploaded version (inactive).
	AddCatalogVersion(ctx context.Context, v *CatalogVersion) error
	// CatalogVersions lists the versions, of one file when file is not
	// empty, newest first, without their content.
	CatalogVersions(ctx context.Context, file string) ([]CatalogVersion, error)
	// CatalogVersion returns one version with its content; NotFound if
	// absent.
	CatalogVersion(ctx context.Context, id string) (*CatalogVersion, error)
	// ActivateCatalogVersion makes version id its file's active version,
	// and the one active before it inactive (kept), in one transaction.
	ActivateCatalogVersion(ctx context.Context, id, by string, at time.Time) error
	// ActiveCatalogVersions returns the active version of each file that
	// has one, with content.
	ActiveCatalogVersions(ctx context.Context) ([]CatalogVersion, error)
}
