-- Live chat (SPEC §3.11): sessions waiting for, then handled by, an agent; their messages in
-- order (notices such as "agent joined" among them); and when each agent was last seen, for
-- the wait estimate.
CREATE TABLE chat_sessions (
    id BIGSERIAL PRIMARY KEY,
    session_id TEXT NOT NULL UNIQUE,
    customer_id TEXT NOT NULL,
    topic TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('waiting', 'active', 'closed')),
    agent_id TEXT,
    created_at TIMESTAMP NOT NULL,
    joined_at TIMESTAMP,
    closed_at TIMESTAMP,
    closed_by TEXT,
    rating INTEGER CHECK (rating BETWEEN 1 AND 5),
    feedback TEXT
);
CREATE INDEX chat_sessions_customer ON chat_sessions (customer_id, id);
CREATE INDEX chat_sessions_waiting ON chat_sessions (id) WHERE status = 'waiting';
CREATE INDEX chat_sessions_closed ON chat_sessions (closed_at) WHERE status = 'closed';

CREATE TABLE chat_messages (
    id BIGSERIAL PRIMARY KEY,
    session_id BIGINT NOT NULL REFERENCES chat_sessions (id),
    sender TEXT NOT NULL,
    sender_role TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('message', 'notice')),
    body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX chat_messages_session ON chat_messages (session_id, id);

CREATE TABLE agent_presence (
    agent_id TEXT PRIMARY KEY,
    seen_at TIMESTAMP NOT NULL
);
