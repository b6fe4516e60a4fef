package inspection

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/xinyong/xinyong/internal/catalog"
	"github.com/xinyong/xinyong/internal/credit"
	"github.com/xinyong/xinyong/internal/records"
	"github.com/xinyong/xinyong/internal/signing"
	"github.com/xinyong/xinyong/internal/tlog"
)

// Classifier gives a subject's supervision class for a department's
// matter (分级分类监管). The evaluation's graded supervision satisfies
// it; until then the composition root wires OneClass.
type Classifier interface {
	Class(ctx context.Context, dept, matter, subjectID string) (string, error)
}

// Ratios is implemented by a classifier that holds the department's
// inspection ratio of each class for a matter (the graded supervision's
// data): a task that states no ratio for a class of its pool takes it
// from there, in basis points.
type Ratios interface {
	Ratio(ctx context.Context, dept, matter, class string) (bp int, ok bool)
}

// DefaultClass is the one class of OneClass: every subject at the
// regular ratio (国办发〔2019〕35号 (七): 对信用风险一般的市场主体，按常规比例和频次抽查).
const DefaultClass = "regular"

// OneClass puts every subject in one class.
type OneClass string

// Class is c's one class.
func (c OneClass) Class(context.Context, string, string, string) (string, error) {
	return string(c), nil
}

// Table is a task's own classes (subject ID to class) over another
// classifier: a department that has its own grading names its subjects'
// classes in the task.
type Table struct {
	Classes map[string]string
	Else    Classifier
}

// Class is the table's class of the subject, or Else's.
func (t Table) Class(ctx context.Context, dept, matter, id string) (string, error) {
	if c, ok := t.Classes[id]; ok {
		return c, nil
	}
	return t.Else.Class(ctx, dept, matter, id)
}

// Store is what the service keeps and reads.
type Store interface {
	credit.InspectionStore
	Subject(ctx context.Context, id string) (*credit.Subject, error)
	LogLeafByRef(ctx context.Context, kind, ref string) (*credit.LogLeaf, error)
	ChangesSince(ctx context.Context, after int64, limit int, kinds ...credit.ChangeKind) ([]credit.Change, error)
}

// Service runs inspection tasks.
type Service struct {
	Store      Store
	Catalog    *catalog.Catalog
	Records    *records.Service
	Classifier Classifier
	// Log is the transparency log whose checkpoints are the draws'
	// randomness; KeySet its published keys.
	Log    *tlog.Log
	KeySet func(context.Context) (*signing.KeySet, error)
	Now    func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now().UTC()
	}
	return time.Now().UTC()
}

// Item is the catalogue item failed inspections are records of.
const Item = "inspection_result"

// Request is a department's new task.
type Request struct {
	Dept   string            `json:"dept,omitempty"`
	Matter string            `json:"matter"`
	Title  string            `json:"title"`
	Item   string            `json:"item"`
	Filter credit.PoolFilter `json:"filter"`
	// Ratios are the classes' ratios in basis points (500 = 5 %).
	Ratios map[string]int `json:"ratios"`
	// Classes are the task's own classes of subjects (subject ID to
	// class); the others are the classifier's.
	Classes    map[string]string `json:"classes,omitempty"`
	Inspectors []Inspector       `json:"inspectors"`
	PerSubject int               `json:"per_subject,omitempty"`
	Avoid      Avoidance         `json:"avoid"`
	Randomness RandomnessRule    `json:"randomness"`
}

var (
	regionRE = regexp.MustCompile(`^[0-9]{0,6}$`)
	fullRE   = regexp.MustCompile(`^[1-9][0-9]{5}$`)
)

func bad(zh, en string, args ...any) error {
	return credit.Say("inspection", credit.Invalid, zh, en, args...)
}

