// Package exchange is 共享: the exchange of facts between the platforms of
// every level (county, city, province, nation) and with departments.
// 国发〔2016〕33号 (十八) asks that the 全国信用信息共享平台 link the platforms
// of every level and department (互联互通和信息共享); 国办发〔2019〕35号 (十四)
// that local platforms and sector systems be connected into one network
// (“一张网”) and share on demand with departments' business systems; the
// 宿州 14th five-year plan has the city platform joined to the provincial
// one and to the county systems (国家、省、市、县四级平台互联互通).
//
// Each node has an identity (level, GB/T 2260 region, name, an Ed25519
// signing key) and peers, configured as data: who sends what to whom. A
// node's feed for a peer is made from its change feed: its own facts
// (records with their corrections and revocations, subjects, list events,
// verification marks, case outcomes), never the facts it applied from
// others, in batches of JSON Lines (ADD/MOD/DEL) signed with its key. A
// receiver verifies each batch against the origin's key, applies it
// through the same rules as a local fact (records.Service.Foreign for
// records; the sanction service and the workflows read what is applied),
// idempotently by (origin, original ID), and moves the origin's cursor in
// the same transaction. The transports are NATS JetStream (one stream per
// origin, message IDs for de-duplication, durable consumers acknowledged
// after the receiving transaction commits), HTTP pull (GET
// /api/v1/feeds/{feed}?after=POS) and signed files (file ferry), all
// applied by the same code.
package exchange

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/xinyong/xinyong/internal/credit"
)

// Identity is this node's identity with its private key.
type Identity struct {
	Node credit.Node
	Key  ed25519.PrivateKey
}

// idPattern is what a node ID may be: it names NATS streams and subjects.
var idPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`)

// CheckID checks a node or peer ID.
func CheckID(id string) error {
	if !idPattern.MatchString(id) {
		return credit.Say("exchange.CheckID", credit.Invalid, "节点标识“%s”无效：只能用字母、数字、-和_，至多64个字符", "node ID %q is invalid: letters, digits, - and _ only, at most 64", id)
	}
	return nil
}

// regionPattern is a GB/T 2260 code: six digits.
var regionPattern = regexp.MustCompile(`^[0-9]{6}$`)

// CheckNode checks a node's identity fields.
func CheckNode(n *credit.Node) error {
	if err := CheckID(n.ID); err != nil {
		return err
	}
	if !slices.Contains(credit.NodeLevels, n.Level) {
		return credit.Say("exchange.CheckNode", credit.Invalid, "层级“%[1]s”无效（可用：%[2]s）", "level %[1]q is invalid (known: %[2]s)", n.Level, strings.Join(credit.NodeLevels, ", "))
	}
	if !regionPattern.MatchString(n.Region) {
		return credit.Say("exchange.CheckNode", credit.Invalid, "行政区划代码“%s”无效：应为GB/T 2260的6位代码", "region %q is invalid: a six-digit GB/T 2260 code", n.Region)
	}
	if strings.TrimSpace(n.Name) == "" {
		return credit.Say("exchange.CheckNode", credit.Invalid, "请填写节点名称", "the node needs a name")
	}
	return nil
}

// NewKey makes a signing key and returns it with its text form (the
// 32-byte seed in base64), as kept in the key file or the environment.
func NewKey() (ed25519.PrivateKey, string, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, "", err
	}
	return priv, base64.StdEncoding.EncodeToString(priv.Seed()), nil
}

// ParsePrivate reads a signing key's text form.
func ParsePrivate(s string) (ed25519.PrivateKey, error) {
	b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil || len(b) != ed25519.SeedSize {
		return nil, errors.New("bad configuration: the node signing key is a 32-byte seed in base64 (xinyong exchange init makes one)")
	}
	return ed25519.NewKeyFromSeed(b), nil
}

// ReadKeyFile reads the node key file (mode 0600).
func ReadKeyFile(path string) (ed25519.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return ParsePrivate(string(b))
}

// WriteKeyFile writes the node key file, readable by the owner only,
// refusing to replace one (a new key is a new identity for every peer).
func WriteKeyFile(path, text string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("the node key file %s exists already: a new key is a new identity for every peer; remove it first if that is what you want", path)
		}
		return err
	}
	_, err = f.WriteString(text + "\n")
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// IdentityStore is what loading an identity reads.
type IdentityStore interface {
	ExchangeNode(ctx context.Context) (*credit.Node, error)
}

// LoadIdentity reads the node's identity from the store and its key from
// keyText (the environment) or else the key file, and checks that the two
// halves belong together. NotFound when the node has no identity.
func LoadIdentity(ctx context.Context, st IdentityStore, keyText, keyFile string) (*Identity, error) {
	n, err := st.ExchangeNode(ctx)
	if err != nil {
		return nil, err
	}
	var priv ed25519.PrivateKey
	switch {
	case strings.TrimSpace(keyText) != "":
		priv, err = ParsePrivate(keyText)
	case keyFile != "":
		priv, err = ReadKeyFile(keyFile)
		if errors.Is(err, fs.ErrNotExist) {
			err = fmt.Errorf("bad configuration: node %s has an exchange identity but its key file %s is missing: restore it, or give the key in XINYONG_NODE_KEY", n.ID, keyFile)
		}
	default:
		err = fmt.Errorf("bad configuration: node %s has an exchange identity: give its signing key (--node-key, XINYONG_NODE_KEY)", n.ID)
	}
	if err != nil {
		return nil, err
	}
	if !slices.Equal([]byte(priv.Public().(ed25519.PublicKey)), n.PublicKey) {
		return nil, fmt.Errorf("bad configuration: the node signing key (%s) is not the key of node %s (%s)", KeyID(priv.Public().(ed25519.PublicKey)), n.ID, KeyID(n.PublicKey))
	}
	return &Identity{Node: *n, Key: priv}, nil
}

// CheckPeer checks a peer's configuration.
func CheckPeer(p *credit.Peer) error {
	const op = "exchange.CheckPeer"
	if err := CheckID(p.ID); err != nil {
		return err
	}
	switch p.Relation {
	case credit.PeerSuperior, credit.PeerSubordinate, credit.PeerDepartment:
	default:
		return credit.Say(op, credit.Invalid, "关系“%s”无效：superior、subordinate或department", "relation %q is invalid: superior, subordinate or department", p.Relation)
	}
	switch p.Transport {
	case credit.TransportNATS, credit.TransportHTTP, credit.TransportFile:
	default:
		return credit.Say(op, credit.Invalid, "传输方式“%s”无效：nats、http或file", "transport %q is invalid: nats, http or file", p.Transport)
	}
	if p.Relation != credit.PeerDepartment && len(p.PublicKey) != ed25519.PublicKeySize {
		return credit.Say(op, credit.Invalid, "平台对端%s须给出其公钥（--key）：本节点用它验证其批次", "platform peer %s needs its public key (--key): this node verifies its batches with it", p.ID)
	}
	if p.Transport == credit.TransportHTTP && p.Relation != credit.PeerDepartment && p.URL == "" && p.Account == "" {
		return credit.Say(op, credit.Invalid, "HTTP对端%s须给出其地址（--url）或其拉取所用的账号（--account）", "HTTP peer %s needs its address (--url) or the account it pulls with (--account)", p.ID)
	}
	return nil
}
