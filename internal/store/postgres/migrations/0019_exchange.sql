-- (postgres; keep in step with sqlite/migrations/0019_exchange.sql)
-- The exchange between platforms of every level and with departments
-- (国发〔2016〕33号 (十八), 国办发〔2019〕35号 (十四)). Times are BIGINT Unix
-- microseconds UTC; lists and maps are JSON text.

-- exchange_node: this installation's identity in the federation (one row).
-- The private signing key is never stored here: it is kept like the data
-- key (a key file beside the SQLite file, or the environment).
CREATE TABLE exchange_node (
	id         BIGINT PRIMARY KEY,
	node_id    TEXT NOT NULL,
	level      TEXT NOT NULL,
	region     TEXT NOT NULL,
	name       TEXT NOT NULL,
	public_key BYTEA NOT NULL,
	created_at BIGINT NOT NULL
);

-- exchange_peers: who sends what to whom, as data.
CREATE TABLE exchange_peers (
	id         TEXT PRIMARY KEY,
	name       TEXT NOT NULL DEFAULT '',
	level      TEXT NOT NULL DEFAULT '',
	region     TEXT NOT NULL DEFAULT '',
	relation   TEXT NOT NULL,
	public_key BYTEA,
	transport  TEXT NOT NULL,
	url        TEXT NOT NULL DEFAULT '',
	account    TEXT NOT NULL DEFAULT '',
	api_key    TEXT NOT NULL DEFAULT '',
	items      TEXT NOT NULL DEFAULT 'null',
	lists      TEXT NOT NULL DEFAULT 'null',
	regions    TEXT NOT NULL DEFAULT 'null',
	purposes   TEXT NOT NULL DEFAULT 'null',
	disabled   BOOLEAN NOT NULL DEFAULT FALSE,
	created_at BIGINT NOT NULL,
	updated_at BIGINT NOT NULL
);

-- exchange_cursors: how far this node has applied each origin's feed,
-- moved in the same transaction as the facts applied.
CREATE TABLE exchange_cursors (
	origin     TEXT PRIMARY KEY,
	pos        BIGINT NOT NULL DEFAULT 0,
	facts      BIGINT NOT NULL DEFAULT 0,
	origin_at  BIGINT,
	updated_at BIGINT,
	head       BIGINT NOT NULL DEFAULT 0,
	head_at    BIGINT,
	last_error TEXT NOT NULL DEFAULT '',
	error_at   BIGINT
);

-- exchange_facts: every fact applied from another node, by its origin and
-- original ID (what makes applying idempotent), with its local reference.
CREATE TABLE exchange_facts (
	origin  TEXT NOT NULL,
	fact_id TEXT NOT NULL,
	kind    TEXT NOT NULL,
	ref     TEXT NOT NULL,
	pos     BIGINT NOT NULL,
	at      BIGINT NOT NULL,
	PRIMARY KEY (origin, fact_id)
);
CREATE INDEX exchange_facts_ref ON exchange_facts (ref);

-- exchange_positions: the ranges of change-feed positions written by
-- applying another node's facts (one range per applied batch), which this
-- node's own feed leaves out; origin says whose facts they were.
CREATE TABLE exchange_positions (
	first_pos BIGINT PRIMARY KEY,
	last_pos  BIGINT NOT NULL,
	origin    TEXT NOT NULL
);

-- exchange_held: facts received but not applied (an item or department
-- this node's catalogue lacks), applied once the catalogue has it.
CREATE TABLE exchange_held (
	origin  TEXT NOT NULL,
	fact_id TEXT NOT NULL,
	kind    TEXT NOT NULL,
	item    TEXT NOT NULL DEFAULT '',
	pos     BIGINT NOT NULL,
	reason  TEXT NOT NULL,
	body    BYTEA NOT NULL,
	at      BIGINT NOT NULL,
	PRIMARY KEY (origin, fact_id)
);
