package config

import (
	"flag"
	"os"
)

// OIDC is the identity provider companies and persons sign in with
// (internal/auth.OIDC): a provincial unified identity platform or the
// electronic business licence service. An empty Issuer offers password
// sign-in only.
type OIDC struct {
	Issuer       string
	ClientID     string
	ClientSecret string
	RedirectURL  string
	OrgClaim     string
	PersonClaim  string
	Label        string
}

// registerOIDC declares the identity provider's flags.
func (c *Config) registerOIDC(fs *flag.FlagSet) {
	o := &c.OIDC
	fs.StringVar(&o.Issuer, "oidc-issuer", env("XINYONG_OIDC_ISSUER", ""), "OpenID Connect issuer URL of the identity provider companies and persons sign in with (discovery at <issuer>/.well-known/openid-configuration); empty: no such sign-in (env XINYONG_OIDC_ISSUER)")
	fs.StringVar(&o.ClientID, "oidc-client-id", env("XINYONG_OIDC_CLIENT_ID", ""), "this platform's client ID at the identity provider (env XINYONG_OIDC_CLIENT_ID)")
	// The secret is read from the environment only: a flag would show
	// it in the process list.
	o.ClientSecret = os.Getenv("XINYONG_OIDC_CLIENT_SECRET")
	fs.StringVar(&o.RedirectURL, "oidc-redirect-url", env("XINYONG_OIDC_REDIRECT_URL", ""), "the callback registered with the identity provider: https://<host>/login/oidc/callback (env XINYONG_OIDC_REDIRECT_URL)")
	fs.StringVar(&o.OrgClaim, "oidc-org-claim", env("XINYONG_OIDC_ORG_CLAIM", "uscc"), "ID-token claim holding an organisation's unified social credit code (env XINYONG_OIDC_ORG_CLAIM)")
	fs.StringVar(&o.PersonClaim, "oidc-person-claim", env("XINYONG_OIDC_PERSON_CLAIM", "id_number"), "ID-token claim holding a person's resident ID number (env XINYONG_OIDC_PERSON_CLAIM)")
	fs.StringVar(&o.Label, "oidc-label", env("XINYONG_OIDC_LABEL", ""), "what the sign-in button calls the provider, e.g. 福建省统一身份认证平台 (env XINYONG_OIDC_LABEL); the client secret comes from XINYONG_OIDC_CLIENT_SECRET only")
}
