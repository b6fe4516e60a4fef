package credit

import (
	"context"
	"time"
)

// The exchange (共享) between platforms of different levels and with
// departments: 国发〔2016〕33号 (十八) asks that the 全国信用信息共享平台
// connect the platforms of every level and department; 国办发〔2019〕35号
// (十四) that local platforms be connected into one network and share with
// departments on demand; the 宿州 plan joins the platforms of nation,
// province, city and county (四级平台互联互通).
// internal/exchange builds it; these are the facts it keeps.

// Node levels (层级).
const (
	LevelCounty   = "county"
	LevelCity     = "city"
	LevelProvince = "province"
	LevelNational = "national"
)

// NodeLevels lists the levels, lowest first.
var NodeLevels = []string{LevelCounty, LevelCity, LevelProvince, LevelNational}

// Node is this installation's identity in a federation: its ID (unique in
// the federation), level, region (GB/T 2260) and name, and the public half
// of the Ed25519 key it signs its feeds with. The private half is kept
// like the data key (a key file beside the SQLite file, or given in the
// environment), never in the database.
type Node struct {
	ID        string    `json:"id"`
	Level     string    `json:"level"`
	Region    string    `json:"region"`
	Name      string    `json:"name"`
	PublicKey []byte    `json:"public_key"`
	CreatedAt time.Time `json:"created_at"`
}

// Peer relations: what a peer is to this node.
const (
	// PeerSuperior is a platform above: it receives this node's facts
	// (feed "up") and sends its lists and decisions down.
	PeerSuperior = "superior"
	// PeerSubordinate is a platform below: this node receives its facts
	// and sends it lists and decisions (feed "down").
	PeerSubordinate = "subordinate"
	// PeerDepartment is a department (or another system) that receives
	// what the catalogue's sharing scope lets it (feed "dept").
	PeerDepartment = "department"
)

// Peer transports.
const (
	TransportNATS = "nats" // NATS JetStream
	TransportHTTP = "http" // HTTP pull of GET /api/v1/feeds/{feed}
	TransportFile = "file" // signed files carried across (file ferry)
)

// Peer is another platform or a department this node exchanges with,
// configured as data: who it is (its key), what it is to this node, what
// it receives (items, lists, regions; for a department the catalogue's
// sharing scope with the purposes stated for conditional items) and how
// (transport).
type Peer struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Level     string `json:"level,omitempty"`
	Region    string `json:"region,omitempty"`
	Relation  string `json:"relation"`
	PublicKey []byte `json:"public_key,omitempty"`
	Transport string `json:"transport"`
	// URL is the peer's base address for HTTP pull.
	URL string `json:"url,omitempty"`
	// Account is the local account the peer pulls this node's feed with
	// (HTTP); APIKey the key this node pulls the peer's feed with.
	Account string `json:"account,omitempty"`
	APIKey  string `json:"api_key,omitempty"`
	// Items and Lists narrow what is sent to the peer (empty: all);
	// Regions are GB/T 2260 prefixes of the subjects' regions (empty:
	// all).
	Items   []string `json:"items,omitempty"`
	Lists   []string `json:"lists,omitempty"`
	Regions []string `json:"regions,omitempty"`
	// Purposes are the stated purposes (有条件共享) by item code: a
	// department receives a conditionally shared item only with one.
	Purposes  map[string]string `json:"purposes,omitempty"`
	Disabled  bool              `json:"disabled,omitempty"`
	CreatedAt time.Time         `json:"created_at"`
	UpdatedAt time.Time         `json:"updated_at"`
}

// ExchangeCursor is how far this node has applied an origin's feed, kept
// in the same transaction as the facts applied up to it.
type ExchangeCursor struct {
	Origin string `json:"origin"`
	// Pos is the origin's feed position applied up to.
	Pos int64 `json:"pos"`
	// Facts counts the facts applied (held ones included once held).
	Facts int64 `json:"facts"`
	// OriginAt is when the origin made its last applied batch; Updated
	// when it was applied here.
	OriginAt time.Time `json:"origin_at,omitzero"`
	Updated  time.Time `json:"updated_at,omitzero"`
	// Head is the origin's newest position this node has heard of (a
	// batch header, a stream's last message), for the lag.
	Head   int64     `json:"head"`
	HeadAt time.Time `json:"head_at,omitzero"`
	// LastError is the newest refusal or failure, with its time.
	LastError string    `json:"last_error,omitempty"`
	ErrorAt   time.Time `json:"error_at,omitzero"`
}

