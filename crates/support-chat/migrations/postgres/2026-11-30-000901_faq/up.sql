-- The FAQ (SPEC §3.11): entries in both languages under a category and topic. Shipped entries
-- are written at start-up under their key once; a deleted entry is marked, not
-- erased, so it is not written again.
CREATE TABLE faq_entries (
    id BIGSERIAL PRIMARY KEY,
    entry_id TEXT NOT NULL UNIQUE,
    category TEXT NOT NULL CHECK (category IN ('account', 'orders', 'payments', 'returns', 'products', 'technical')),
    topic TEXT NOT NULL,
    question_en TEXT NOT NULL,
    question_ar TEXT NOT NULL,
    answer_en TEXT NOT NULL,
    answer_ar TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    deleted_at TIMESTAMP
);
CREATE INDEX faq_entries_category ON faq_entries (category, id) WHERE deleted_at IS NULL;
