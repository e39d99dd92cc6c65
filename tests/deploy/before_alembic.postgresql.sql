-- The store as mailbot made it before Alembic, on PostgreSQL: frozen, never edited.
-- Schema N is the sections up to `-- schema N`; each starts with a line `-- schema N: ...`.


-- schema 1: what create_all made first (messages, submissions, decisions, marks, outbox, locks, meta)

CREATE TABLE locks (
    name VARCHAR(200) NOT NULL,
    holder TEXT NOT NULL,
    expires_at TIMESTAMP WITHOUT TIME ZONE NOT NULL,
    PRIMARY KEY (name)
);

CREATE TABLE messages (
    id SERIAL NOT NULL,
    sha256 VARCHAR(64) NOT NULL,
    message_id TEXT,
    source TEXT NOT NULL,
    source_key TEXT NOT NULL,
    received_at TIMESTAMP WITHOUT TIME ZONE,
    stored_at TIMESTAMP WITHOUT TIME ZONE NOT NULL,
    size BIGINT NOT NULL,
    headers_only BOOLEAN NOT NULL,
    sender TEXT,
    subject TEXT,
    raw BYTEA NOT NULL,
    PRIMARY KEY (id),
    UNIQUE (sha256)
);

CREATE TABLE meta (
    key VARCHAR(200) NOT NULL,
    value TEXT NOT NULL,
    PRIMARY KEY (key)
);

CREATE TABLE outbox (
    id SERIAL NOT NULL,
    key VARCHAR(400) NOT NULL,
    kind VARCHAR(40) NOT NULL,
    recipients JSON NOT NULL,
    message_id TEXT NOT NULL,
    raw BYTEA NOT NULL,
    state VARCHAR(20) NOT NULL,
    attempts INTEGER NOT NULL,
    next_attempt_at TIMESTAMP WITHOUT TIME ZONE NOT NULL,
    claimed_at TIMESTAMP WITHOUT TIME ZONE,
    created_at TIMESTAMP WITHOUT TIME ZONE NOT NULL,
    sent_at TIMESTAMP WITHOUT TIME ZONE,
    last_error TEXT,
    PRIMARY KEY (id),
    UNIQUE (key)
);

CREATE INDEX ix_outbox_state ON outbox (state);

CREATE TABLE source_marks (
    source VARCHAR(400) NOT NULL,
    uidvalidity BIGINT,
    last_uid BIGINT NOT NULL,
    heartbeat_at TIMESTAMP WITHOUT TIME ZONE,
    PRIMARY KEY (source)
);

CREATE TABLE message_keys (
    source TEXT NOT NULL,
    source_key VARCHAR(400) NOT NULL,
    message_row INTEGER NOT NULL,
    PRIMARY KEY (source, source_key),
    FOREIGN KEY(message_row) REFERENCES messages (id)
);

CREATE TABLE submissions (
    id SERIAL NOT NULL,
    message_row INTEGER NOT NULL,
    unit VARCHAR(100),
    period DATE,
    received_at TIMESTAMP WITHOUT TIME ZONE NOT NULL,
    sender TEXT,
    subject TEXT,
    message_id TEXT,
    read_unit VARCHAR(100),
    read_figures JSON NOT NULL,
    figures JSON NOT NULL,
    problems JSON NOT NULL,
    read_status VARCHAR(20) NOT NULL,
    status VARCHAR(20) NOT NULL,
    decided_by TEXT,
    decision_note TEXT,
    PRIMARY KEY (id),
    UNIQUE (message_row),
    FOREIGN KEY(message_row) REFERENCES messages (id)
);

CREATE INDEX ix_submissions_period ON submissions (period);

CREATE INDEX ix_submissions_status ON submissions (status);

CREATE INDEX ix_submissions_unit ON submissions (unit);

CREATE TABLE decisions (
    id SERIAL NOT NULL,
    submission_id INTEGER NOT NULL,
    action VARCHAR(20) NOT NULL,
    decided_by TEXT NOT NULL,
    decided_at TIMESTAMP WITHOUT TIME ZONE NOT NULL,
    reason TEXT,
    unit VARCHAR(100),
    figures JSON,
    PRIMARY KEY (id),
    FOREIGN KEY(submission_id) REFERENCES submissions (id)
);

CREATE INDEX ix_decisions_submission_id ON decisions (submission_id);

-- schema 2: the console's people, sign-ins, API tokens and audit trail

CREATE TABLE audit (
    id SERIAL NOT NULL,
    at TIMESTAMP WITHOUT TIME ZONE NOT NULL,
    who TEXT NOT NULL,
    address TEXT,
    action VARCHAR(40) NOT NULL,
    target TEXT,
    detail TEXT,
    PRIMARY KEY (id)
);

CREATE INDEX ix_audit_action ON audit (action);

CREATE INDEX ix_audit_at ON audit (at);

CREATE TABLE users (
    id SERIAL NOT NULL,
    name VARCHAR(100) NOT NULL,
    role VARCHAR(20) NOT NULL,
    password_hash TEXT NOT NULL,
    disabled BOOLEAN NOT NULL,
    created_at TIMESTAMP WITHOUT TIME ZONE NOT NULL,
    PRIMARY KEY (id),
    UNIQUE (name)
);

CREATE TABLE api_tokens (
    token_hash VARCHAR(64) NOT NULL,
    user_id INTEGER NOT NULL,
    created_at TIMESTAMP WITHOUT TIME ZONE NOT NULL,
    PRIMARY KEY (token_hash),
    FOREIGN KEY(user_id) REFERENCES users (id)
);

CREATE INDEX ix_api_tokens_user_id ON api_tokens (user_id);

CREATE TABLE sessions (
    token_hash VARCHAR(64) NOT NULL,
    user_id INTEGER NOT NULL,
    csrf VARCHAR(64) NOT NULL,
    address TEXT,
    created_at TIMESTAMP WITHOUT TIME ZONE NOT NULL,
    expires_at TIMESTAMP WITHOUT TIME ZONE NOT NULL,
    PRIMARY KEY (token_hash),
    FOREIGN KEY(user_id) REFERENCES users (id)
);

CREATE INDEX ix_sessions_user_id ON sessions (user_id);

-- schema 3: a review decision's operating-system login
ALTER TABLE decisions ADD COLUMN os_login TEXT;

-- schema 4: where a submission's figures were read
ALTER TABLE submissions ADD COLUMN sources JSON;
