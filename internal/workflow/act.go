package workflow

import (
	"context"
	"slices"

	"github.com/xinyong/xinyong/internal/credit"
)

// Action is one step on a case, as either front door names it: the API
// reads its JSON body into one and the console its form, and both hand it
// to Act. Only the fields the step named by Name uses are read.
type Action struct {
	// Name is one of Actions().
	Name string
	// Reason is what the step records and the applicant is told: the
	// reasons of a refusal or a dismissal, the finding of an upheld
	// objection or a false commitment, the reason of an extension, the
	// note of an approval or a supplement, the court's finding that ends a
	// masking.
	Reason string
	// Unit is the deciding unit a case is routed to (route).
	Unit string
	// Revoke withdraws the record instead of correcting it (uphold; the
	// action revoke implies it).
	Revoke bool
	// Fields are the corrected fields of an upheld objection (uphold).
	Fields credit.Fields
	// Missing lists every missing material, in one notice (request_materials).
	Missing []string
	// DocNo is the number of the finding of a false commitment (false_commitment).
	DocNo string
	// Failed says the bankruptcy plan failed and the entries are restored
	// (end; the actions end_failed and end_completed say it themselves).
	Failed bool
}

// actions are the steps Act knows, in the order the API documents them.
// The console's buttons name revoke and end_failed / end_completed where
// the API's JSON says uphold with revoke and end with failed: both are
// here, so that neither door knows a step the other cannot take.
var actions = []string{
	"route", "accept", "refuse", "extend", "uphold", "revoke", "dismiss", "request_materials",
	"supplement", "approve", "false_commitment", "mask", "end", "end_failed", "end_completed",
}

// Actions are the names of the steps Act takes.
func Actions() []string { return slices.Clone(actions) }

// applicant reports whether the actor acts as the applicant: a subject
// account, or whoever holds the case's tracking code.
func applicant(a Actor) bool { return a.Role == credit.RoleSubject || a.Role == credit.RolePublic }

// Act takes the step in on case caseID: the one dispatcher behind the
// API's POST /cases/{id}/actions and the console's case page. An applicant
// may only send supplementary materials, and a subject account only on its
// own case; every other rule (who decides, in which state) is the step's.
func (s *Service) Act(ctx context.Context, a Actor, caseID string, in Action) error {
	const op = "workflow.Act"
	c, err := s.cfg.Store.Case(ctx, caseID)
	if err != nil {
		return err
	}
	if applicant(a) {
		if in.Name != "supplement" {
			return credit.Say(op, credit.Permission, "申请人只能补交材料", "an applicant may only send supplementary materials")
		}
		if a.Role == credit.RoleSubject && a.Subject != c.SubjectID {
			return credit.Say(op, credit.NotFound, "事项“%s”不存在", "case %q not found", caseID)
		}
	}
	objection := c.Kind == credit.CaseObjection
	switch in.Name {
	case "route":
		return s.Route(ctx, a, caseID, in.Unit)
	case "accept":
		if objection {
			return s.AcceptObjection(ctx, a, caseID)
		}
		return s.AcceptRepair(ctx, a, caseID)
	case "refuse":
		if objection {
			return s.RefuseObjection(ctx, a, caseID, in.Reason)
		}
		return s.RefuseRepair(ctx, a, caseID, in.Reason)
	case "extend":
		return s.Extend(ctx, a, caseID, in.Reason)
	case "uphold", "revoke":
		return s.UpholdObjection(ctx, a, caseID, Decision{Revoke: in.Revoke || in.Name == "revoke", Fields: in.Fields, Reason: in.Reason})
	case "dismiss":
		return s.DismissObjection(ctx, a, caseID, in.Reason)
	case "request_materials":
		return s.RequestMaterials(ctx, a, caseID, in.Missing)
	case "supplement":
		return s.Supplement(ctx, a, caseID, in.Reason)
	case "approve":
		return s.ApproveRepair(ctx, a, caseID, in.Reason)
	case "false_commitment":
		_, err := s.FalseCommitment(ctx, a, caseID, in.DocNo, in.Reason)
		return err
	case "mask":
		return s.Mask(ctx, a, caseID)
	case "end":
		return s.EndBankruptcy(ctx, a, caseID, in.Failed, in.Reason)
	case "end_failed", "end_completed":
		return s.EndBankruptcy(ctx, a, caseID, in.Name == "end_failed", in.Reason)
	}
	return credit.Say(op, credit.Invalid, "未知的办理环节“%s”", "unknown action %q", in.Name)
}

// Offered lists the steps the console offers on a case in its state to an
// actor of role (the deciding unit, or the credit office): the buttons of
// the case page. Every name is one of Actions().
func Offered(c *credit.Case, role credit.Role) []string {
	office := staff(Actor{Role: role})
	switch c.Kind {
	case credit.CaseObjection:
		switch c.State {
		case StateSubmitted:
			if office {
				return []string{"route"}
			}
		case StateRouted:
			return []string{"accept", "refuse"}
		case StateVerifying:
			return []string{"uphold", "revoke", "dismiss", "extend"}
		}
	case credit.CaseRepair:
		switch c.State {
		case StateSubmitted:
			if office {
				return []string{"route"}
			}
		case StateRouted:
			return []string{"accept", "request_materials", "refuse"}
		case StateAwaiting:
			return []string{"refuse"}
		case StateReviewing:
			return []string{"approve", "refuse", "extend", "false_commitment"}
		case StateRepaired:
			return []string{"false_commitment"}
		}
	case credit.CaseBankruptcy:
		if !office {
			return nil
		}
		switch c.State {
		case StateMasking:
			return []string{"mask", "end_failed"}
		case StateMasked:
			return []string{"end_completed", "end_failed"}
		}
	}
	return nil
}