// HeldFact is a fact received but not applied: its item (or its reporting
// department) is not in this node's catalogue, or it supersedes a fact
// that is held itself. It is applied once the catalogue has it.
type HeldFact struct {
	Origin string    `json:"origin"`
	FactID string    `json:"fact_id"`
	Kind   string    `json:"kind"`
	Item   string    `json:"item,omitempty"`
	Pos    int64     `json:"pos"`
	Reason string    `json:"reason"`
	Body   []byte    `json:"-"`
	At     time.Time `json:"at"`
}

// ExchangeFact is one fact applied from another node: exactly one of its
// parts is set. FactID is the origin's ID of the fact (with Origin, the
// key that makes applying idempotent).
type ExchangeFact struct {
	FactID string
	Kind   string
	// Subject is upserted (registration data from its origin).
	Subject *Subject
	// Record is appended.
	Record *Record
	// ListEvent is appended to its entry (the origin decides; no version
	// check against this node's entry).
	ListEvent *ListEvent
	// Mark is a verification mark.
	Mark *VerificationMark
	// Case is a case outcome: the case (closed) with its events; events
	// already stored are kept.
	Case       *Case
	CaseEvents []CaseEvent
}

// ExchangeApply is what one received batch changes, written in one
// transaction: the subjects its facts need (created if missing), the
// facts (those already applied are skipped), the facts held, the held
// facts now applied, and the origin's cursor moved from From to To.
type ExchangeApply struct {
	Origin   string
	From, To int64
	// Head is the newest position of the origin known; OriginAt the
	// batch's time at the origin.
	Head     int64
	OriginAt time.Time
	// Need are subjects created if this node does not have them.
	Need []Subject
	// Facts are applied in order.
	Facts []ExchangeFact
	// Held are held; Released are held facts (origin, fact ID) now
	// applied through Facts, removed from the held.
	Held     []HeldFact
	Released []HeldFact
	// At is the time of the apply.
	At time.Time
}

// ExchangeStore keeps the exchange: the node identity, the peers, the
// cursors, the applied facts and the held ones.
type ExchangeStore interface {
	// ExchangeNode returns this node's identity; NotFound before one is
	// set.
	ExchangeNode(ctx context.Context) (*Node, error)
	// PutExchangeNode sets this node's identity.
	PutExchangeNode(ctx context.Context, n *Node) error
	// PutPeer creates or replaces a peer.
	PutPeer(ctx context.Context, p *Peer) error
	// Peers lists the peers by ID.
	Peers(ctx context.Context) ([]Peer, error)
	// DeletePeer removes a peer (its cursor and applied facts stay).
	DeletePeer(ctx context.Context, id string) error
	// ApplyExchange writes what a batch changes and moves the origin's
	// cursor from a.From to a.To, in one transaction; Conflict if the
	// cursor is not at a.From (another process applied meanwhile). The
	// first cursor of an origin is created from 0.
	ApplyExchange(ctx context.Context, a *ExchangeApply) error
	// ExchangeCursors lists the cursors by origin.
	ExchangeCursors(ctx context.Context) ([]ExchangeCursor, error)
	// ExchangeCursor returns one origin's cursor (zero when none).
	ExchangeCursor(ctx context.Context, origin string) (ExchangeCursor, error)
	// NoteExchange records the newest head heard of and, when errMsg is
	// not empty, the newest error, for an origin.
	NoteExchange(ctx context.Context, origin string, head int64, headAt time.Time, errMsg string, at time.Time) error
	// HeldFacts lists held facts, oldest first (all origins when origin
	// is empty), at most limit (1000 when <= 0).
	HeldFacts(ctx context.Context, origin string, limit int) ([]HeldFact, error)
	// AppliedPositions returns which of the positions given are changes
	// written by applying another node's facts (not this node's own).
	AppliedPositions(ctx context.Context, positions []int64) (map[int64]bool, error)
	// AppliedFacts returns which of the fact IDs of origin are applied.
	AppliedFacts(ctx context.Context, origin string, ids []string) (map[string]bool, error)
	// AppliedOrigin returns the origin of an applied fact by its local
	// reference ("" when the fact is this node's own).
	AppliedOrigin(ctx context.Context, ref string) (string, error)
	// ListEventByID returns one list event.
	ListEventByID(ctx context.Context, id string) (*ListEvent, error)
}
