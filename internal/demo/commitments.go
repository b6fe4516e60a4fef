package demo

import (
	"context"
	"fmt"

	"github.com/xinyong/xinyong/internal/app"
	"github.com/xinyong/xinyong/internal/commit"
	"github.com/xinyong/xinyong/internal/credit"
)

// demoCounter is the market regulator's approval system as the demo
// registers commitments signed at its counter; demoOfficer decides them.
var (
	demoCounter = credit.Actor{Name: "samr-counter", Role: credit.RoleBusiness, Dept: demoDept}
	demoOfficer = credit.Actor{Name: "samr", Role: credit.RoleDept, Dept: demoDept}
)

// seedCommitments registers a few commitments at the market regulator's
// counter for eligible subjects of the demo, as its approval system would:
// 容缺受理 commitments still due, one fulfilled, one found false (so the
// console's queue, its statistics and a public page show them); and a
// self-declared honour of the demo subject awaiting the regulator's
// confirmation. Subjects the rules keep from commitments are passed over.
func seedCommitments(ctx context.Context, node *app.App, subject string) error {
	svc := node.Commit
	subs, err := node.Store.SubjectsByName(ctx, "有限公司", 60)
	if err != nil {
		return err
	}
	var made []*credit.Commitment
	for i, s := range subs {
		if len(made) == 5 {
			break
		}
		if s.ID == subject {
			continue // the demo subject's own file stays as the data made it
		}
		kind, mats := "rongque", []string{"消防安全检查合格证明", "环境影响评价批复"}
		if i%2 == 1 {
			kind, mats = "approval", nil
		}
		c, _, err := svc.Sign(ctx, demoCounter, commit.Signing{SubjectID: s.ID, Matter: "licence_approval", Kind: kind, Signer: s.LegalRep,
			SignerRole: "法定代表人", Document: fmt.Sprintf("榕市监承诺〔2026〕%d号", 100+i), Materials: mats,
			Approval: fmt.Sprintf("榕市监许〔2026〕%d号", 500+i), Accepted: true})
		if _, refused := commit.Refused(err); refused {
			continue // an ineligible subject, as a counter would find
		}
		if err != nil {
			return err
		}
		made = append(made, c)
	}
	if len(made) >= 2 {
		if _, err := svc.Fulfil(ctx, demoCounter, made[0].ID, "材料已补齐"); err != nil {
			return err
		}
		if _, err := svc.Break(ctx, demoOfficer, made[1].ID, commit.Breach{DocNo: "榕市监认〔2026〕31号", Reason: "经现场核查，经营场所与承诺不符",
			Finding: commit.FindingFalse}); err != nil {
			return err
		}
	}
	if subject != "" {
		if _, err := svc.Declare(ctx, credit.Actor{Name: "subject", Role: credit.RoleSubject, Subject: subject}, commit.Declaring{
			SubjectID: subject, Kind: "contribution", Issuer: "CREDIT-350100", Title: "捐建乡村图书室", Description: "2025年向闽清县捐建乡村图书室一所",
			Accepted: true}); err != nil {
			return err
		}
	}
	return nil
}