// Create publishes a task: its statement and pool snapshot. dept is the
// calling department ("" for an administrator, who names one).
func (s *Service) Create(ctx context.Context, dept string, req Request) (*credit.InspectionTask, error) {
	if dept == "" {
		dept = req.Dept
	} else if req.Dept != "" && req.Dept != dept {
		return nil, credit.Say("inspection", credit.Permission, "部门只能为本部门创建抽查任务", "a department creates tasks for itself only")
	}
	if dept == "-" {
		return nil, credit.Say("inspection", credit.Permission, "账号未关联部门", "the account belongs to no department")
	}
	if _, err := s.Catalog.Department(dept); err != nil {
		return nil, bad("部门%q不在目录中", "department %q is not in the catalogue", dept)
	}
	if _, err := s.Catalog.Matter(req.Matter); err != nil {
		return nil, bad("事项%q不在目录中", "matter %q is not in the catalogue", req.Matter)
	}
	req.Title, req.Item = strings.TrimSpace(req.Title), strings.TrimSpace(req.Item)
	if req.Title == "" || req.Item == "" {
		return nil, bad("请填写任务名称和检查事项", "a task needs a title and an inspection item")
	}
	if !regionRE.MatchString(req.Filter.Region) {
		return nil, bad("区域%q不是GB/T 2260代码的前缀", "region %q is not a prefix of a GB/T 2260 code", req.Filter.Region)
	}
	if len(req.Ratios) == 0 {
		return nil, bad("请给出各监管类别的抽查比例", "give the ratio of each supervision class")
	}
	if req.PerSubject == 0 {
		req.PerSubject = 2
	}
	if req.PerSubject < 0 || req.PerSubject > 10 {
		return nil, bad("每个对象的检查人员数应在1到10之间", "inspectors per subject must be 1 to 10")
	}
	if req.Avoid.RecentMonths < 0 || req.Avoid.RecentMonths > 120 {
		return nil, bad("回避期应在0到120个月之间", "the recent-inspection avoidance must be 0 to 120 months")
	}
	if len(req.Inspectors) < req.PerSubject {
		return nil, bad("检查人员名录至少需要%d人", "the inspector pool needs at least %d inspectors", req.PerSubject)
	}
	seen := map[string]bool{}
	for _, in := range req.Inspectors {
		if in.ID == "" || in.Name == "" || seen[in.ID] || strings.ContainsAny(in.ID, "\t\n") {
			return nil, bad("检查人员%q：每人需要唯一的编号和姓名", "inspector %q: each needs a unique ID and a name", in.ID)
		}
		if in.Region != "" && !fullRE.MatchString(in.Region) {
			return nil, bad("检查人员%s的区域%q不是六位GB/T 2260代码", "inspector %s: region %q is not a six-digit GB/T 2260 code", in.ID, in.Region)
		}
		seen[in.ID] = true
	}
	rule := req.Randomness
	switch rule.Source {
	case "", SourceCheckpoint:
		rule = RandomnessRule{Source: SourceCheckpoint, Origin: s.Log.Origin}
	case SourceBeacon:
		rule.Origin = ""
		if rule.Beacon = strings.TrimSpace(rule.Beacon); rule.Beacon == "" {
			return nil, bad("请说明将采用哪个公共信标值（来源与期次）", "name the public beacon value to come (its source and pulse)")
		}
	default:
		return nil, bad("随机数来源%q未知（checkpoint或beacon）", "unknown randomness source %q (checkpoint or beacon)", rule.Source)
	}
	var cls Classifier = s.Classifier
	if cls == nil {
		cls = OneClass(DefaultClass)
	}
	if len(req.Classes) > 0 {
		cls = Table{Classes: req.Classes, Else: cls}
	}
	var pool []PoolEntry
	err := s.Store.InspectionPool(ctx, req.Filter, func(p credit.PoolSubject) error {
		c, err := cls.Class(ctx, dept, req.Matter, p.ID)
		if err != nil {
			return fmt.Errorf("class of %s: %w", p.ID, err)
		}
		pool = append(pool, PoolEntry{ID: p.ID, Class: c, Region: p.Region})
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(pool) == 0 {
		return nil, bad("筛选条件下没有可抽查的主体", "the filter selects no subjects")
	}
	if rs, ok := s.Classifier.(Ratios); ok {
		ratios := maps.Clone(req.Ratios)
		if ratios == nil {
			ratios = map[string]int{}
		}
		for _, e := range pool {
			if _, ok := ratios[e.Class]; !ok {
				if bp, ok := rs.Ratio(ctx, dept, req.Matter, e.Class); ok {
					ratios[e.Class] = bp
				}
			}
		}
		req.Ratios = ratios
	}
	// The pool hash is over byte order of ID, whatever the database's
	// collation orders text by.
	slices.SortFunc(pool, func(a, b PoolEntry) int { return strings.Compare(a.ID, b.ID) })
	st := &Statement{Format: Format, Task: credit.NewID(), Dept: dept, Matter: req.Matter, Title: req.Title, Item: req.Item,
		PublishedAt: s.now().Truncate(time.Microsecond), Filter: req.Filter, PerSubject: req.PerSubject, Avoid: req.Avoid, Randomness: rule}
	if err := Plan(st, pool, req.Ratios); err != nil {
		return nil, bad("抽查比例：%v", "ratios: %v", err)
	}
	st.Inspectors = slices.Clone(req.Inspectors)
	slices.SortFunc(st.Inspectors, func(a, b Inspector) int { return strings.Compare(a.ID, b.ID) })
	st.Recent = []Pair{}
	if req.Avoid.RecentMonths > 0 {
		ids := make([]string, len(st.Inspectors))
		for i, in := range st.Inspectors {
			ids[i] = in.ID
		}
		as, err := s.Store.InspectedBy(ctx, dept, ids, st.PublishedAt.AddDate(0, -req.Avoid.RecentMonths, 0))
		if err != nil {
			return nil, err
		}
		inPool := make(map[string]bool, len(as))
		for _, a := range as {
			inPool[a.SubjectID] = false
		}
		for _, e := range pool {
			if _, ok := inPool[e.ID]; ok {
				inPool[e.ID] = true
			}
		}
		for _, a := range as {
			p := Pair{a.Inspector, a.SubjectID}
			if inPool[a.SubjectID] && !slices.Contains(st.Recent, p) {
				st.Recent = append(st.Recent, p)
			}
		}
		slices.SortFunc(st.Recent, func(a, b Pair) int {
			if c := strings.Compare(a.Inspector, b.Inspector); c != 0 {
				return c
			}
			return strings.Compare(a.Subject, b.Subject)
		})
	}
	stmt, err := json.Marshal(st)
	if err != nil {
		return nil, credit.Wrap("inspection", credit.Internal, err)
	}
	packed, err := packPool(pool)
	if err != nil {
		return nil, credit.Wrap("inspection", credit.Internal, err)
	}
	t := &credit.InspectionTask{ID: st.Task, Dept: dept, Matter: req.Matter, Title: req.Title, PublishedAt: st.PublishedAt,
		PoolSize: len(pool), Statement: stmt, Pool: packed}
	if err := s.Store.CreateInspection(ctx, t); err != nil {
		return nil, err
	}
	return t, nil
}

func packPool(pool []PoolEntry) ([]byte, error) {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if err := json.NewEncoder(zw).Encode(pool); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

func unpackPool(b []byte) ([]PoolEntry, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, err
	}
	var pool []PoolEntry
	if err := json.NewDecoder(zr).Decode(&pool); err != nil {
		return nil, err
	}
	_, err = io.Copy(io.Discard, zr)
	return pool, err
}

// Task reads a task with its statement, pool and draw decoded.
func (s *Service) Task(ctx context.Context, id string) (*credit.InspectionTask, *File, error) {
	t, err := s.Store.Inspection(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	f := &File{Format: Format}
	if err := json.Unmarshal(t.Statement, &f.Statement); err != nil {
		return nil, nil, credit.Wrap("inspection.Task", credit.Internal, err)
	}
	if f.Pool, err = unpackPool(t.Pool); err != nil {
		return nil, nil, credit.Wrap("inspection.Task", credit.Internal, err)
	}
	if len(t.Draw) > 0 {
		f.Draw = new(Draw)
		if err := json.Unmarshal(t.Draw, f.Draw); err != nil {
			return nil, nil, credit.Wrap("inspection.Task", credit.Internal, err)
		}
	}
	return t, f, nil
}

// File is the task's published file: statement, pool, draw, the key set
// (a checkpoint draw) and the results.
func (s *Service) File(ctx context.Context, id string) (*File, error) {
	_, f, err := s.Task(ctx, id)
	if err != nil {
		return nil, err
	}
	if f.Draw != nil && f.Draw.Randomness.Source == SourceCheckpoint && s.KeySet != nil {
		if f.Keys, err = s.KeySet(ctx); err != nil {
			return nil, err
		}
	}
	if f.Results, err = s.Store.InspectionResults(ctx, id); err != nil {
		return nil, err
	}
	return f, nil
}

// mayAct says whether the caller (dept; "" an administrator) acts on
// task t.
func mayAct(dept string, t *credit.InspectionTask) error {
	if dept != "" && dept != t.Dept {
		return credit.Say("inspection", credit.Permission, "抽查任务%s属于其他部门", "inspection task %s belongs to another department", t.ID)
	}
	return nil
}

// Draw draws a published task. For a checkpoint task it brings the log
// in step and signs a checkpoint if none holds the publication yet; for
// a beacon task, beacon is the value the statement named.
func (s *Service) Draw(ctx context.Context, dept, id, beacon string) (*credit.InspectionTask, *Draw, error) {
	t, f, err := s.Task(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	if err := mayAct(dept, t); err != nil {
		return nil, nil, err
	}
	if t.State != credit.InspectionPublished {
		return nil, nil, credit.Say("inspection", credit.Conflict, "抽查任务%s已经抽取", "inspection task %s is drawn already", id)
	}
	st := &f.Statement
	var r Randomness
	switch st.Randomness.Source {
	case SourceCheckpoint:
		if r, err = s.checkpointRandomness(ctx, t); err != nil {
			return nil, nil, err
		}
	case SourceBeacon:
		if beacon = strings.TrimSpace(beacon); beacon == "" {
			return nil, nil, bad("请输入公告中约定的公共信标值：%s", "enter the public beacon value the statement named: %s", st.Randomness.Beacon)
		}
		r = Randomness{Source: SourceBeacon, Value: beacon}
	}
	sh, err := StatementHash(st)
	if err != nil {
		return nil, nil, credit.Wrap("inspection", credit.Internal, err)
	}
	seed := Seed(sh, r)
	drawn, err := Run(st, f.Pool, seed)
	if err != nil {
		return nil, nil, credit.Wrap("inspection", credit.Invalid, err)
	}
	d := &Draw{Format: Format, StatementHash: sh, Randomness: r, Seed: hex.EncodeToString(seed), Subjects: drawn}
	b, err := json.Marshal(d)
	if err != nil {
		return nil, nil, credit.Wrap("inspection", credit.Internal, err)
	}
	var as []credit.InspectionAssignment
	for _, x := range drawn {
		for _, in := range x.Inspectors {
			as = append(as, credit.InspectionAssignment{TaskID: t.ID, Dept: t.Dept, SubjectID: x.Subject, Inspector: in})
		}
	}
	t.Draw, t.Drawn, t.DrawnAt = b, len(drawn), s.now()
	if err := s.Store.RecordInspectionDraw(ctx, t, as); err != nil {
		return nil, nil, err
	}
	return t, d, nil
}

// checkpointRandomness finds the first checkpoint holding the task's
// publication leaf, with the leaf's proof and opening.
func (s *Service) checkpointRandomness(ctx context.Context, t *credit.InspectionTask) (Randomness, error) {
	const op = "inspection.Draw"
	ref := strconv.FormatInt(t.PublishedPos, 10)
	leaf, err := s.Store.LogLeafByRef(ctx, tlog.LeafFact, ref)
	if credit.Is(credit.NotFound, err) {
		if _, err := s.Log.Sync(ctx); err != nil {
			return Randomness{}, err
		}
		leaf, err = s.Store.LogLeafByRef(ctx, tlog.LeafFact, ref)
	}
	if err != nil {
		return Randomness{}, credit.Wrap(op, credit.Other, err)
	}
	cp, err := s.Store.CheckpointCovering(ctx, leaf.Index)
	if credit.Is(credit.NotFound, err) {
		if _, err := s.Log.Checkpoint(ctx); err != nil {
			return Randomness{}, err
		}
		cp, err = s.Store.CheckpointCovering(ctx, leaf.Index)
	}
	if err != nil {
		return Randomness{}, credit.Wrap(op, credit.Other, err)
	}
	inc, err := s.Log.Prove(ctx, leaf.Index, cp)
	if err != nil {
		return Randomness{}, err
	}
	cs, err := s.Store.ChangesSince(ctx, t.PublishedPos-1, 1)
	if err != nil {
		return Randomness{}, err
	}
	if len(cs) != 1 || cs[0].Pos != t.PublishedPos {
		return Randomness{}, credit.Say(op, credit.Internal, "找不到抽查任务发布的变更记录", "the change entry of the task's publication is missing")
	}
	content, _, err := s.Log.Content(ctx, cs[0], tlog.LeafVersion(leaf.Data))
	if err != nil {
		return Randomness{}, err
	}
	return Randomness{Source: SourceCheckpoint, Value: cp.Note, LeafIndex: leaf.Index, LeafData: leaf.Data, Proof: inc.Hashes,
		LeafSalt: leaf.Salt, LeafContent: content}, nil
}

// Result outcomes.
const (
	ResultPassed      = "未发现问题"
	ResultFailed      = "发现问题"
	ResultUnpublic    = "未按规定公示"
	ResultUnreachable = "通过登记的住所（经营场所）无法联系"
)

// ResultInput is a department's result for one drawn subject.
type ResultInput struct {
	Subject     string `json:"subject"`
	Result      string `json:"result"`
	Detail      string `json:"detail,omitempty"`
	InspectedOn string `json:"inspected_on"`
}

// Failed says whether a result is a failed inspection (any result but
// 未发现问题).
func Failed(result string) bool { return result != ResultPassed }

// Record publishes the result of one drawn subject; a failed inspection
// becomes a record of the catalogue's inspection item.
func (s *Service) Record(ctx context.Context, dept, actor, id string, in ResultInput) (*credit.InspectionResult, error) {
	t, f, err := s.Task(ctx, id)
	if err != nil {
		return nil, err
	}
	if err := mayAct(dept, t); err != nil {
		return nil, err
	}
	if f.Draw == nil {
		return nil, credit.Say("inspection", credit.Conflict, "抽查任务%s尚未抽取", "inspection task %s is not drawn yet", id)
	}
	if !slices.ContainsFunc(f.Draw.Subjects, func(d Drawn) bool { return d.Subject == in.Subject }) {
		return nil, bad("%s不是本任务抽中的对象", "%s was not drawn by this task", in.Subject)
	}
	switch in.Result {
	case ResultPassed, ResultFailed, ResultUnpublic, ResultUnreachable:
	default:
		return nil, bad("检查结果应为：%s、%s、%s或%s", "the result is one of %s, %s, %s, %s", ResultPassed, ResultFailed, ResultUnpublic, ResultUnreachable)
	}
	on, err := catalog.ParseDate(in.InspectedOn)
	if err != nil {
		return nil, bad("检查日期：%v", "inspection date: %v", err)
	}
	if on.Before(t.DrawnAt.Truncate(24*time.Hour).AddDate(0, 0, -1)) || on.After(s.now()) {
		return nil, bad("检查日期应在抽取之后、今天之前", "the inspection date must be after the draw and not in the future")
	}
	done, err := s.Store.InspectionResults(ctx, id)
	if err != nil {
		return nil, err
	}
	if slices.ContainsFunc(done, func(r credit.InspectionResult) bool { return r.SubjectID == in.Subject }) {
		return nil, credit.Say("inspection", credit.Exists, "抽查任务%s已公示%s的检查结果", "inspection task %s has published the result for %s already", id, in.Subject)
	}
	subj, err := s.Store.Subject(ctx, in.Subject)
	if err != nil {
		return nil, err
	}
	r := &credit.InspectionResult{TaskID: id, SubjectID: subj.ID, SubjectName: subj.Name, Item: f.Statement.Item, Result: in.Result,
		Failed: Failed(in.Result), Detail: strings.TrimSpace(in.Detail), InspectedOn: on, Actor: actor}
	if r.Failed {
		it, err := s.Catalog.Item(Item)
		if err != nil {
			return nil, credit.Wrap("inspection", credit.Internal, err)
		}
		fields, err := s.Records.SubjectFields(it, subj)
		if err != nil {
			return nil, err
		}
		fields["jc_bh"] = id + ":" + subj.ID
		fields["jc_rwmc"] = t.Title
		fields["jc_sx"] = f.Statement.Item
		fields["jc_jg"] = in.Result
		fields["jc_rq"] = on.Format("2006-01-02")
		fields["jc_jgmc"] = s.Catalog.DeptZh(t.Dept)
		if r.Detail != "" {
			fields["jc_wt"] = r.Detail
		}
		rec, _, err := s.Records.Append(ctx, records.Report{Item: Item, Dept: t.Dept, SubjectID: subj.ID, Fields: fields})
		if err != nil {
			return nil, err
		}
		r.RecordID = rec.ID
	}
	if err := s.Store.PutInspectionResult(ctx, r); err != nil {
		return nil, err
	}
	return r, nil
}
