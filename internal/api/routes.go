package api

import (
	"github.com/xinyong/xinyong/internal/credit"
)

// table is the route table: the whole of what the API lets anyone do.
// The OpenAPI document (openapi.json) must say the same; a test holds them
// together.
func (a *API) table() []Route {
	const (
		admin       = credit.RoleAdmin
		reviewer    = credit.RoleReviewer
		dept        = credit.RoleDept
		institution = credit.RoleInstitution
		auditor     = credit.RoleAuditor
		subject     = credit.RoleSubject
	)
	p := Prefix
	return append([]Route{
		{Method: "GET", Path: p + "/openapi.json", Roles: everyone, Action: "openapi.read",
			Summary: "This document", Handler: a.openAPI},

		{Method: "POST", Path: p + "/sessions", Roles: everyone, Audited: true, Action: "session.create",
			Summary: "Sign in with name and password; sets the session cookie", Handler: a.login},
		{Method: "DELETE", Path: p + "/sessions", Roles: signedIn, Action: "session.delete",
			Summary: "Sign out", Handler: a.logout},
		{Method: "GET", Path: p + "/me", Roles: signedIn, Action: "me.read",
			Summary: "The calling account", Handler: a.me},

		{Method: "GET", Path: p + "/codes/{code}", Roles: everyone, Action: "code.check",
			Summary: "Check and decode a unified social credit code", Handler: a.checkCode},

		{Method: "GET", Path: p + "/catalog", Roles: everyone, Action: "catalog.read",
			Summary: "The information catalogue: version and items", Handler: a.catalogIndex},
		{Method: "GET", Path: p + "/catalog/items/{code}", Roles: everyone, Action: "catalog.item.read",
			Summary: "One catalogue item with its fields", Handler: a.catalogItem},

		{Method: "GET", Path: p + "/subjects", Roles: everyone, Action: "subject.search",
			Summary: "Find subjects by code or name", Handler: a.searchSubjects},
		{Method: "GET", Path: p + "/search", Roles: everyone, Action: "subject.search",
			Summary: "Search organisations by code or any part of a current or former name, ranked", Handler: a.searchHits},
		{Method: "GET", Path: p + "/subjects/{id}/public", Roles: everyone, Action: "subject.public.read",
			Summary: "What is published about an organisation, by section, as the publication engine decides now", Handler: a.publicFile},
		{Method: "GET", Path: p + "/lists/{kind}", Roles: everyone, Action: "list.read",
			Summary: "A published black or red list", Handler: a.publishedList},
		{Method: "GET", Path: p + "/subjects/{id}", Roles: everyone, Action: "subject.read",
			Summary: "A subject's registration information", Handler: a.subject},
		{Method: "POST", Path: p + "/subjects", Roles: roles(admin, dept), Audited: true, Action: "subject.register",
			Summary: "Register an organisation or a natural person", Handler: a.registerSubject},
		{Method: "GET", Path: p + "/subjects/{id}/revisions", Roles: roles(admin, reviewer, dept, auditor), Action: "subject.revisions.read",
			Summary: "The history of an organisation's registration data: who changed which field, from what to what", Handler: a.subjectRevisions},
		{Method: "GET", Path: p + "/subjects/{id}/identity", Roles: roles(admin, reviewer), Purpose: true, Action: "subject.identity.read",
			Summary: "A natural person's clear ID number", Handler: a.identity},
		{Method: "GET", Path: p + "/subjects/{id}/records", Roles: roles(admin, reviewer, dept, institution, auditor, subject), Purpose: true, Action: "subject.records.read",
			Summary: "A subject's credit file: the current state of each record", Handler: a.subjectRecords},

		{Method: "POST", Path: p + "/records", Roles: roles(admin, dept), Audited: true, Action: "record.append",
			Summary: "Report a record", Handler: a.appendRecord},
		{Method: "POST", Path: p + "/records/{id}/corrections", Roles: roles(admin, dept), Audited: true, Action: "record.correct",
			Summary: "Correct a record", Handler: a.correctRecord},
		{Method: "POST", Path: p + "/records/{id}/revocations", Roles: roles(admin, dept), Audited: true, Action: "record.revoke",
			Summary: "Revoke a record", Handler: a.revokeRecord},

		{Method: "POST", Path: p + "/batches", Roles: roles(admin, dept), Audited: true, Action: "batch.create",
			Summary: "Upload a department file (CSV, XLSX, JSONL) for import; answers 202 with the batch", Handler: a.createBatch},
		{Method: "GET", Path: p + "/batches", Roles: roles(admin, reviewer, dept), Action: "batch.list",
			Summary: "Import batches, newest first", Handler: a.listBatches},
		{Method: "GET", Path: p + "/batches/{id}", Roles: roles(admin, reviewer, dept), Action: "batch.read",
			Summary: "An import batch: status and counts", Handler: a.getBatch},
		{Method: "GET", Path: p + "/batches/{id}/rejects", Roles: roles(admin, reviewer, dept), Action: "batch.rejects.read",
			Summary: "The rejected rows with reasons, in the department's own format", Handler: a.batchRejects},
		{Method: "GET", Path: p + "/quality", Roles: roles(admin, reviewer, dept), Action: "quality.read",
			Summary: "Data quality per department: timeliness, error rate, 重错码率, completeness", Handler: a.quality},

		{Method: "GET", Path: p + "/audit", Roles: roles(auditor, admin), Audited: true, Action: "audit.read",
			Summary: "The query and decision log, newest first", Handler: a.auditLog},

		{Method: "POST", Path: p + "/accounts", Roles: roles(admin), Audited: true, Action: "account.create",
			Summary: "Create an account", Handler: a.createAccount},
		{Method: "POST", Path: p + "/accounts/{name}/keys", Roles: roles(admin), Audited: true, Action: "account.key.create",
			Summary: "Issue an API key; the secret is shown once", Handler: a.createKey},
		{Method: "GET", Path: p + "/lockouts", Roles: roles(admin), Action: "account.lockout.list",
			Summary: "Accounts whose password logins are refused now after failed logins, with until when", Handler: a.listLockouts},
		{Method: "GET", Path: p + "/accounts/{name}/lockout", Roles: roles(admin), Action: "account.lockout.read",
			Summary: "Whether the account's password logins are refused now after failed logins, and until when", Handler: a.getLockout},
		{Method: "DELETE", Path: p + "/accounts/{name}/lockout", Roles: roles(admin), Audited: true, Action: "account.unlock",
			Summary: "Lift the lockout of an account after failed logins (the guessing address stays limited)", Handler: a.unlockAccount},
	}, append(append(append(append(append(a.workflowRoutes(), a.sanctionRoutes()...), a.commitRoutes()...), a.reportRoutes()...), a.exchangeRoutes()...), append(a.monitorRoutes(), a.adminRoutes()...)...)...)
}

func roles(rs ...credit.Role) []credit.Role { return rs }
